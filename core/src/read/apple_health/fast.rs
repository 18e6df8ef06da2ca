//! The fast lane: a `Record` element taken whole from the reader's buffer, without the tokenizer.
//!
//! Nine in ten elements of an export are `Record`s of one shape: a start tag with `name="value"`
//! attributes, empty or holding a few empty `MetadataEntry` elements. The general path tokenizes each
//! tag with quick-xml (which walks every attribute value once to find the tag's end, then copies the tag
//! into an event buffer) and then walks the attributes again. Here one pass over the buffered bytes both
//! finds the end of the element and splits the attributes, borrowing everything from the buffer.
//!
//! The lane only *recognises*; it never decides anything about content. [`scan_record`] accepts a strict
//! subset of well-formed XML — the subset Apple writes — and returns false for everything
//! else (a comment or text inside the record, single quotes, whitespace around `=`, an unknown child, a
//! child with content, more attributes or entries than it keeps, an element cut by the end of the
//! buffer). The general path then reads that element exactly as before, so the lane can only change
//! speed: the same attributes and entries reach the same record-building code either way.
//! `lane_tests.rs` and the fuzz target `read_apple_health_xml` read documents both ways and compare
//! records, reports and errors.

use super::attrs::Malformed;

/// Attributes kept per `Record` tag (Apple writes at most nine); a tag with more goes the general way.
pub(crate) const MAX_ATTRS: usize = 12;

/// `MetadataEntry` children kept per record (Apple writes one or two); more go the general way.
pub(crate) const MAX_ENTRIES: usize = 8;

/// A point inside the scanned slice: its offset and the newlines before it. The general path reads a
/// record event by event and names, in any error, the line it has reached; the fast lane moves the reader
/// to the same points before the same calls, so lines agree.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Mark {
    pub(crate) at: usize,
    pub(crate) newlines: u64,
}

/// One attribute (name and raw, still escaped, value) with the slot its name fills in a `Record`,
/// `Correlation` or `Workout` head.
pub(crate) type SlotPair<'a> = (Slot, &'a [u8], &'a [u8]);

/// The head attributes the reader keeps, by name; `Other` for every other name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Slot {
    Type,
    SourceName,
    SourceVersion,
    Device,
    Unit,
    Creation,
    Start,
    End,
    Value,
    Other,
}

impl Slot {
    /// The slot a name fills (what the fast lane knows without comparing names).
    pub(crate) fn of(name: &[u8]) -> Slot {
        match name {
            b"type" => Slot::Type,
            b"unit" => Slot::Unit,
            b"value" => Slot::Value,
            b"sourceName" => Slot::SourceName,
            b"sourceVersion" => Slot::SourceVersion,
            b"device" => Slot::Device,
            b"creationDate" => Slot::Creation,
            b"startDate" => Slot::Start,
            b"endDate" => Slot::End,
            _ => Slot::Other,
        }
    }
}

