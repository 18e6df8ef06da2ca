//! The byte stream under the XML tokenizer: control characters removed, lines counted, prolog skipped.
//!
//! Real exports contain C0 control characters that XML 1.0 forbids (`\x0b` in iOS 16 exports, spec §1.12)
//! and an internal DTD subset that iOS 16.0 wrote with a missing `>`. Both would stop a conforming parser.
//! The stream is therefore cleaned before tokenising: forbidden control bytes are dropped (and counted),
//! and the DOCTYPE is skipped by a small scanner that never interprets it — but refuses any `<!ENTITY`
//! declaration, so entity expansion attacks (billion laughs) and external entities (XXE) cannot occur.

use std::io::{self, BufRead, Read};

use crate::error::{Error, Limit, Location, Result};

use super::FORMAT;

/// True for the C0 control bytes XML 1.0 forbids (everything below 0x20 except TAB, LF and CR).
#[inline]
fn forbidden(b: u8) -> bool {
    b < 0x20 && b != b'\t' && b != b'\n' && b != b'\r'
}

/// Drops forbidden control bytes from a stream and counts them. The common chunk has none and is handed
/// on untouched after one vectorised test. UTF-8 multi-byte sequences never contain bytes below 0x80, so
/// removing single bytes cannot break a character.
pub(crate) struct StripControls<R> {
    inner: R,
    pub(crate) removed: u64,
}

impl<R: Read> StripControls<R> {
    pub(crate) fn new(inner: R) -> Self {
        StripControls { inner, removed: 0 }
    }
}

/// Whether `b` holds a forbidden control byte. Fixed 128-byte blocks let the compiler vectorise a cheap
/// first test (any control byte but a newline — the only one on most lines); the rare block that has
/// one (a tab, a carriage return, a forbidden byte) is then tested exactly.
fn has_controls(b: &[u8]) -> bool {
    const BLOCK: usize = 128;
    let mut blocks = b.chunks_exact(BLOCK);
    for block in &mut blocks {
        let mut f = 0u8;
        for &c in block {
            f |= u8::from(c < 0x20) & u8::from(c != b'\n');
        }
        if f != 0 && block.iter().any(|&c| forbidden(c)) {
            return true;
        }
    }
    blocks.remainder().iter().any(|&c| forbidden(c))
}

impl<R: Read> Read for StripControls<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let n = self.inner.read(buf)?;
            if n == 0 {
                return Ok(0);
            }
            if !has_controls(&buf[..n]) {
                return Ok(n);
            }
            let mut w = 0;
            for r in 0..n {
                let b = buf[r];
                if forbidden(b) {
                    self.removed += 1;
                } else {
                    buf[w] = b;
                    w += 1;
                }
            }
            if w > 0 {
                return Ok(w);
            }
            // A chunk made only of control bytes: read again rather than signal end of input.
        }
    }
}

/// The buffer between the cleaned byte stream and the tokenizer: a `BufRead` like `std::io::BufReader`,
/// with two additions the reader needs.
///
/// * **Lines without keeping the input.** Newlines are counted lazily: `newlines` covers every byte
///   before `buf[counted]`; [`Window::line`] adds the newlines between `counted` and the read position,
///   and a refill first counts what is left of the old chunk. Each byte is counted once.
/// * **Borrowing whole elements.** [`Window::lend`] hands the buffer out, so the reader's fast lane
///   (see `fast.rs`) can take a complete `Record` straight from it — no tokenizer event, no copy — while
///   the rest of the reader is borrowed mutably to build the record; [`Window::advance_in`] moves past
///   it, and [`Window::restore`] puts the buffer back.
pub(crate) struct Window<R> {
    inner: StripControls<R>,
    buf: Vec<u8>,
    pos: usize,
    filled: usize,
    counted: usize,
    newlines: u64,
    capacity: usize,
}

impl<R: Read> Window<R> {
    /// A window that first hands out `head` (bytes already read, e.g. while the prolog was scanned),
    /// which holds none of the `newlines_before` newlines already seen.
    pub(crate) fn new(
        inner: StripControls<R>,
        head: Vec<u8>,
        newlines_before: u64,
        capacity: usize,
    ) -> Self {
        let filled = head.len();
        Window {
            inner,
            buf: head,
            pos: 0,
            filled,
            counted: 0,
            newlines: newlines_before,
            capacity,
        }
    }

