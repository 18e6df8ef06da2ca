//! Hand-made hostile bytes: a deflate stream of any size built without compressing it, a zip around it,
//! and a lazily generated stream, so gigabyte inputs cost megabytes in the test itself.

use std::io::Read;

/// A stream of `prefix`, then `len` bytes of `fill`, then `suffix`, generated as it is read.
pub struct HugeToken {
    prefix: Vec<u8>,
    fill: u8,
    remaining: u64,
    suffix: Vec<u8>,
}

impl HugeToken {
    pub fn new(prefix: &[u8], fill: u8, len: u64, suffix: &[u8]) -> HugeToken {
        HugeToken {
            prefix: prefix.to_vec(),
            fill,
            remaining: len,
            suffix: suffix.to_vec(),
        }
    }
}

impl Read for HugeToken {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if !self.prefix.is_empty() {
            let n = self.prefix.len().min(buf.len());
            buf[..n].copy_from_slice(&self.prefix[..n]);
            self.prefix.drain(..n);
            return Ok(n);
        }
        if self.remaining > 0 {
            let n = (self.remaining.min(buf.len() as u64)) as usize;
            buf[..n].fill(self.fill);
            self.remaining -= n as u64;
            return Ok(n);
        }
        let n = self.suffix.len().min(buf.len());
        buf[..n].copy_from_slice(&self.suffix[..n]);
        self.suffix.drain(..n);
        Ok(n)
    }
}

struct Bits {
    out: Vec<u8>,
    acc: u64,
    n: u32,
}

impl Bits {
    fn put(&mut self, value: u32, count: u32) {
        self.acc |= u64::from(value) << self.n;
        self.n += count;
        while self.n >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.n -= 8;
        }
    }

    /// A Huffman code: written most significant bit first.
    fn code(&mut self, code: u32, len: u32) {
        let reversed = code.reverse_bits() >> (32 - len);
        self.put(reversed, len);
    }

    fn literal(&mut self, b: u8) {
        match b {
            0..=143 => self.code(0x30 + u32::from(b), 8),
            _ => self.code(0x190 + u32::from(b) - 144, 9),
        }
    }

    fn symbol(&mut self, sym: u32) {
        match sym {
            256..=279 => self.code(sym - 256, 7),
            _ => self.code(0xC0 + sym - 280, 8),
        }
    }

    fn matched(&mut self, len: u32, dist: u32) {
        const LEN_BASE: [u32; 29] = [
            3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99,
            115, 131, 163, 195, 227, 258,
        ];
        const LEN_EXTRA: [u32; 29] = [
            0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
        ];
        const DIST_BASE: [u32; 30] = [
            1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025,
            1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
        ];
        const DIST_EXTRA: [u32; 30] = [
            0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12,
            12, 13, 13,
        ];
        let li = if len == 258 {
            28
        } else {
            LEN_BASE.iter().rposition(|&b| b <= len).unwrap()
        };
        self.symbol(257 + li as u32);
        self.put(len - LEN_BASE[li], LEN_EXTRA[li]);
        let di = DIST_BASE.iter().rposition(|&b| b <= dist).unwrap();
        self.code(di as u32, 5);
        self.put(dist - DIST_BASE[di], DIST_EXTRA[di]);
    }
}

