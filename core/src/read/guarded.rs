//! Whole-document reads that enforce the document's own token limits while the bytes arrive.
//!
//! Some formats are parsed from one buffer: a FHIR Bundle, a CSV download, a Takeout JSON file, a checkup
//! CDA, a consent or mapping file. Reading such a document is bounded by a document limit (1 GiB for a
//! Bundle), but a hostile input can put its weight in one token — a 1 GB JSON string, 1 GB of `[`, a 1 GB
//! CSV "line" — that the parser would refuse only after the whole thing is in memory. [`read_document`] runs
//! a tiny scanner over each chunk as it is read and stops at the first token over its limit, so a hostile
//! token costs at most its limit in memory, not the document limit.
//!
//! The scanners only look for token boundaries (quotes, brackets, newlines); they never judge whether the
//! document is valid — the format's parser does that afterwards, with precise locations.

use std::io::{self, Read};

use crate::error::{Error, Limit, Location, Result};
use crate::fhir::JsonLimits;

/// What a token is in the document being read.
#[derive(Clone, Copy, Debug)]
pub enum TokenRule {
    /// JSON: one string (escapes included) and the nesting depth of objects and arrays.
    Json(JsonLimits),
    /// Line-oriented text (CSV): the bytes of one line.
    Lines {
        /// Maximum bytes between two newlines.
        max_line_bytes: usize,
    },
    /// No token rule: only the document limit applies.
    Whole,
}

/// Reads `r` to its end into memory, refusing more than `max_document` bytes and any token over `rule`.
///
/// Errors are typed: `LimitExceeded` (`DocumentBytes`, `StringBytes`, `Depth` or `TokenBytes`, with the
/// byte offset or line where the token started), or the typed error a guarded zip stream reported.
pub fn read_document(mut r: impl Read, max_document: u64, rule: TokenRule) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut scanner = Scanner::new(rule);
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        let n = match r.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(io_error(e)),
        };
        if out.len() as u64 + n as u64 > max_document {
            return Err(Error::limit(
                Limit::DocumentBytes,
                max_document,
                Location::None,
            ));
        }
        scanner.feed(&chunk[..n], out.len() as u64)?;
        out.extend_from_slice(&chunk[..n]);
    }
    Ok(out)
}

/// A limit reported by a guarded zip stream stays a typed limit; any other failure is the I/O error it is.
fn io_error(e: io::Error) -> Error {
    let guarded = e
        .get_ref()
        .is_some_and(|inner| inner.is::<super::container::GuardError>());
    if guarded {
        super::container::map_io_error(&e).unwrap_or_else(|| Error::from(e))
    } else {
        Error::from(e)
    }
}

/// Incremental token scanner; state carries over chunk boundaries.
#[derive(Debug)]
struct Scanner {
    rule: TokenRule,
    /// JSON: inside a string, after a backslash, bytes of the current string, nesting depth.
    in_string: bool,
    escaped: bool,
    token_bytes: usize,
    token_start: u64,
    depth: usize,
    /// Lines: newlines seen so far (for the line number of an over-long line).
    lines: u64,
}

impl Scanner {
    fn new(rule: TokenRule) -> Scanner {
        Scanner {
            rule,
            in_string: false,
            escaped: false,
            token_bytes: 0,
            token_start: 0,
            depth: 0,
            lines: 0,
        }
    }

    /// Scans `bytes`, which start at byte `offset` of the document.
    fn feed(&mut self, bytes: &[u8], offset: u64) -> Result<()> {
        match self.rule {
            TokenRule::Json(limits) => self.feed_json(bytes, offset, limits),
            TokenRule::Lines { max_line_bytes } => self.feed_lines(bytes, max_line_bytes),
            TokenRule::Whole => Ok(()),
        }
    }

    fn feed_lines(&mut self, bytes: &[u8], max: usize) -> Result<()> {
        let mut rest = bytes;
        while let Some(at) = memchr::memchr(b'\n', rest) {
            self.check_line(self.token_bytes + at, max)?;
            self.token_bytes = 0;
            self.lines += 1;
            rest = &rest[at + 1..];
        }
        self.token_bytes += rest.len();
        self.check_line(self.token_bytes, max)
    }

    fn check_line(&self, len: usize, max: usize) -> Result<()> {
        if len <= max {
            return Ok(());
        }
        let at = Location::LineColumn {
            line: self.lines + 1,
            column: 1,
        };
        Err(Error::limit(Limit::TokenBytes, max as u64, at))
    }

