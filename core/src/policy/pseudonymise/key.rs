//! The secret behind pseudonyms, date shifts and reversible encryption.
//!
//! A [`PseudonymKey`] is 削除情報等 in APPI terms (規則31条): it must be kept apart from the pseudonymised
//! data. The type therefore has no `Debug`, `Display`, `Serialize` or `Clone`, wipes its bytes on drop
//! (`zeroize`), and is only ever named in reports by its [`PseudonymKey::key_id`], a truncated hash that
//! cannot be turned back into the key. Per-domain keys are derived with HMAC-SHA256 (an HKDF-Expand-style
//! step with a one-block output), so the master key itself never keys a pseudonym directly.

use std::path::Path;

use ring::{digest, hmac, rand::SecureRandom};
use zeroize::Zeroizing;

use crate::error::{ErrorKind, Result};

/// A secret key for pseudonymisation. At least [`PseudonymKey::MIN_LEN`] bytes.
pub struct PseudonymKey {
    bytes: Zeroizing<Vec<u8>>,
}

fn key_error(msg: impl Into<String>) -> crate::error::Error {
    ErrorKind::Key(msg.into()).into()
}

impl PseudonymKey {
    /// Shortest key accepted: 256 bits, the HMAC-SHA256 block security level.
    pub const MIN_LEN: usize = 32;

    /// A key from raw bytes; rejects keys shorter than [`PseudonymKey::MIN_LEN`].
    pub fn from_bytes(bytes: Vec<u8>) -> Result<PseudonymKey> {
        let bytes = Zeroizing::new(bytes);
        if bytes.len() < Self::MIN_LEN {
            return Err(key_error(format!(
                "key too short: {} bytes, at least {} required",
                bytes.len(),
                Self::MIN_LEN
            )));
        }
        Ok(PseudonymKey { bytes })
    }

    /// A key from text: hex (64+ hex digits, whitespace trimmed) is decoded, anything else is taken as
    /// its UTF-8 bytes.
    pub fn from_text(text: &str) -> Result<PseudonymKey> {
        let t = text.trim();
        if t.len() >= 2 * Self::MIN_LEN
            && t.len() % 2 == 0
            && t.bytes().all(|b| b.is_ascii_hexdigit())
        {
            let mut out = Zeroizing::new(Vec::with_capacity(t.len() / 2));
            for pair in t.as_bytes().chunks(2) {
                let hi = hex_val(pair[0]);
                let lo = hex_val(pair[1]);
                out.push((hi << 4) | lo);
            }
            return Self::from_bytes(std::mem::take(&mut *out));
        }
        Self::from_bytes(t.as_bytes().to_vec())
    }

    /// A key from a file (hex text or raw bytes). The error never contains the file's content.
    pub fn from_file(path: &Path) -> Result<PseudonymKey> {
        // A key file is a few dozen bytes; anything over 64 KiB is not a key file.
        const MAX_KEY_FILE_BYTES: u64 = 64 * 1024;
        let file = std::fs::File::open(path)
            .map_err(|e| key_error(format!("cannot read key file: {}", e.kind())))?;
        // Capacity up front: growing the buffer would leave unzeroed copies of the key behind.
        let mut raw = Zeroizing::new(Vec::with_capacity(MAX_KEY_FILE_BYTES as usize + 1));
        std::io::Read::read_to_end(
            &mut std::io::Read::take(file, MAX_KEY_FILE_BYTES + 1),
            &mut raw,
        )
        .map_err(|e| key_error(format!("cannot read key file: {}", e.kind())))?;
        if raw.len() as u64 > MAX_KEY_FILE_BYTES {
            return Err(key_error("key file larger than 64 KiB".to_owned()));
        }
        match std::str::from_utf8(&raw) {
            Ok(text) => Self::from_text(text),
            Err(_) => Self::from_bytes(raw.to_vec()),
        }
    }

