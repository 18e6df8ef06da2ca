//! A pre-parse scan of one JSON document that enforces depth and string-size limits and finds the top-level
//! `resourceType`, reporting a JSON pointer when a limit is hit.
//!
//! serde_json's own recursion limit (128) is both too deep for FHIR (a real resource nests about 10 levels)
//! and reports no path. This scan is a single pass with no allocation in the common case.

use memchr::memchr2;

/// Limits on one JSON document.
#[derive(Clone, Copy, Debug)]
pub struct JsonLimits {
    /// Maximum nesting depth of objects and arrays.
    pub max_depth: usize,
    /// Maximum bytes of one string (key or value), escapes included.
    pub max_string_bytes: usize,
}

impl Default for JsonLimits {
    fn default() -> Self {
        JsonLimits {
            max_depth: 32,
            max_string_bytes: 8 * 1024 * 1024,
        }
    }
}

/// Why a scan stopped.
#[derive(Debug, PartialEq, Eq)]
pub enum ScanError {
    /// Nesting deeper than allowed, at this pointer.
    TooDeep(String),
    /// A string longer than allowed, at this pointer.
    StringTooLong(String),
}

enum Frame {
    Object {
        key: Option<(usize, usize)>,
        expect_key: bool,
    },
    Array {
        index: usize,
    },
}

/// What the scan found.
#[derive(Debug, Default)]
pub struct ScanInfo<'a> {
    /// The top-level `resourceType` string, if present and unescaped.
    pub resource_type: Option<&'a str>,
}

/// Scans `input`; malformed JSON is not an error here (serde reports it with a position afterwards).
pub fn scan<'a>(input: &'a [u8], limits: &JsonLimits) -> Result<ScanInfo<'a>, ScanError> {
    let mut stack: Vec<Frame> = Vec::with_capacity(16);
    let mut info = ScanInfo::default();
    let mut i = 0;
    while i < input.len() {
        let b = input[i];
        match b {
            b'{' | b'[' => {
                if stack.len() >= limits.max_depth {
                    return Err(ScanError::TooDeep(pointer(input, &stack)));
                }
                stack.push(if b == b'{' {
                    Frame::Object {
                        key: None,
                        expect_key: true,
                    }
                } else {
                    Frame::Array { index: 0 }
                });
            }
            b'}' | b']' => {
                stack.pop();
            }
            b',' => match stack.last_mut() {
                Some(Frame::Array { index }) => *index += 1,
                Some(Frame::Object { expect_key, .. }) => *expect_key = true,
                None => {}
            },
            b'"' => {
                let start = i + 1;
                let mut j = start;
                let mut escaped = false;
                let end = loop {
                    match memchr2(b'"', b'\\', &input[j..]) {
                        None => break input.len(),
                        Some(off) => {
                            let k = j + off;
                            if input[k] == b'\\' {
                                escaped = true;
                                j = k + 2;
                                if j > input.len() {
                                    break input.len();
                                }
                            } else {
                                break k;
                            }
                        }
                    }
                };
                if end - start > limits.max_string_bytes {
                    return Err(ScanError::StringTooLong(pointer(input, &stack)));
                }
                let depth = stack.len();
                if let Some(Frame::Object { key, expect_key }) = stack.last_mut() {
                    if *expect_key {
                        *key = Some((start, end));
                        *expect_key = false;
                    } else if depth == 1
                        && !escaped
                        && key.map(|(s, e)| &input[s..e]) == Some(b"resourceType")
                    {
                        info.resource_type = std::str::from_utf8(&input[start..end]).ok();
                    }
                }
                i = end;
            }
            _ => {}
        }
        i += 1;
    }
    Ok(info)
}

fn pointer(input: &[u8], stack: &[Frame]) -> String {
    let mut p = String::new();
    for f in stack {
        match f {
            Frame::Object {
                key: Some((s, e)), ..
            } => {
                p.push('/');
                let k = String::from_utf8_lossy(&input[*s..*e]);
                p.push_str(&k.replace('~', "~0").replace('/', "~1"));
            }
            Frame::Object { key: None, .. } => {}
            Frame::Array { index } => {
                p.push('/');
                p.push_str(&index.to_string());
            }
        }
    }
    if p.is_empty() {
        p.push('/');
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_resource_type_and_ignores_nested_ones() {
        let doc = br#"{"contained":[{"resourceType":"Device"}],"resourceType":"Observation"}"#;
        assert_eq!(
            scan(doc, &JsonLimits::default()).unwrap().resource_type,
            Some("Observation")
        );
    }

    #[test]
    fn reports_pointer_of_too_deep_nesting() {
        let mut doc = String::from(r#"{"resourceType":"Observation","extension":["#);
        for _ in 0..100 {
            doc.push('[');
        }
        let e = scan(doc.as_bytes(), &JsonLimits::default()).unwrap_err();
        let ScanError::TooDeep(p) = e else {
            panic!("wrong error")
        };
        assert!(p.starts_with("/extension/0/0"), "{p}");
    }

    #[test]
    fn reports_pointer_of_oversized_string() {
        let limits = JsonLimits {
            max_depth: 32,
            max_string_bytes: 10,
        };
        let doc = br#"{"a":[1,{"b":"0123456789abc"}]}"#;
        assert_eq!(
            scan(doc, &limits).unwrap_err(),
            ScanError::StringTooLong("/a/1/b".into())
        );
    }

    #[test]
    fn truncated_input_does_not_panic() {
        for doc in [&b"{\"a\":\"\\"[..], b"{\"a", b"[[[", b"\"", b"\\"] {
            let _ = scan(doc, &JsonLimits::default());
        }
    }
}