/// A raw deflate stream of `prefix`, then `unit` repeated up to `body_len` bytes, then `suffix`, built
/// from back-references (one fixed-Huffman block) instead of compressing: 1 GiB costs a few MB.
pub fn deflate_repeat(prefix: &[u8], unit: &[u8], body_len: u64, suffix: &[u8]) -> Vec<u8> {
    assert!(!unit.is_empty() && unit.len() <= 32_768 && body_len >= unit.len() as u64);
    let mut b = Bits {
        out: Vec::new(),
        acc: 0,
        n: 0,
    };
    b.put(1, 1); // final block
    b.put(1, 2); // fixed Huffman codes
    prefix.iter().chain(unit).for_each(|&c| b.literal(c));
    let mut left = body_len - unit.len() as u64;
    let dist = unit.len() as u32;
    while left >= 3 {
        let len = left.min(258) as u32;
        // Never leave 1–2 bytes, which no match can encode after the last one.
        let len = if (1..3).contains(&(left - u64::from(len))) {
            len - 3
        } else {
            len
        };
        b.matched(len, dist);
        left -= u64::from(len);
    }
    let written = body_len - left;
    (0..left).for_each(|i| b.literal(unit[((written + i) % unit.len() as u64) as usize]));
    suffix.iter().for_each(|&c| b.literal(c));
    b.symbol(256);
    b.put(0, 7);
    b.out
}

/// An entry for [`zip_raw`]: name, method (0 stored, 8 deflate), data, declared uncompressed size, CRC.
pub struct RawEntry<'a> {
    pub name: &'a str,
    pub method: u16,
    pub data: &'a [u8],
    pub size: u64,
    pub crc: u32,
}

/// CRC-32 (IEEE), bit by bit: for the small stored entries only.
pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A zip archive written by hand, so entries can hold crafted deflate data and declare any size. Crafted
/// entries carry CRC zero: they are refused before their end, where a CRC would be checked.
pub fn zip_raw(entries: &[RawEntry<'_>]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for e in entries {
        let offset = out.len() as u32;
        let name = e.name.as_bytes();
        let header = |sig: u32, central_dir: bool| {
            let mut h = Vec::new();
            h.extend_from_slice(&sig.to_le_bytes());
            if central_dir {
                h.extend_from_slice(&20u16.to_le_bytes());
            }
            h.extend_from_slice(&20u16.to_le_bytes());
            h.extend_from_slice(&0x0800u16.to_le_bytes()); // flags: UTF-8 names
            h.extend_from_slice(&e.method.to_le_bytes());
            h.extend_from_slice(&0u16.to_le_bytes()); // time
            h.extend_from_slice(&0x21u16.to_le_bytes()); // 1980-01-01
            h.extend_from_slice(&e.crc.to_le_bytes());
            h.extend_from_slice(&(e.data.len() as u32).to_le_bytes());
            h.extend_from_slice(&(e.size as u32).to_le_bytes());
            h.extend_from_slice(&(name.len() as u16).to_le_bytes());
            h.extend_from_slice(&0u16.to_le_bytes()); // extra
            if central_dir {
                h.extend_from_slice(&[0; 6]); // comment length, disk, internal attributes
                h.extend_from_slice(&0u32.to_le_bytes()); // external attributes
                h.extend_from_slice(&offset.to_le_bytes());
            }
            h.extend_from_slice(name);
            h
        };
        out.extend(header(0x0403_4b50, false));
        out.extend_from_slice(e.data);
        central.extend(header(0x0201_4b50, true));
    }
    let cd_offset = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    let n = entries.len() as u16;
    out.extend_from_slice(&n.to_le_bytes());
    out.extend_from_slice(&n.to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

/// A zip written by the `zip` crate (real CRCs), deflated.
pub fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    use std::io::Write;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (n, b) in entries {
        w.start_file(*n, opts).unwrap();
        w.write_all(b).unwrap();
    }
    w.finish().unwrap().into_inner()
}

#[test]
fn crafted_deflate_inflates_to_exactly_what_it_claims() {
    for (unit, len) in [
        (&b"a"[..], 1000u64),
        (&b"<Record/>\n"[..], 10_007),
        (&b"xy"[..], 260),
        (&b"z"[..], 4),
    ] {
        let raw = deflate_repeat("前".as_bytes(), unit, len, b"}");
        let mut out = Vec::new();
        flate2::read::DeflateDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .unwrap();
        let mut want = "前".as_bytes().to_vec();
        want.extend(unit.iter().cycle().take(len as usize));
        want.push(b'}');
        assert_eq!(out, want, "unit {unit:?} len {len}");
    }
}