    /// A key from an environment variable (hex or text).
    pub fn from_env(var: &str) -> Result<PseudonymKey> {
        let v = Zeroizing::new(std::env::var(var).map_err(|_| {
            key_error(format!(
                "environment variable {var} is not set or not UTF-8"
            ))
        })?);
        Self::from_text(&v)
    }

    /// A fresh random 32-byte key (per-export keys for anonymised output, which must not stay linkable).
    pub fn generate() -> Result<PseudonymKey> {
        let mut b = vec![0u8; 32];
        ring::rand::SystemRandom::new()
            .fill(&mut b)
            .map_err(|_| key_error("system random generator failed"))?;
        Self::from_bytes(b)
    }

    /// A public name for the key: the first 8 bytes (16 hex digits) of
    /// SHA-256(`"phrkit key-id v1"` ‖ 0x00 ‖ key). Safe to print and to store next to the data.
    pub fn key_id(&self) -> String {
        let mut ctx = digest::Context::new(&digest::SHA256);
        ctx.update(b"phrkit key-id v1\0");
        ctx.update(&self.bytes);
        hex(&ctx.finish().as_ref()[..8])
    }

    /// The 32-byte sub-key for a labelled use: HMAC-SHA256(key, `"phrkit/v1/"` ‖ label).
    pub(crate) fn derive(&self, label: &[u8]) -> Zeroizing<[u8; 32]> {
        let k = hmac::Key::new(hmac::HMAC_SHA256, &self.bytes);
        let mut ctx = hmac::Context::with_key(&k);
        ctx.update(b"phrkit/v1/");
        ctx.update(label);
        let tag = ctx.sign();
        let mut out = Zeroizing::new([0u8; 32]);
        out.copy_from_slice(tag.as_ref());
        out
    }
}

fn hex_val(b: u8) -> u8 {
    match b {
        b'0'..=b'9' => b - b'0',
        b'a'..=b'f' => b - b'a' + 10,
        b'A'..=b'F' => b - b'A' + 10,
        _ => 0,
    }
}

/// Lowercase hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const H: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(H[(b >> 4) as usize] as char);
        s.push(H[(b & 0xf) as usize] as char);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_files_are_read_up_to_64_kib_only() {
        let dir = tempfile::tempdir().unwrap();
        let ok = dir.path().join("ok.key");
        std::fs::write(&ok, [7u8; 32]).unwrap();
        assert!(PseudonymKey::from_file(&ok).is_ok());
        let big = dir.path().join("big.key");
        std::fs::write(&big, vec![7u8; 64 * 1024 + 1]).unwrap();
        let e = PseudonymKey::from_file(&big).err().unwrap();
        assert!(matches!(e.kind(), crate::ErrorKind::Key(_)), "{e}");
        assert!(e.to_string().contains("64 KiB"), "{e}");
    }

    #[test]
    fn short_keys_are_rejected_without_echoing_them() {
        let e = PseudonymKey::from_text("short-secret").err().unwrap();
        assert!(e.to_string().contains("12 bytes"));
        assert!(!e.to_string().contains("short-secret"));
        assert!(PseudonymKey::from_bytes(vec![7; 31]).is_err());
        assert!(PseudonymKey::from_bytes(vec![7; 32]).is_ok());
    }

    #[test]
    fn hex_text_is_decoded_and_key_id_is_not_the_key() {
        let hexkey = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
        let k = PseudonymKey::from_text(hexkey).unwrap();
        assert_eq!(k.bytes.len(), 32);
        let id = k.key_id();
        assert_eq!(id.len(), 16);
        assert!(!hexkey.contains(&id));
        let k2 = PseudonymKey::from_bytes(k.bytes.to_vec()).unwrap();
        assert_eq!(k2.key_id(), id);
        assert_ne!(PseudonymKey::from_bytes(vec![1; 32]).unwrap().key_id(), id);
    }
}
