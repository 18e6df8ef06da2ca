//! A small attribute scanner for the hot path.
//!
//! Every record has about nine attributes; quick-xml's general iterator (quote styles, HTML-style
//! values, duplicate checks) was a sixth of the reader's time. Apple writes `name="value"` pairs separated
//! by whitespace, which this scanner reads with `memchr` for the closing quote. It still accepts single
//! quotes and whitespace around `=`, and reports anything else (a name without a value, an unclosed
//! quote) as malformed, like the general parser would.

/// Iterates over `(name, raw value)` pairs of a start tag's attribute bytes.
pub(crate) struct RawAttrs<'a> {
    rest: &'a [u8],
}

/// An attribute the scanner could not read.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Malformed;

impl<'a> RawAttrs<'a> {
    pub(crate) fn new(raw: &'a [u8]) -> Self {
        RawAttrs { rest: raw }
    }
}

fn skip_ws(b: &[u8]) -> &[u8] {
    let n = b.iter().take_while(|c| c.is_ascii_whitespace()).count();
    &b[n..]
}

impl<'a> Iterator for RawAttrs<'a> {
    type Item = Result<(&'a [u8], &'a [u8]), Malformed>;

    fn next(&mut self) -> Option<Self::Item> {
        let b = skip_ws(self.rest);
        if b.is_empty() {
            return None;
        }
        // Names are short: a plain scan beats memchr's setup cost here.
        let Some(eq) = b.iter().position(|&c| c == b'=') else {
            self.rest = &[];
            return Some(Err(Malformed));
        };
        let name = b[..eq].trim_ascii_end();
        let after = skip_ws(&b[eq + 1..]);
        let quote = match after.first() {
            Some(q @ (b'"' | b'\'')) => *q,
            _ => {
                self.rest = &[];
                return Some(Err(Malformed));
            }
        };
        let Some(close) = memchr::memchr(quote, &after[1..]) else {
            self.rest = &[];
            return Some(Err(Malformed));
        };
        if name.is_empty() || name.iter().any(|c| c.is_ascii_whitespace() || *c == b'<') {
            self.rest = &[];
            return Some(Err(Malformed));
        }
        let value = &after[1..1 + close];
        self.rest = &after[2 + close..];
        Some(Ok((name, value)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_pairs_in_both_quote_styles() {
        let got: Vec<_> = RawAttrs::new(b" type=\"a b\"\n  unit = 'kg' value=\"\"")
            .map(|r| r.unwrap())
            .collect();
        assert_eq!(
            got,
            vec![
                (&b"type"[..], &b"a b"[..]),
                (b"unit", b"kg"),
                (b"value", b"")
            ]
        );
    }

    #[test]
    fn reports_malformed_attributes() {
        for bad in [
            &b" type"[..],
            b" type=a",
            b" type=\"open",
            b" =\"x\"",
            b" a b=\"x\"",
        ] {
            assert_eq!(RawAttrs::new(bad).last(), Some(Err(Malformed)), "{bad:?}");
        }
    }
}
