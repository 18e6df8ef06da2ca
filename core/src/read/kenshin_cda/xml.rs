//! A small, bounded element tree for one CDA / index document, built in one streaming pass with quick-xml.
//!
//! One `hc08` file is one person's checkup (kilobytes), so a per-document tree keeps the mapping code
//! simple while memory stays bounded by the document-size and node-count limits. Safety rules:
//! - a DOCTYPE with entity declarations is refused with a typed error (billion laughs, XXE); quick-xml
//!   never expands entities, and only the five predefined ones and character references are resolved;
//! - input must be UTF-8 (a leading BOM is stripped, rule R2); invalid UTF-8 is an error with its line;
//! - nesting depth and node count are capped (`LimitExceeded`).
//!
//! Names are kept as local names (namespace prefixes dropped, rule R4/R17): CDA readers match on local
//! names because writers differ in prefixes and default namespaces.

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use crate::error::{Error, Limit, Location, Result};

/// Maximum element nesting depth (CDA documents nest about 12 deep).
pub const MAX_DEPTH: usize = 64;
/// Maximum elements in one document (a full checkup has a few thousand).
pub const MAX_NODES: usize = 200_000;

/// One element.
#[derive(Debug, Default)]
pub(crate) struct Node {
    /// Local name.
    pub name: String,
    /// Attributes by local name (`xsi:type` → `type`), values unescaped.
    pub attrs: Vec<(String, String)>,
    /// Child elements in order.
    pub children: Vec<Node>,
    /// Concatenated text content directly inside this element.
    pub text: String,
    /// 1-based line of the start tag.
    pub line: u64,
    /// Namespace URI declared by `xmlns` on this element, if any (used for the index namespace check).
    pub xmlns: Option<String>,
}

impl Node {
    pub(crate) fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }

    pub(crate) fn children<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// Follows a `/`-separated path of child names (first match at each step).
    pub(crate) fn path(&self, path: &str) -> Option<&Node> {
        path.split('/').try_fold(self, |n, seg| n.child(seg))
    }

    /// Trimmed text, `None` when empty.
    pub(crate) fn text_opt(&self) -> Option<&str> {
        let t = self.text.trim();
        (!t.is_empty()).then_some(t)
    }
}

struct Builder<'a> {
    format: &'static str,
    input: &'a [u8],
    nodes: usize,
}

impl Builder<'_> {
    fn line_at(&self, pos: u64) -> u64 {
        let end = (pos as usize).min(self.input.len());
        1 + memchr::memchr_iter(b'\n', &self.input[..end]).count() as u64
    }

    fn err(&self, pos: u64, path: &[Node], reason: &str) -> Error {
        Error::format(self.format, self.loc(pos, path), reason)
    }

    fn loc(&self, pos: u64, path: &[Node]) -> Location {
        let mut p = String::new();
        for n in path {
            p.push('/');
            p.push_str(&n.name);
        }
        if p.is_empty() {
            p.push('/');
        }
        Location::XmlPath {
            path: p,
            line: Some(self.line_at(pos)),
        }
    }

    fn element(&mut self, e: &BytesStart<'_>, pos: u64, stack: &[Node]) -> Result<Node> {
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return Err(Error::limit(
                Limit::Items,
                MAX_NODES as u64,
                self.loc(pos, stack),
            ));
        }
        let name = std::str::from_utf8(e.local_name().as_ref())
            .map_err(|_| self.err(pos, stack, "element name is not UTF-8"))?
            .to_owned();
        let mut node = Node {
            name,
            line: self.line_at(pos),
            ..Node::default()
        };
        for a in e.attributes() {
            let a = a.map_err(|_| self.err(pos, stack, "malformed attribute"))?;
            let key = a.key;
            let value = a.unescape_value().map_err(|_| {
                self.err(
                    pos,
                    stack,
                    "attribute value is not UTF-8 or uses an undeclared entity",
                )
            })?;
            if key.as_ref() == b"xmlns" {
                node.xmlns = Some(value.to_string());
                continue;
            }
            if key.prefix().is_some_and(|p| p.as_ref() == b"xmlns") {
                continue;
            }
            let local = std::str::from_utf8(key.local_name().as_ref())
                .map_err(|_| self.err(pos, stack, "attribute name is not UTF-8"))?
                .to_owned();
            node.attrs.push((local, value.into_owned()));
        }
        Ok(node)
    }
}

