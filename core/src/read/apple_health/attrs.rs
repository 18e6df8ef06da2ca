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

/// One attribute: `(name, raw value)`, or why it could not be read.
type Item<'a> = Result<(&'a [u8], &'a [u8]), Malformed>;

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

impl<'a> RawAttrs<'a> {
    /// The shape Apple always writes — one whitespace byte, a plain name, `="`, the value, `"` — read
    /// in one pass over the name. `None` sends anything else (end of tag, whitespace around `=`, single
    /// quotes, errors) to the general path, which gives the same answer for this shape.
    #[inline]
    fn fast(&mut self) -> Option<(&'a [u8], &'a [u8])> {
        let b = match self.rest {
            [b' ' | b'\n' | b'\t' | b'\r', rest @ ..] => rest,
            _ => return None,
        };
        let mut eq = 0;
        loop {
            match *b.get(eq)? {
                b'=' => break,
                c if c <= b' ' || c == b'<' => return None,
                _ => eq += 1,
            }
        }
        if eq == 0 || b.get(eq + 1) != Some(&b'"') {
            return None;
        }
        let value_at = eq + 2;
        let close = memchr::memchr(b'"', &b[value_at..])?;
        self.rest = &b[value_at + close + 1..];
        Some((&b[..eq], &b[value_at..value_at + close]))
    }

    /// Any well-formed attribute (whitespace around `=`, either quote), or [`Malformed`].
    fn general(&mut self) -> Option<Item<'a>> {
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

impl<'a> Iterator for RawAttrs<'a> {
    type Item = Item<'a>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        match self.fast() {
            Some(pair) => Some(Ok(pair)),
            None => self.general(),
        }
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
    fn fast_path_agrees_with_the_general_scanner() {
        for raw in [
            &b" type=\"a\" unit=\"kg\""[..],
            b"\ntype=\"a\"\tvalue=\"1\"",
            b" type =\"a\"",
            b" type= 'a'",
            b"  type=\"a\"",
            b" a b=\"x\"",
            b" =\"x\"",
            b" t<=\"x\"",
            b" type=\"open",
            b" type=\"\" end=\"x\" ",
        ] {
            let mixed: Vec<_> = RawAttrs::new(raw).collect();
            let mut general = RawAttrs::new(raw);
            let reference: Vec<_> = std::iter::from_fn(|| general.general()).collect();
            assert_eq!(mixed, reference, "{}", String::from_utf8_lossy(raw));
        }
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