/// A `Record` element found whole in the buffer.
pub(crate) struct FastRecord<'a> {
    /// Bytes from the start of the scanned slice to just after the element (leading whitespace included).
    pub(crate) len: usize,
    attrs: [SlotPair<'a>; MAX_ATTRS],
    n_attrs: usize,
    /// The raw attribute bytes of each `MetadataEntry` child, in order.
    entries: [&'a [u8]; MAX_ENTRIES],
    /// Where each entry's tag ends: offset and newlines before it (see [`Mark`]).
    entry_ends: [Mark; MAX_ENTRIES],
    n_entries: usize,
    /// Where the `Record` start tag ends.
    pub(crate) head_end: Mark,
    /// Newlines in the first `len` bytes (found on the way, so lines cost no second pass).
    pub(crate) newlines: u64,
    /// `HeartRateVariabilityMetadataList` children (each written with start and end tag).
    pub(crate) hrv_lists: u64,
    /// Empty `InstantaneousBeatsPerMinute` elements inside those lists.
    pub(crate) beats: u64,
}

impl<'a> FastRecord<'a> {
    /// The attributes in document order, as the attribute scanner would give them.
    pub(crate) fn attrs(&self) -> impl Iterator<Item = Result<SlotPair<'a>, Malformed>> + '_ {
        self.attrs[..self.n_attrs].iter().map(|p| Ok(*p))
    }

    /// Whether the element was written with a start and an end tag (rather than `<Record …/>`).
    #[cfg(test)]
    fn has_children(&self) -> bool {
        self.head_end != self.end()
    }

    #[cfg(test)]
    pub(crate) fn entries(&self) -> &[&'a [u8]] {
        &self.entries[..self.n_entries]
    }

    /// The entries with where each one's tag ends.
    pub(crate) fn entries_with_ends(&self) -> impl Iterator<Item = (&'a [u8], Mark)> + '_ {
        self.entries[..self.n_entries]
            .iter()
            .copied()
            .zip(self.entry_ends[..self.n_entries].iter().copied())
    }

    /// Where the element ends.
    pub(crate) fn end(&self) -> Mark {
        Mark {
            at: self.len,
            newlines: self.newlines,
        }
    }
}

/// Skips whitespace from `b[i]`, counting newlines into `lines`.
#[inline]
fn skip_ws(b: &[u8], mut i: usize, lines: &mut u64) -> usize {
    // Between attributes Apple writes exactly one space.
    if b.get(i) == Some(&b' ') && b.get(i + 1).is_some_and(|c| !c.is_ascii_whitespace()) {
        return i + 1;
    }
    loop {
        match b.get(i) {
            Some(b' ' | b'\t' | b'\r') => {}
            Some(b'\n') => *lines += 1,
            _ => return i,
        }
        i += 1;
    }
}

/// Bytes the fast lane accepts in an attribute name: anything but whitespace, controls and the bytes
/// that delimit markup (`<` `>` `/` `=` and quotes). Anything odder goes the general way.
static NAME_BYTE: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        t[c] = c > b' ' as usize && !matches!(c as u8, b'<' | b'>' | b'/' | b'=' | b'"' | b'\'');
        c += 1;
    }
    t
};

/// An attribute name Apple writes, with the `="` after it, packed for one masked comparison.
struct KnownName {
    pattern: u128,
    mask: u128,
    len: usize,
    slot: Slot,
}

const fn known(name: &[u8], slot: Slot) -> KnownName {
    let mut pattern = 0u128;
    let mut i = 0;
    while i < name.len() {
        pattern |= (name[i] as u128) << (8 * i);
        i += 1;
    }
    pattern |= (b'=' as u128) << (8 * i) | (b'"' as u128) << (8 * (i + 1));
    let total = name.len() + 2;
    let mask = if total >= 16 {
        u128::MAX
    } else {
        (1u128 << (8 * total)) - 1
    };
    KnownName {
        pattern,
        mask,
        len: name.len(),
        slot,
    }
}

static TYPE: KnownName = known(b"type", Slot::Type);
static TIME: KnownName = known(b"time", Slot::Other);
static SOURCE_NAME: KnownName = known(b"sourceName", Slot::SourceName);
static SOURCE_VERSION: KnownName = known(b"sourceVersion", Slot::SourceVersion);
static START: KnownName = known(b"startDate", Slot::Start);
static DEVICE: KnownName = known(b"device", Slot::Device);
static UNIT: KnownName = known(b"unit", Slot::Unit);
static CREATION: KnownName = known(b"creationDate", Slot::Creation);
static END: KnownName = known(b"endDate", Slot::End);
static VALUE: KnownName = known(b"value", Slot::Value);
static KEY: KnownName = known(b"key", Slot::Other);
static BPM: KnownName = known(b"bpm", Slot::Other);