/// Parses one whole XML document into its root element.
pub(crate) fn parse(input: &[u8], format: &'static str) -> Result<Node> {
    let body = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
    let mut reader = Reader::from_reader(body);
    reader.config_mut().check_end_names = true;
    let mut b = Builder {
        format,
        input: body,
        nodes: 0,
    };
    let mut stack: Vec<Node> = Vec::new();
    let mut root: Option<Node> = None;
    loop {
        let pos = reader.buffer_position();
        let ev = match reader.read_event() {
            Ok(ev) => ev,
            Err(e) => {
                let at = reader.error_position();
                return Err(b.err(at, &stack, &xml_reason(&e)));
            }
        };
        match ev {
            Event::Start(_) | Event::Empty(_) if root.is_some() && stack.is_empty() => {
                return Err(b.err(pos, &stack, "more than one root element"));
            }
            Event::Start(e) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(Error::limit(
                        Limit::Depth,
                        MAX_DEPTH as u64,
                        b.loc(pos, &stack),
                    ));
                }
                let n = b.element(&e, pos, &stack)?;
                stack.push(n);
            }
            Event::Empty(e) => {
                let n = b.element(&e, pos, &stack)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(n),
                    None => root = Some(n),
                }
            }
            Event::End(_) => {
                let Some(n) = stack.pop() else {
                    return Err(b.err(pos, &stack, "unmatched end tag"));
                };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(n),
                    None => root = Some(n),
                }
            }
            Event::Text(t) => {
                let s = t
                    .xml_content()
                    .map_err(|_| b.err(pos, &stack, "text is not valid UTF-8"))?;
                push_text(&b, &mut stack, pos, &s)?;
            }
            Event::CData(t) => {
                let s = std::str::from_utf8(&t)
                    .map_err(|_| b.err(pos, &stack, "CDATA is not valid UTF-8"))?
                    .to_owned();
                push_text(&b, &mut stack, pos, &s)?;
            }
            Event::GeneralRef(r) => {
                let resolved =
                    match r.resolve_char_ref() {
                        Ok(Some(c)) => c,
                        Ok(None) => {
                            let name = r
                                .decode()
                                .map_err(|_| b.err(pos, &stack, "reference is not UTF-8"))?;
                            match &*name {
                                "amp" => '&',
                                "lt" => '<',
                                "gt" => '>',
                                "quot" => '"',
                                "apos" => '\'',
                                _ => return Err(b.err(
                                    pos,
                                    &stack,
                                    "reference to an undeclared entity (entities are not expanded)",
                                )),
                            }
                        }
                        Err(_) => return Err(b.err(pos, &stack, "invalid character reference")),
                    };
                push_text(&b, &mut stack, pos, resolved.encode_utf8(&mut [0; 4]))?;
            }
            Event::DocType(d) => {
                if memchr::memmem::find(&d, b"<!ENTITY").is_some()
                    || memchr::memmem::find(&d, b"ENTITY").is_some()
                {
                    return Err(b.err(
                        pos,
                        &stack,
                        "DOCTYPE entity declarations are refused (entity expansion / external entities)",
                    ));
                }
            }
            Event::Decl(d) => {
                if let Some(Ok(enc)) = d.encoding() {
                    let enc = enc.to_ascii_lowercase();
                    if enc.as_slice() != b"utf-8" && enc.as_slice() != b"utf8" {
                        // Rule R2: no other encoding has been seen; refuse rather than misread.
                        return Err(b.err(
                            pos,
                            &stack,
                            "XML declaration names an encoding other than UTF-8",
                        ));
                    }
                }
            }
            Event::Comment(_) | Event::PI(_) => {}
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err(b.err(
            body.len() as u64,
            &stack,
            "unexpected end of document (unclosed element)",
        ));
    }
    root.ok_or_else(|| b.err(0, &[], "no root element"))
}

fn push_text(b: &Builder<'_>, stack: &mut [Node], pos: u64, s: &str) -> Result<()> {
    match stack.last_mut() {
        Some(n) => {
            n.text.push_str(s);
            Ok(())
        }
        None if s.trim().is_empty() => Ok(()),
        None => Err(b.err(pos, &[], "text outside the root element")),
    }
}

fn xml_reason(e: &quick_xml::Error) -> String {
    // quick-xml messages may quote names from the input; keep only the category.
    use quick_xml::Error as E;
    match e {
        E::Syntax(s) => format!("malformed XML ({s})"),
        E::IllFormed(_) => "ill-formed XML (mismatched or unexpected tags)".to_owned(),
        E::Encoding(_) => "text is not valid UTF-8".to_owned(),
        E::Escape(_) => "invalid escape or entity reference".to_owned(),
        E::InvalidAttr(_) => "malformed attribute".to_owned(),
        E::Io(_) => "I/O error".to_owned(),
        _ => "malformed XML".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_tree_with_local_names_and_entities() {
        let x = "\u{feff}<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<a xmlns=\"urn:hl7-org:v3\" xmlns:xsi=\"x\"><b xsi:type=\"PQ\" v=\"1&amp;2\"/><c>x &lt; y &#x41;</c></a>";
        let n = parse(x.as_bytes(), "t").unwrap();
        assert_eq!(n.name, "a");
        assert_eq!(n.xmlns.as_deref(), Some("urn:hl7-org:v3"));
        assert_eq!(n.child("b").unwrap().attr("type"), Some("PQ"));
        assert_eq!(n.child("b").unwrap().attr("v"), Some("1&2"));
        assert_eq!(n.child("c").unwrap().text, "x < y A");
        assert_eq!(n.child("c").unwrap().line, 2);
    }

    #[test]
    fn refuses_entities_and_truncation() {
        let bomb = b"<?xml version=\"1.0\"?><!DOCTYPE l [<!ENTITY a \"aaaa\">]><l>&a;</l>";
        let e = parse(bomb, "t").unwrap_err();
        assert!(e.to_string().contains("DOCTYPE entity"), "{e}");
        let e = parse(b"<a>&x;</a>", "t").unwrap_err();
        assert!(e.to_string().contains("undeclared entity"), "{e}");
        assert!(parse(b"<a><b></a>", "t").is_err());
        assert!(parse(b"<a><b>", "t").is_err());
    }
}