    fn feed_json(&mut self, bytes: &[u8], offset: u64, limits: JsonLimits) -> Result<()> {
        let mut i = 0;
        while i < bytes.len() {
            if self.in_string {
                i = self.string_run(bytes, i, limits)?;
                continue;
            }
            match bytes[i] {
                b'"' => {
                    self.in_string = true;
                    self.token_bytes = 0;
                    self.token_start = offset + i as u64;
                }
                b'{' | b'[' => {
                    self.depth += 1;
                    if self.depth > limits.max_depth {
                        let at = Location::Byte(offset + i as u64);
                        return Err(Error::limit(Limit::Depth, limits.max_depth as u64, at));
                    }
                }
                b'}' | b']' => self.depth = self.depth.saturating_sub(1),
                _ => {}
            }
            i += 1;
        }
        Ok(())
    }

    /// Consumes string bytes from `i`; returns where to go on.
    fn string_run(&mut self, bytes: &[u8], i: usize, limits: JsonLimits) -> Result<usize> {
        let next = if self.escaped {
            self.escaped = false;
            self.token_bytes += 1;
            i + 1
        } else {
            match memchr::memchr2(b'"', b'\\', &bytes[i..]) {
                None => {
                    self.token_bytes += bytes.len() - i;
                    bytes.len()
                }
                Some(k) => {
                    self.token_bytes += k;
                    if bytes[i + k] == b'"' {
                        self.in_string = false;
                    } else {
                        self.escaped = true;
                        self.token_bytes += 1;
                    }
                    i + k + 1
                }
            }
        };
        if self.token_bytes > limits.max_string_bytes {
            let at = Location::Byte(self.token_start);
            return Err(Error::limit(
                Limit::StringBytes,
                limits.max_string_bytes as u64,
                at,
            ));
        }
        Ok(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    fn json(max_depth: usize, max_string_bytes: usize) -> TokenRule {
        TokenRule::Json(JsonLimits {
            max_depth,
            max_string_bytes,
        })
    }

    /// Reads `doc` in `chunk`-byte pieces so state must survive chunk boundaries.
    fn read_in_pieces(doc: &[u8], chunk: usize, rule: TokenRule) -> Result<Vec<u8>> {
        struct Pieces<'a>(&'a [u8], usize);
        impl Read for Pieces<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let n = self.0.len().min(self.1).min(buf.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        read_document(Pieces(doc, chunk), 1 << 20, rule)
    }

    fn limit_of(e: &Error) -> (Limit, Location) {
        match e.kind() {
            ErrorKind::LimitExceeded {
                limit, location, ..
            } => (*limit, location.clone()),
            other => panic!("not a limit error: {other:?}"),
        }
    }

    #[test]
    fn json_within_limits_is_returned_unchanged() {
        let doc = br#"{"a":["x\"y\\", {"b": "\u00e9"}], "c": "12345"}"#;
        for chunk in [1, 2, 3, 7, 1000] {
            assert_eq!(read_in_pieces(doc, chunk, json(3, 6)).unwrap(), doc);
        }
    }

    #[test]
    fn long_json_string_is_refused_at_its_start_across_chunks() {
        let doc = br#"{"a": "123456"}"#;
        for chunk in [1, 4, 1000] {
            let e = read_in_pieces(doc, chunk, json(8, 5)).unwrap_err();
            assert_eq!(limit_of(&e), (Limit::StringBytes, Location::Byte(6)));
        }
    }

    #[test]
    fn escaped_quotes_do_not_end_a_string() {
        let doc = br#"["\"\"\"\""]"#;
        assert!(read_in_pieces(doc, 1, json(8, 8)).is_ok());
        let e = read_in_pieces(doc, 1, json(8, 7)).unwrap_err();
        assert_eq!(limit_of(&e).0, Limit::StringBytes);
    }

    #[test]
    fn brackets_inside_strings_do_not_count_as_depth() {
        assert!(read_in_pieces(br#"[["[[[[[["]]"#, 2, json(2, 100)).is_ok());
        let e = read_in_pieces(b"[[[", 2, json(2, 100)).unwrap_err();
        assert_eq!(limit_of(&e), (Limit::Depth, Location::Byte(2)));
    }

    #[test]
    fn over_long_line_is_refused_with_its_line_number() {
        let rule = TokenRule::Lines { max_line_bytes: 4 };
        assert!(read_in_pieces(b"abcd\nefgh\n", 3, rule).is_ok());
        let e = read_in_pieces(b"abcd\nefgh\nijklm\n", 3, rule).unwrap_err();
        let at = Location::LineColumn { line: 3, column: 1 };
        assert_eq!(limit_of(&e), (Limit::TokenBytes, at));
    }

    #[test]
    fn document_limit_applies_to_every_rule() {
        let e = read_document(&[b' '; 100][..], 99, TokenRule::Whole).unwrap_err();
        assert_eq!(limit_of(&e).0, Limit::DocumentBytes);
        assert_eq!(
            read_document(&[b' '; 99][..], 99, TokenRule::Whole)
                .unwrap()
                .len(),
            99
        );
    }
}