    pub(crate) fn get_ref(&self) -> &StripControls<R> {
        &self.inner
    }

    /// The current line (1-based): newlines before the read position, plus one.
    pub(crate) fn line(&self) -> u64 {
        let pending = self.buf.get(self.counted..self.pos).unwrap_or_default();
        self.newlines + count_newlines(pending) + 1
    }

    /// Hands the buffer out; the window is empty until [`Window::restore`], which must come before the
    /// next read. Meanwhile [`Window::unread_in`] and [`Window::advance_in`] work on the lent buffer,
    /// and [`Window::line`] still answers (everything before the read position is counted by then).
    pub(crate) fn lend(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.buf)
    }

    pub(crate) fn restore(&mut self, buf: Vec<u8>) {
        self.buf = buf;
    }

    /// The bytes of the lent buffer not yet consumed (possibly none: this never reads).
    pub(crate) fn unread_in<'b>(&self, lent: &'b [u8]) -> &'b [u8] {
        lent.get(self.pos..self.filled).unwrap_or_default()
    }

    /// Consumes `n` bytes of the lent buffer, which hold `newlines` newlines (the caller counted them on
    /// its way through), and brings the count up to date.
    pub(crate) fn advance_in(&mut self, lent: &[u8], n: usize, newlines: u64) {
        let end = (self.pos + n).min(self.filled);
        if self.counted < self.pos {
            self.newlines += count_newlines(lent.get(self.counted..self.pos).unwrap_or_default());
        }
        self.newlines += newlines;
        self.pos = end;
        self.counted = end;
    }
}

fn count_newlines(b: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', b).count() as u64
}

/// `Read` for a `BufRead`: copies what `fill_buf` hands out (both buffers below are read through
/// `BufRead`; `Read` is only their supertrait).
fn read_buffered(b: &mut impl BufRead, out: &mut [u8]) -> io::Result<usize> {
    let n = {
        let available = b.fill_buf()?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        n
    };
    b.consume(n);
    Ok(n)
}

impl<R: Read> Read for Window<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        read_buffered(self, out)
    }
}

impl<R: Read> BufRead for Window<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.pos >= self.filled {
            let rest = self.buf.get(self.counted..self.filled).unwrap_or_default();
            self.newlines += count_newlines(rest);
            if self.buf.len() < self.capacity {
                self.buf.resize(self.capacity, 0);
            }
            // Empty first, so a failed read leaves nothing stale to hand out.
            self.pos = 0;
            self.counted = 0;
            self.filled = 0;
            self.filled = loop {
                match self.inner.read(&mut self.buf) {
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    r => break r?,
                }
            };
        }
        Ok(&self.buf[self.pos..self.filled])
    }

    fn consume(&mut self, amt: usize) {
        self.pos = (self.pos + amt).min(self.filled);
    }
}

/// Refuses an XML token (tag, text run, comment, skipped subtree) longer than `max` bytes, before the
/// tokenizer has buffered it whole: quick-xml grows its event buffer until the token ends, so one hostile
/// 1 GB attribute value would otherwise take 1 GB of memory.
///
/// The tokenizer pulls bytes with `fill_buf` / `consume`; this counts what it consumes since the last
/// [`TokenGuard::reset`] (the reader resets before each event it reads), never hands out more than the
/// rest of the `max` allowance, and fails `fill_buf` once the allowance is used up while the token goes
/// on. A token of up to `max` bytes passes; the event buffer never exceeds `max`. An element skipped
/// whole (`read_to_end_into`) is one token here: an unknown subtree may be up to `max` bytes.
pub(crate) struct TokenGuard<B> {
    inner: B,
    consumed: u64,
    max: u64,
}

/// The error a [`TokenGuard`] stops with; it travels through quick-xml inside an `io::Error` and is turned
/// into [`crate::error::ErrorKind::LimitExceeded`] by the reader.
#[derive(Debug)]
pub(crate) struct TokenTooLong {
    pub(crate) max: u64,
}