/// The length of the name at `b[at]` when it is one Apple writes and `="` follows — the same answer the
/// byte-by-byte scan gives, from one 16-byte comparison. `None`: scan it.
#[inline]
fn known_name(b: &[u8], at: usize) -> Option<(usize, Slot)> {
    let candidates: &[&KnownName] = match *b.get(at)? {
        b't' => &[&TYPE, &TIME],
        b's' => &[&SOURCE_NAME, &SOURCE_VERSION, &START],
        b'd' => &[&DEVICE],
        b'u' => &[&UNIT],
        b'c' => &[&CREATION],
        b'e' => &[&END],
        b'v' => &[&VALUE],
        b'k' => &[&KEY],
        b'b' => &[&BPM],
        _ => return None,
    };
    let bytes: [u8; 16] = b.get(at..at + 16)?.try_into().ok()?;
    let w = u128::from_le_bytes(bytes);
    candidates
        .iter()
        .find(|k| w & k.mask == k.pattern)
        .map(|k| (k.len, k.slot))
}

/// The first `"` or newline at or after `b[from]`. Most values are short, so the first 32 bytes are
/// searched eight at a time in registers (no call); longer values go to `memchr2`.
#[inline]
fn quote_or_newline(b: &[u8], from: usize) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut i = from;
    for _ in 0..4 {
        let Some(word) = b.get(i..i + 8) else { break };
        let w = u64::from_le_bytes(word.try_into().ok()?);
        // A byte of `x` is zero where `w` holds the byte searched for; the lowest flagged byte is exact.
        let q = w ^ (ONES * u64::from(b'"'));
        let n = w ^ (ONES * u64::from(b'\n'));
        let found = ((q.wrapping_sub(ONES) & !q) | (n.wrapping_sub(ONES) & !n)) & HIGH;
        if found != 0 {
            return Some(i + (found.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    memchr::memchr2(b'"', b'\n', b.get(i..)?).map(|k| i + k)
}

/// How a tag's attribute list ended.
enum TagEnd {
    /// `/>`: an empty element.
    Empty,
    /// `>`: a start tag.
    Open,
}

/// Reads `(whitespace name="value")*` from `b[i..]` up to `/>` or `>`, calling `each` per pair.
/// Returns the tag's end and the index after it, or `None` for anything outside the fast shape.
fn scan_attrs<'a>(
    b: &'a [u8],
    mut i: usize,
    lines: &mut u64,
    mut each: impl FnMut(SlotPair<'a>) -> Option<()>,
) -> Option<(TagEnd, usize)> {
    loop {
        let at = skip_ws(b, i, lines);
        match *b.get(at)? {
            b'/' => return (b.get(at + 1) == Some(&b'>')).then_some((TagEnd::Empty, at + 2)),
            b'>' => return Some((TagEnd::Open, at + 1)),
            _ if at == i => return None, // no whitespace before the name
            _ => {}
        }
        let (eq, slot) = match known_name(b, at) {
            Some((len, slot)) => (at + len, slot),
            None => {
                let rest = b.get(at..)?;
                let eq = at + rest.iter().position(|&c| !NAME_BYTE[usize::from(c)])?;
                // An empty name is malformed: the general path reports it.
                if eq == at || b[eq] != b'=' || b.get(eq + 1) != Some(&b'"') {
                    return None;
                }
                (eq, Slot::of(&b[at..eq]))
            }
        };
        let value_at = eq + 2;
        let mut close = value_at;
        loop {
            close = quote_or_newline(b, close)?;
            if b[close] == b'"' {
                break;
            }
            *lines += 1;
            close += 1;
        }
        each((slot, &b[at..eq], &b[value_at..close]))?;
        i = close + 1;
    }
}

/// `<name` followed by whitespace (the only way the fast lane accepts an element with attributes).
fn opens(b: &[u8], i: usize, name: &[u8]) -> bool {
    b.get(i) == Some(&b'<')
        && b.get(i + 1..i + 1 + name.len()) == Some(name)
        && matches!(
            b.get(i + 1 + name.len()),
            Some(b' ' | b'\n' | b'\t' | b'\r')
        )
}

/// Looks for a whole `Record` element (after optional whitespace) at the start of `b`. The record is
/// built in `rec` (a few hundred bytes, not moved around); `true` if it was found.
pub(crate) fn scan_record<'a>(b: &'a [u8], rec: &mut FastRecord<'a>) -> bool {
    rec.n_attrs = 0;
    rec.n_entries = 0;
    rec.newlines = 0;
    rec.hrv_lists = 0;
    rec.beats = 0;
    match scan(b, rec) {
        Some(len) => {
            rec.len = len;
            true
        }
        None => false,
    }
}

impl FastRecord<'_> {
    pub(crate) fn new() -> Self {
        FastRecord {
            len: 0,
            attrs: [(Slot::Other, &[], &[]); MAX_ATTRS],
            n_attrs: 0,
            entries: [&[]; MAX_ENTRIES],
            entry_ends: [Mark::default(); MAX_ENTRIES],
            n_entries: 0,
            head_end: Mark::default(),
            newlines: 0,
            hrv_lists: 0,
            beats: 0,
        }
    }
}

fn scan<'a>(b: &'a [u8], rec: &mut FastRecord<'a>) -> Option<usize> {
    const RECORD: &[u8] = b"Record";
    const ENTRY: &[u8] = b"MetadataEntry";
    const LIST: &[u8] = b"HeartRateVariabilityMetadataList";
    const BEAT: &[u8] = b"InstantaneousBeatsPerMinute";
    let mut lines = 0;
    let start = skip_ws(b, 0, &mut lines);
    if !opens(b, start, RECORD) {
        return None;
    }
    let (end, mut i) = scan_attrs(b, start + 1 + RECORD.len(), &mut lines, |pair| {
        *rec.attrs.get_mut(rec.n_attrs)? = pair;
        rec.n_attrs += 1;
        Some(())
    })?;
    rec.head_end = Mark {
        at: i,
        newlines: lines,
    };
    if let TagEnd::Open = end {
        loop {
            i = skip_ws(b, i, &mut lines);
            if opens(b, i, ENTRY) {
                let from = i + 1 + ENTRY.len();
                let (end, next) = scan_attrs(b, from, &mut lines, |_| Some(()))?;
                let TagEnd::Empty = end else { return None };
                // The raw attribute bytes, as quick-xml would give them: up to the `/>`.
                *rec.entries.get_mut(rec.n_entries)? = &b[from..next - 2];
                *rec.entry_ends.get_mut(rec.n_entries)? = Mark {
                    at: next,
                    newlines: lines,
                };
                rec.n_entries += 1;
                i = next;
            } else if let Some(after) = plain_tag(b, i, LIST) {
                // A beat-to-beat list: only empty beats inside, counted (they are ignored elements).
                rec.hrv_lists += 1;
                i = after;
                loop {
                    i = skip_ws(b, i, &mut lines);
                    if opens(b, i, BEAT) {
                        let (end, next) =
                            scan_attrs(b, i + 1 + BEAT.len(), &mut lines, |_| Some(()))?;
                        let TagEnd::Empty = end else { return None };
                        rec.beats += 1;
                        i = next;
                    } else {
                        i = end_tag(b, i, LIST, &mut lines)?;
                        break;
                    }
                }
            } else {
                i = end_tag(b, i, RECORD, &mut lines)?;
                break;
            }
        }
    }
    rec.newlines = lines;
    Some(i)
}

