//! A minimal JSON emitter with a fixed key order.
//!
//! The FHIR writer emits resources straight into a reused byte buffer instead of building a tree and
//! serialising it: several times faster, and the fixed order makes output byte-identical across runs.

/// Writes JSON into a byte buffer, tracking where commas go.
pub(crate) struct JsonOut<'a> {
    buf: &'a mut Vec<u8>,
    /// Bit `d` is set when the container open at depth `d` already has a member (no allocation; the
    /// writer never nests deeper than a handful of levels, and depth is capped at 63).
    has_member: u64,
    depth: u32,
    /// A key was just written; the next value belongs to it.
    pending_key: bool,
}

impl<'a> JsonOut<'a> {
    pub(crate) fn new(buf: &'a mut Vec<u8>) -> JsonOut<'a> {
        JsonOut {
            buf,
            has_member: 0,
            depth: 0,
            pending_key: false,
        }
    }

    fn sep(&mut self) {
        if self.pending_key {
            self.pending_key = false;
            return;
        }
        if self.depth > 0 {
            let bit = 1u64 << self.depth;
            if self.has_member & bit != 0 {
                self.buf.push(b',');
            }
            self.has_member |= bit;
        }
    }

    fn open(&mut self) {
        self.depth = (self.depth + 1).min(63);
        self.has_member &= !(1u64 << self.depth);
    }

    fn close(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    pub(crate) fn begin_object(&mut self) {
        self.sep();
        self.buf.push(b'{');
        self.open();
    }

    pub(crate) fn end_object(&mut self) {
        self.buf.push(b'}');
        self.close();
    }

    pub(crate) fn begin_array(&mut self) {
        self.sep();
        self.buf.push(b'[');
        self.open();
    }

    pub(crate) fn end_array(&mut self) {
        self.buf.push(b']');
        self.close();
    }

    /// Writes `"key":`; the next value call supplies the value.
    pub(crate) fn key(&mut self, key: &str) {
        self.sep();
        write_escaped(self.buf, key);
        self.buf.push(b':');
        self.pending_key = true;
    }

    pub(crate) fn string(&mut self, value: &str) {
        self.sep();
        write_escaped(self.buf, value);
    }

    /// A number or literal already in JSON syntax.
    pub(crate) fn raw(&mut self, value: &str) {
        self.sep();
        self.buf.extend_from_slice(value.as_bytes());
    }

    pub(crate) fn field_raw(&mut self, key: &str, value: &str) {
        self.key(key);
        self.raw(value);
    }

    /// A timestamp as a JSON string, formatted in place.
    pub(crate) fn field_timestamp(&mut self, key: &str, t: &crate::record::Timestamp) {
        self.key(key);
        self.sep();
        self.buf.push(b'"');
        crate::record::write_timestamp(self.buf, t);
        self.buf.push(b'"');
    }

    /// A value written through `Display` straight into the buffer (numbers), without a temporary String.
    pub(crate) fn field_display(&mut self, key: &str, value: &dyn std::fmt::Display) {
        use std::io::Write;
        self.key(key);
        self.sep();
        let _ = write!(self.buf, "{value}");
    }

    pub(crate) fn field_str(&mut self, key: &str, value: &str) {
        self.key(key);
        self.string(value);
    }

    pub(crate) fn key_object(&mut self, key: &str) {
        self.key(key);
        self.begin_object();
    }

    pub(crate) fn key_array(&mut self, key: &str) {
        self.key(key);
        self.begin_array();
    }
}

/// Writes a JSON string literal with the escapes RFC 8259 requires.
pub(crate) fn write_escaped(buf: &mut Vec<u8>, s: &str) {
    buf.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let esc: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0..=0x1f => {
                buf.extend_from_slice(&bytes[start..i]);
                let hex = b"0123456789abcdef";
                buf.extend_from_slice(b"\\u00");
                buf.push(hex[(b >> 4) as usize]);
                buf.push(hex[(b & 0xf) as usize]);
                start = i + 1;
                continue;
            }
            _ => continue,
        };
        buf.extend_from_slice(&bytes[start..i]);
        buf.extend_from_slice(esc);
        start = i + 1;
    }
    buf.extend_from_slice(&bytes[start..]);
    buf.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emits_valid_json_with_commas_and_escapes() {
        let mut buf = Vec::new();
        let mut j = JsonOut::new(&mut buf);
        j.begin_object();
        j.field_str("a", "x\"y\n\u{1}");
        j.key_array("b");
        j.string("1");
        j.begin_object();
        j.field_display("c", &"2.50");
        j.end_object();
        j.end_array();
        j.key_object("d");
        j.end_object();
        j.end_object();
        let s = String::from_utf8(buf).unwrap();
        assert_eq!(s, r#"{"a":"x\"y\n\u0001","b":["1",{"c":2.50}],"d":{}}"#);
        let v: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(v["a"], "x\"y\n\u{1}");
    }
}