impl std::fmt::Display for TokenTooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "XML token longer than {} bytes", self.max)
    }
}

impl std::error::Error for TokenTooLong {}

impl<B> TokenGuard<B> {
    pub(crate) fn new(inner: B, max: usize) -> Self {
        TokenGuard {
            inner,
            consumed: 0,
            max: max as u64,
        }
    }

    /// Starts counting a new token.
    #[inline]
    pub(crate) fn reset(&mut self) {
        self.consumed = 0;
    }

    pub(crate) fn get_ref(&self) -> &B {
        &self.inner
    }

    pub(crate) fn get_mut(&mut self) -> &mut B {
        &mut self.inner
    }
}

impl<B: BufRead> Read for TokenGuard<B> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        read_buffered(self, buf)
    }
}

impl<B: BufRead> BufRead for TokenGuard<B> {
    /// Hands out at most what is left of the allowance, so even a token that arrives inside one
    /// buffered chunk is measured exactly; with nothing left, the token is too long.
    #[inline]
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        let allowance = self.max.saturating_sub(self.consumed);
        if allowance == 0 {
            return Err(io::Error::other(TokenTooLong { max: self.max }));
        }
        let buf = self.inner.fill_buf()?;
        let n = usize::try_from(allowance).map_or(buf.len(), |a| a.min(buf.len()));
        Ok(&buf[..n])
    }

    #[inline]
    fn consume(&mut self, amt: usize) {
        self.consumed += amt as u64;
        self.inner.consume(amt);
    }
}

/// What the prolog scan found.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Prolog {
    /// Offset of the root element's `<` in the scanned bytes.
    pub(crate) root_start: usize,
    /// Whether a DOCTYPE was present (and skipped).
    pub(crate) had_doctype: bool,
    /// `HealthKit Export Version: N` from the DTD comment, as diagnostic metadata.
    pub(crate) export_version: Option<u32>,
}

enum Scan {
    Done(Prolog),
    NeedMore,
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(hay, needle)
}

fn prolog_error(reason: &str, newlines: u64) -> Error {
    Error::format(
        FORMAT,
        Location::LineColumn {
            line: newlines + 1,
            column: 1,
        },
        reason,
    )
}

/// Scans the prolog (`<?xml …?>`, comments, `<!DOCTYPE … [ … ]>`) up to the root element's `<`.
fn scan_prolog(b: &[u8], eof: bool) -> Result<Scan> {
    let mut i = 0;
    let mut out = Prolog::default();
    let line_at = |i: usize| memchr::memchr_iter(b'\n', &b[..i]).count() as u64;
    loop {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        let rest = &b[i..];
        if rest.is_empty() {
            return if eof {
                Err(prolog_error("no root element", line_at(i)))
            } else {
                Ok(Scan::NeedMore)
            };
        }
        if rest[0] != b'<' {
            return Err(prolog_error("text before the root element", line_at(i)));
        }
        let end_of = |needle: &[u8]| find(rest, needle).map(|k| i + k + needle.len());
        let next = if rest.starts_with(b"<?") {
            end_of(b"?>")
        } else if rest.starts_with(b"<!--") {
            end_of(b"-->")
        } else if rest.starts_with(b"<!DOCTYPE") {
            out.had_doctype = true;
            match doctype_end(rest)? {
                Some((k, subset)) => {
                    if find(subset, b"<!ENTITY").is_some() {
                        return Err(prolog_error(
                            "DOCTYPE declares entities (refused: entity expansion and external entities are unsafe)",
                            line_at(i),
                        ));
                    }
                    out.export_version = export_version(subset);
                    Some(i + k)
                }
                None => None,
            }
        } else if rest.len() < 9 && b"<!DOCTYPE".starts_with(rest) && !eof {
            None
        } else {
            out.root_start = i;
            return Ok(Scan::Done(out));
        };
        match next {
            Some(n) => i = n,
            None if eof => return Err(prolog_error("unterminated prolog markup", line_at(i))),
            None => return Ok(Scan::NeedMore),
        }
    }
}