/// `<name>` (no attributes) at `b[i]`: the index after it.
fn plain_tag(b: &[u8], i: usize, name: &[u8]) -> Option<usize> {
    let close = i + 1 + name.len();
    (b.get(i) == Some(&b'<') && b.get(i + 1..close) == Some(name) && b.get(close) == Some(&b'>'))
        .then_some(close + 1)
}

/// `</name` + optional whitespace + `>` at `b[i]`: the index after it.
fn end_tag(b: &[u8], i: usize, name: &[u8], lines: &mut u64) -> Option<usize> {
    if b.get(i..i + 2) != Some(b"</") || b.get(i + 2..i + 2 + name.len()) != Some(name) {
        return None;
    }
    let close = skip_ws(b, i + 2 + name.len(), lines);
    (b.get(close) == Some(&b'>')).then_some(close + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(b: &[u8]) -> FastRecord<'_> {
        let mut r = FastRecord::new();
        assert!(
            scan_record(b, &mut r),
            "not fast: {}",
            String::from_utf8_lossy(b)
        );
        assert_eq!(
            r.newlines,
            memchr::memchr_iter(b'\n', &b[..r.len]).count() as u64,
            "newlines counted on the way"
        );
        r
    }

    fn general(b: &[u8]) -> bool {
        !scan_record(b, &mut FastRecord::new())
    }

    #[test]
    fn takes_an_empty_record_with_its_attributes() {
        let doc = b"\n <Record type=\"T\" value=\"1 > 0\" unit=\"\"/>\n <Record";
        let r = record(doc);
        assert_eq!(
            &doc[..r.len],
            b"\n <Record type=\"T\" value=\"1 > 0\" unit=\"\"/>"
        );
        let attrs: Vec<_> = r
            .attrs()
            .map(|a| a.unwrap())
            .map(|(_, k, v)| (k, v))
            .collect();
        assert_eq!(
            attrs,
            vec![
                (&b"type"[..], &b"T"[..]),
                (b"value", b"1 > 0"),
                (b"unit", b"")
            ]
        );
        assert!(!r.has_children());
        assert!(r.entries().is_empty());
    }

    #[test]
    fn takes_metadata_entries_and_the_end_tag() {
        let doc = b"<Record type=\"T\">\n  <MetadataEntry key=\"a\" value=\"b\"/>\n  <MetadataEntry\tkey=\"c\" value=\"d\" />\n </Record\n>tail";
        let r = record(doc);
        assert_eq!(&doc[r.len..], b"tail");
        assert!(r.has_children());
        assert_eq!(
            r.entries(),
            &[&b" key=\"a\" value=\"b\""[..], b"\tkey=\"c\" value=\"d\" "]
        );
        assert_eq!(r.newlines, 4);
    }

    #[test]
    fn counts_beat_lists() {
        let doc = b"<Record type=\"T\">\n<HeartRateVariabilityMetadataList>\n<InstantaneousBeatsPerMinute bpm=\"60\" time=\"1\"/>\n<InstantaneousBeatsPerMinute bpm=\"61\" time=\"2\"/>\n</HeartRateVariabilityMetadataList>\n<HeartRateVariabilityMetadataList></HeartRateVariabilityMetadataList><MetadataEntry key=\"k\" value=\"v\"/></Record>";
        let r = record(doc);
        assert_eq!(r.len, doc.len());
        assert_eq!((r.hrv_lists, r.beats, r.entries().len()), (2, 2, 1));
    }

    #[test]
    fn finds_quotes_and_newlines_like_a_plain_search() {
        let mut text: Vec<u8> = b"abcdefghijklmnopqrstuvwxyz0123456789".repeat(3);
        for at in 0..text.len() {
            for mark in [b'"', b'\n'] {
                let saved = text[at];
                text[at] = mark;
                for from in [0, 1, 7, 8, 9, at.saturating_sub(1), at] {
                    let plain = text[from..].iter().position(|&c| c == b'"' || c == b'\n');
                    assert_eq!(quote_or_newline(&text, from), plain.map(|p| p + from));
                }
                text[at] = saved;
            }
        }
        assert_eq!(quote_or_newline(&text, 0), None);
        // Bytes with the high bit set (UTF-8) next to the mark do not confuse the word test.
        assert_eq!(quote_or_newline("ééé\"".as_bytes(), 0), Some(6));
        assert_eq!(quote_or_newline(&[0x80, 0x23, 0x22, 0xff], 0), Some(2));
    }

    #[test]
    fn known_names_agree_with_the_scan() {
        for name in [
            "type",
            "time",
            "sourceName",
            "sourceVersion",
            "startDate",
            "device",
            "unit",
            "creationDate",
            "endDate",
            "value",
            "key",
            "bpm",
            "typeX",
            "types",
            "sourceNam",
            "dev",
            "s",
            "valu",
            "unitunit",
        ] {
            for after in [
                "=\"v\"               ",
                "= \"v\"              ",
                "=\'v\'              ",
                "\"               ",
            ] {
                let text = format!("{name}{after}");
                let b = text.as_bytes();
                let scanned = b
                    .iter()
                    .position(|&c| !NAME_BYTE[usize::from(c)])
                    .filter(|&eq| b[eq] == b'=' && b.get(eq + 1) == Some(&b'"'));
                if let Some((len, slot)) = known_name(b, 0) {
                    assert_eq!(Some(len), scanned, "{text}");
                    assert_eq!(slot, Slot::of(&b[..len]), "{text}");
                }
            }
        }
        // The names Apple writes are recognised.
        for name in [
            "type",
            "sourceName",
            "sourceVersion",
            "creationDate",
            "endDate",
            "bpm",
        ] {
            let text = format!("{name}=\"0123456789abcdef\"");
            assert_eq!(
                known_name(text.as_bytes(), 0).map(|k| k.0),
                Some(name.len()),
                "{name}"
            );
        }
    }

    #[test]
    fn counts_newlines_inside_values() {
        let r = record(b"\n\n<Record\ntype=\"a\nb\n\" value=\"\n\"/>");
        assert_eq!(r.newlines, 6);
        assert_eq!(r.attrs().next().unwrap().unwrap().2, b"a\nb\n");
    }

    #[test]
    fn leaves_everything_else_to_the_general_path() {
        for doc in [
            &b"<Correlation type=\"T\"/>"[..],
            b"<Records type=\"T\"/>",
            b"<Record/>",
            b"<Record type='T'/>",
            b"<Record type = \"T\"/>",
            b"<Record type=\"T\"unit=\"u\"/>",
            b"<Record type=\"T\" flag/>",
            b"<Record type=\"T\" =\"x\"/>",
            b"<Record type=\"T\" / >",
            b"<Record type=\"T\"",
            b"<Record type=\"T/>",
            b"<Record type=\"T\">",
            b"<Record type=\"T\"><!-- c --></Record>",
            b"<Record type=\"T\">text</Record>",
            b"<Record type=\"T\"><MetadataEntry key=\"a\"></MetadataEntry></Record>",
            b"<Record type=\"T\"><HeartRateVariabilityMetadataList/></Record>",
            b"<Record type=\"T\"><HeartRateVariabilityMetadataList a=\"b\"></HeartRateVariabilityMetadataList></Record>",
            b"<Record type=\"T\"><HeartRateVariabilityMetadataList><MetadataEntry key=\"a\"/></HeartRateVariabilityMetadataList></Record>",
            b"<Record type=\"T\"><HeartRateVariabilityMetadataList><InstantaneousBeatsPerMinute bpm=\"1\"></InstantaneousBeatsPerMinute></HeartRateVariabilityMetadataList></Record>",
            b"<Record type=\"T\"><HeartRateVariabilityMetadataList></Record>",
            b"<Record type=\"T\"><MetadataEntry key=\"a\"/></Recordx>",
            b"<Record type=\"T\"><MetadataEntry key=\"a\"/></Record",
            b"text <Record type=\"T\"/>",
            b"<!-- c --><Record type=\"T\"/>",
        ] {
            assert!(general(doc), "{}", String::from_utf8_lossy(doc));
        }
    }

    #[test]
    fn limits_attributes_and_entries() {
        let many_attrs: String = (0..=MAX_ATTRS).map(|i| format!(" a{i}=\"v\"")).collect();
        assert!(general(format!("<Record{many_attrs}/>").as_bytes()));
        let max_attrs: String = (0..MAX_ATTRS).map(|i| format!(" a{i}=\"v\"")).collect();
        assert_eq!(
            record(format!("<Record{max_attrs}/>").as_bytes())
                .attrs()
                .count(),
            MAX_ATTRS
        );
        let entries = |n: usize| {
            let e = "<MetadataEntry key=\"k\" value=\"v\"/>".repeat(n);
            format!("<Record type=\"T\">{e}</Record>")
        };
        assert_eq!(
            record(entries(MAX_ENTRIES).as_bytes()).entries().len(),
            MAX_ENTRIES
        );
        assert!(general(entries(MAX_ENTRIES + 1).as_bytes()));
    }
}