/// The end (exclusive) of a DOCTYPE starting at `b[0]`, and its internal subset. The subset ends at the
/// first `]` followed by optional whitespace and `>`, outside comments; its content is never interpreted,
/// so a subset with a missing `>` inside (iOS 16.0) is skipped like a correct one.
fn doctype_end(b: &[u8]) -> Result<Option<(usize, &[u8])>> {
    let open = b.iter().position(|&c| c == b'[' || c == b'>');
    let Some(open) = open else { return Ok(None) };
    if b[open] == b'>' {
        return Ok(Some((open + 1, &[])));
    }
    let mut j = open + 1;
    while j < b.len() {
        match b[j] {
            b'<' if b[j..].starts_with(b"<!--") => match find(&b[j..], b"-->") {
                Some(k) => j += k + 3,
                None => return Ok(None),
            },
            b']' => {
                let mut k = j + 1;
                while k < b.len() && b[k].is_ascii_whitespace() {
                    k += 1;
                }
                if k == b.len() {
                    return Ok(None);
                }
                if b[k] == b'>' {
                    return Ok(Some((k + 1, &b[open + 1..j])));
                }
                j += 1;
            }
            _ => j += 1,
        }
    }
    Ok(None)
}

fn export_version(subset: &[u8]) -> Option<u32> {
    const KEY: &[u8] = b"HealthKit Export Version:";
    let at = find(subset, KEY)? + KEY.len();
    let digits: Vec<u8> = subset[at..]
        .iter()
        .skip_while(|b| b.is_ascii_whitespace())
        .take_while(|b| b.is_ascii_digit())
        .copied()
        .collect();
    std::str::from_utf8(&digits).ok()?.parse().ok()
}

/// Reads from `r` until the prolog is complete; returns the bytes read (starting at the root element) and
/// what the prolog said. At most `max` bytes of prolog are accepted.
pub(crate) fn read_prolog(r: &mut impl Read, max: usize) -> Result<(Vec<u8>, Prolog, u64)> {
    let mut head: Vec<u8> = Vec::with_capacity(64 * 1024);
    let mut chunk = 64 * 1024;
    let mut eof = false;
    loop {
        let start = head.len();
        head.resize(start + chunk, 0);
        let n = read_full(r, &mut head[start..]).map_err(|e| {
            crate::read::container::map_io_error(&e).unwrap_or_else(|| Error::from(e))
        })?;
        head.truncate(start + n);
        eof = eof || n < chunk;
        let body = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&head);
        let bom = head.len() - body.len();
        if body.is_empty() && eof {
            return Err(prolog_error("empty input", 0));
        }
        match scan_prolog(body, eof)? {
            Scan::Done(p) => {
                let cut = bom + p.root_start;
                let newlines = memchr::memchr_iter(b'\n', &head[..cut]).count() as u64;
                head.drain(..cut);
                let p = Prolog { root_start: 0, ..p };
                return Ok((head, p, newlines));
            }
            Scan::NeedMore if head.len() >= max => {
                return Err(Error::limit(
                    Limit::DocumentBytes,
                    max as u64,
                    Location::None,
                ));
            }
            Scan::NeedMore => chunk = (chunk * 2).min(max.saturating_sub(head.len()).max(1)),
        }
    }
}

fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prolog(s: &[u8]) -> Result<(Vec<u8>, Prolog, u64)> {
        read_prolog(&mut &s[..], 1 << 20)
    }

    #[test]
    fn strips_forbidden_controls_and_counts_them() {
        let mut r = StripControls::new(&b"a\x0bb\tc\x00\r\n\x1f\n"[..]);
        let mut out = Vec::new();
        r.read_to_end(&mut out).unwrap();
        assert_eq!(out, b"ab\tc\r\n\n");
        assert_eq!(r.removed, 3);
    }

    #[test]
    fn finds_controls_in_any_block() {
        let mut text = vec![b'\n'; 1000];
        assert!(!has_controls(&text));
        text[999] = 0x01;
        assert!(has_controls(&text));
        text[999] = b'a';
        text[130] = 0x1f;
        assert!(has_controls(&text));
        // Every byte value at every position of a block agrees with the byte test.
        for at in 0..70 {
            for c in 0..=255u8 {
                let mut text: Vec<u8> = "a\tb\r\nc é ".bytes().cycle().take(70).collect();
                text[at] = c;
                assert_eq!(
                    has_controls(&text),
                    text.iter().any(|&b| forbidden(b)),
                    "{c:#x} at {at}"
                );
            }
        }
    }

    #[test]
    fn window_counts_lines_across_refills_and_advances() {
        // 3 newlines in the head, then 20 lines of 9 bytes read in 16-byte chunks.
        let body: Vec<u8> = (0..20).flat_map(|_| *b"abcdefgh\n").collect();
        let mut w = Window::new(StripControls::new(&body[..]), b"x\ny\n".to_vec(), 1, 16);
        assert_eq!(w.line(), 2);
        let head = w.fill_buf().unwrap().len();
        w.consume(head);
        assert_eq!(w.line(), 4, "one before the head and two in it");
        let mut consumed = 0;
        let mut advanced = false;
        loop {
            let n = w.fill_buf().unwrap().len();
            if n == 0 {
                break;
            }
            // Alternate between the tokenizer's way (consume) and the fast lane's (advance).
            let take = n.min(5);
            if advanced {
                w.consume(take);
            } else {
                let lent = w.lend();
                assert_eq!(w.unread_in(&lent).len(), n);
                let newlines = count_newlines(&w.unread_in(&lent)[..take]);
                w.advance_in(&lent, take, newlines);
                assert_eq!(w.line(), 4 + (consumed + take) as u64 / 9);
                w.restore(lent);
            }
            advanced = !advanced;
            consumed += take;
            assert_eq!(w.line(), 4 + consumed as u64 / 9, "after {consumed} bytes");
        }
        assert_eq!(consumed, body.len());
        assert_eq!(w.line(), 24);
    }

    #[test]
    fn token_guard_fails_after_max_bytes_without_reset() {
        let data = [b'x'; 100];
        let mut g = TokenGuard::new(io::BufReader::with_capacity(8, &data[..]), 20);
        let mut got = 0;
        let err = loop {
            match g.fill_buf() {
                Ok([]) => panic!("guard never fired"),
                Ok(b) => {
                    let n = b.len();
                    g.consume(n);
                    got += n;
                }
                Err(e) => break e,
            }
        };
        assert_eq!(got, 20, "hands out exactly the allowance, then fails");
        assert!(err
            .get_ref()
            .unwrap()
            .downcast_ref::<TokenTooLong>()
            .is_some());
        g.reset();
        // The rest of the third 8-byte chunk, after the 4 bytes the allowance let through.
        assert_eq!(g.fill_buf().unwrap(), b"xxxx");
    }

    #[test]
    fn skips_a_broken_dtd_without_interpreting_it() {
        let doc = b"<?xml version=\"1.0\"?>\n<!DOCTYPE HealthData [\n<!-- HealthKit Export Version: 12 -->\n<!ATTLIST VisionPrescription\n  type CDATA #IMPLIED\n<!ELEMENT RightEye EMPTY>\n]>\n<HealthData locale=\"en_US\">";
        let (rest, p, nl) = prolog(doc).unwrap();
        assert!(rest.starts_with(b"<HealthData"));
        assert_eq!(p.export_version, Some(12));
        assert!(p.had_doctype);
        assert_eq!(nl, 7);
    }

    #[test]
    fn refuses_entity_declarations() {
        let doc = b"<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;\">]><HealthData/>";
        assert!(prolog(doc).is_err());
        let xxe = b"<!DOCTYPE HealthData [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><HealthData>&x;</HealthData>";
        assert!(prolog(xxe).is_err());
    }

    #[test]
    fn empty_and_textual_inputs_are_errors() {
        assert!(prolog(b"").is_err());
        assert!(prolog(b"   \n").is_err());
        assert!(prolog(b"hello").is_err());
        assert!(prolog(b"<!DOCTYPE HealthData [ <!ELEMENT a EMPTY>").is_err());
    }
}
