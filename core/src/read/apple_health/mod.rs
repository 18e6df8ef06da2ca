//! Apple Health `export.xml`, streamed (spec `lifelog.md` §1, §6, §8).
//!
//! A pull reader: one top-level element at a time, never a DOM, memory flat in the number of records.
//! Two lanes read the elements. The **fast lane** (`fast.rs`) takes a whole `Record` in the shape Apple
//! writes (double-quoted attributes; empty `MetadataEntry` children; beat-to-beat lists) straight from
//! the input buffer (`input::Window`) in one pass that also splits its attributes — nine in ten
//! elements, read without a tokenizer event or a copy. Everything else, and any `Record` the fast lane
//! does not recognise, goes the **general path** through quick-xml. Both hand the same attributes to
//! the same record-building code; `lane_tests.rs` and the fuzz target `read_apple_health_xml` read
//! every document both ways and require identical records, reports and errors.
//!
//! What each element becomes:
//!
//! | Element | Records | Counted as |
//! |---|---|---|
//! | `Me` | one [`Subject`](crate::record::Subject) (birth date, sex), first | item `subject` (`subject-placeholder` if all "not set", nothing emitted) |
//! | `Record` of a kind in the table | one quantity measurement, unit normalised to UCUM | item `<kind>` |
//! | `Record` of another HK type | `Kind::Other(HealthKit code)`: quantity if the unit is known, else text | item `other:<type>` |
//! | `Record` SleepAnalysis | grouped into `SleepSession`s (see `sleep.rs`) | item `sleepStage`; sessions add `sleepEpisode` to `by_type` only |
//! | `Record` BP systolic/diastolic | skipped `duplicate-of-correlation`, or raw if no correlation has it (see `dedup.rs`) | |
//! | `Correlation` blood pressure | one blood-pressure measurement | item `bloodPressure` |
//! | `Correlation` other (Food) | nothing: DTD says its children are repeated top-level | skipped `correlation-children-are-top-level` |
//! | `Workout` | one workout (distance/energy from attributes, else `WorkoutStatistics`, else the sum over `WorkoutActivity` statistics); events, activities and other statistics as metadata | item `workout` |
//! | `ActivitySummary` | up to four date-only measurements: active energy (kcal), and raw `AppleExerciseTime` (min), `AppleMoveTime` (min), `AppleStandHour` (h); goals as metadata | item `activitySummary` |
//! | `ClinicalRecord`, `Audiogram`, `VisionPrescription` | nothing | skipped `unmodelled-element` |
//!
//! Items are the data elements directly under `HealthData`; an item that yields several records (an
//! activity summary) or part of one (a sleep stage) is still one item, so `items_read == converted +
//! skipped` holds.
//!
//! * `MetadataEntry` → measurement metadata, except `HKExternalUUID` → [`Measurement::identifier`](crate::record::Measurement::identifier).
//! * `HKTimeZone`: start, end and creation dates are re-expressed in the offset the named zone had at
//!   each instant (same instant; the tz database with the default `tz` feature, zones with a fixed
//!   offset without it) — the export stamps every date with the phone's offset at export time, which is
//!   wrong for travellers and across DST. A zone that does not resolve keeps the offset as written and
//!   adds an info issue `time-zone-not-resolved`.
//! * HRV `InstantaneousBeatsPerMinute` beat lists: not modelled, counted in `ignored_elements`
//!   (`Record/HeartRateVariabilityMetadataList/InstantaneousBeatsPerMinute`); the SDNN value is kept.
//! * Unknown elements and attributes are counted in `ignored_elements` (`Record@foo`).
//! * Forbidden control characters are removed before tokenising and counted as
//!   `ignored_elements["#control-character"]`; the DTD is skipped, `<!ENTITY` refused (`input.rs`).
//! * One XML token — a start tag with its attributes, a text run, a comment, or an element skipped whole —
//!   may be at most `limits.max_token_bytes` (16 MiB): longer is `LimitExceeded { limit: TokenBytes }`
//!   naming the element, raised before quick-xml has buffered it (`input::TokenGuard`); the fast lane
//!   leaves any record longer than that to the general path, which applies the limit.
//!
//! Errors name an [`Location::XmlPath`] (`/HealthData/Record[12]`, the n-th `Record`) with the line where
//! the parser stopped; lines are counted as bytes pass, and resolved only when a location is needed.

mod assemble;
mod attrs;
mod dedup;
mod device;
mod fast;
mod input;
#[cfg(test)]
mod lane_tests;
pub(crate) mod sleep;
mod time;
mod units;

use std::collections::VecDeque;
use std::io::{Read, Seek};

use quick_xml::events::{BytesStart, Event};

use crate::error::{Error, Limit, Location, Result};
use crate::read::container::{find_apple_main, open_entry, GuardedEntry};
use crate::read::{Format, ReadOptions, RecordReader};
use crate::record::Record;
use crate::report::{Report, Severity, MAX_ISSUES_KEPT};

use input::{StripControls, TokenGuard, TokenTooLong, Window};

pub(crate) use input::read_prolog;

/// Format name used in errors.
pub(crate) const FORMAT: &str = "Apple Health XML";

/// Largest prolog (XML declaration + DTD) accepted before the root element.
const MAX_PROLOG_BYTES: usize = 4 * 1024 * 1024;

type Stream<R> = TokenGuard<Window<R>>;

/// Bytes buffered between the input and the tokenizer.
const WINDOW_BYTES: usize = 256 * 1024;

/// Which top-level element is being read, for locations.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Elem {
    Me,
    Record,
    Correlation,
    Workout,
    ActivitySummary,
    Other,
}

/// Streams records out of an Apple Health `export.xml`.
pub struct AppleHealthReader<R: Read> {
    xml: quick_xml::Reader<Stream<R>>,
    buf: Vec<u8>,
    top_buf: Vec<u8>,
    child_buf: Vec<u8>,
    skip_buf: Vec<u8>,
    opts: ReadOptions,
    report: Report,
    out: VecDeque<Record>,
    st: assemble::State,
    counts: [u64; 6],
    current: (Elem, u64),
    zip_entry: Option<String>,
    format: Format,
    phase: Phase,
    /// Whether the tokenizer stands between two pieces of markup, where the fast lane may take an
    /// element from the buffer under it (false after a text event: quick-xml has then consumed the `<`).
    between_markup: bool,
    /// Whether the fast lane is used at all (always, except in the test that compares both lanes).
    fast_lane: bool,
}

#[derive(PartialEq, Eq)]
enum Phase {
    BeforeRoot,
    InRoot,
    Done,
}

impl<R: Read> AppleHealthReader<R> {
    /// A reader over an `export.xml` byte stream. Reads the prolog at once (bounded), so an empty input,
    /// a missing root or an entity declaration is an error here.
    pub fn new(input: R, opts: ReadOptions) -> Result<AppleHealthReader<R>> {
        Self::with_window(input, opts, WINDOW_BYTES)
    }

    /// [`Self::new`] with a buffer of `window` bytes (tests use small ones, so elements straddle refills).
    fn with_window(input: R, opts: ReadOptions, window: usize) -> Result<AppleHealthReader<R>> {
        let mut clean = StripControls::new(input);
        let (head, prolog, newlines) = read_prolog(&mut clean, MAX_PROLOG_BYTES)?;
        let stream = Window::new(clean, head, newlines, window);
        let guarded = TokenGuard::new(stream, opts.limits.max_token_bytes);
        let mut xml = quick_xml::Reader::from_reader(guarded);
        let cfg = xml.config_mut();
        cfg.check_end_names = true;
        cfg.expand_empty_elements = false;
        // Whitespace between elements produces no event (and leaves the tokenizer between markup).
        cfg.trim_text_start = true;
        let mut report = Report::default();
        if let Some(v) = prolog.export_version {
            report.issue(
                Severity::Info,
                "export-version",
                Location::None,
                format!("HealthKit export version {v}"),
            );
        }
        Ok(AppleHealthReader {
            xml,
            buf: Vec::with_capacity(4096),
            top_buf: Vec::with_capacity(4096),
            child_buf: Vec::with_capacity(1024),
            skip_buf: Vec::new(),
            opts,
            report,
            out: VecDeque::new(),
            st: assemble::State::default(),
            counts: [0; 6],
            current: (Elem::Other, 0),
            zip_entry: None,
            format: Format::AppleHealthXml,
            phase: Phase::BeforeRoot,
            between_markup: false,
            fast_lane: true,
        })
    }

    /// Marks the reader as reading the named entry of an `export.zip`: locations are wrapped in
    /// [`Location::ZipEntry`] and the format reported is [`Format::AppleHealthZip`].
    pub(crate) fn in_zip_entry(mut self, entry: &str) -> Self {
        self.zip_entry = Some(entry.to_owned());
        self.format = Format::AppleHealthZip;
        self
    }

    fn wrap(&self, loc: Location) -> Location {
        wrap(&self.zip_entry, loc)
    }

    /// The location of the current top-level element; the line is resolved only if `with_line`.
    fn location(&self, with_line: bool) -> Location {
        let line = with_line.then(|| line_of(&self.xml));
        element_location(self.current, &self.zip_entry, line)
    }

    /// A location for a report issue: the line only while issues are still being kept.
    fn issue_location(&self) -> Location {
        self.location(self.report.issues.len() < MAX_ISSUES_KEPT)
    }

    /// Reads the next event into `self.buf`, mapping errors.
    fn event(&mut self) -> Result<Event<'_>> {
        self.buf.clear();
        self.xml.get_mut().reset();
        match self.xml.read_event_into(&mut self.buf) {
            Ok(e) => Ok(e),
            Err(e) => Err(xml_error(&self.xml, self.current, &self.zip_entry, e)),
        }
    }

    /// Skips the rest of an element whose start tag was just read.
    fn skip_element(&mut self, name: &[u8]) -> Result<()> {
        self.skip_buf.clear();
        // The whole subtree counts as one token for the guard (see `TokenGuard`).
        self.xml.get_mut().reset();
        match self
            .xml
            .read_to_end_into(quick_xml::name::QName(name), &mut self.skip_buf)
        {
            Ok(_) => Ok(()),
            Err(e) => Err(xml_error(&self.xml, self.current, &self.zip_entry, e)),
        }
    }

    /// Reads one top-level step: fills `self.out` or moves the phase.
    fn step(&mut self) -> Result<()> {
        if self.between_markup
            && self.fast_lane
            && self.phase == Phase::InRoot
            && self.fast_step()?
        {
            return Ok(());
        }
        // The top-level tag is read into a buffer taken out of `self`, so it can be borrowed while the
        // element is processed (no copy of every start tag).
        let mut top = std::mem::take(&mut self.top_buf);
        top.clear();
        let result = self.step_in(&mut top);
        self.top_buf = top;
        result
    }

    fn step_in(&mut self, top: &mut Vec<u8>) -> Result<()> {
        self.xml.get_mut().reset();
        let event = match self.xml.read_event_into(top) {
            Ok(e) => e,
            Err(e) => return Err(xml_error(&self.xml, self.current, &self.zip_entry, e)),
        };
        self.between_markup = !matches!(event, Event::Text(_) | Event::GeneralRef(_));
        let (start, has_children) = match event {
            Event::Start(e) => (e, true),
            Event::Empty(e) => (e, false),
            Event::End(_) => {
                if self.phase == Phase::InRoot {
                    self.finish_root();
                    self.phase = Phase::Done;
                    return self.drain_after_root();
                }
                return Ok(());
            }
            Event::Eof => {
                return Err(Error::format(
                    FORMAT,
                    self.location(true),
                    "document ends before </HealthData>",
                ))
            }
            Event::GeneralRef(_) => {
                return Err(Error::format(
                    FORMAT,
                    self.location(true),
                    "entity reference outside attribute values (refused)",
                ))
            }
            _ => return Ok(()),
        };
        if self.phase == Phase::BeforeRoot {
            if start.name().as_ref() != b"HealthData" {
                return Err(Error::format(
                    FORMAT,
                    self.location(true),
                    "root element is not HealthData",
                ));
            }
            self.phase = Phase::InRoot;
            if !has_children {
                self.finish_root();
                self.phase = Phase::Done;
                return self.drain_after_root();
            }
            return Ok(());
        }
        self.top_level(start, has_children)
    }

    /// The fast lane (see `fast.rs`): a whole `Record` taken from the buffer under the tokenizer.
    /// Returns false, having consumed nothing, when the next element is not one.
    fn fast_step(&mut self) -> Result<bool> {
        let buf = self.xml.get_mut().get_mut().lend();
        let result = self.fast_record(&buf);
        self.xml.get_mut().get_mut().restore(buf);
        result
    }

    fn fast_record(&mut self, buf: &[u8]) -> Result<bool> {
        let window = self.xml.get_mut().get_mut();
        let mut r = fast::FastRecord::new();
        // The token limit holds here too: a record longer than a token may be is left to the general
        // path, which applies the limit to each of its tags.
        if !fast::scan_record(window.unread_in(buf), &mut r)
            || r.len > self.opts.limits.max_token_bytes
        {
            return Ok(false);
        }
        self.enter(Elem::Record);
        self.report.items_read += 1;
        self.record_fast(&r, buf).map(|()| true)
    }

    /// Moves the reader from `from` to `to` (points of the record the fast lane is building, relative
    /// to where it started), so locations name the line the general path would.
    fn fast_advance(&mut self, buf: &[u8], from: &mut fast::Mark, to: fast::Mark) {
        let window = self.xml.get_mut().get_mut();
        window.advance_in(
            buf,
            to.at.saturating_sub(from.at),
            to.newlines.saturating_sub(from.newlines),
        );
        *from = to;
    }

    /// Reads to the end of the input after `</HealthData>`: only whitespace and comments may follow, and
    /// reaching the end lets a zip entry verify its size and CRC.
    fn drain_after_root(&mut self) -> Result<()> {
        let mut buf = std::mem::take(&mut self.skip_buf);
        let result = loop {
            buf.clear();
            self.xml.get_mut().reset();
            match self.xml.read_event_into(&mut buf) {
                Ok(Event::Eof) => break Ok(()),
                Ok(Event::Start(_) | Event::Empty(_)) => {
                    break Err(Error::format(
                        FORMAT,
                        element_location(
                            (Elem::Other, 0),
                            &self.zip_entry,
                            Some(line_of(&self.xml)),
                        ),
                        "content after the root element",
                    ))
                }
                Ok(_) => {}
                Err(e) => break Err(xml_error(&self.xml, self.current, &self.zip_entry, e)),
            }
        };
        self.skip_buf = buf;
        result
    }

    fn enter(&mut self, elem: Elem) {
        let i = elem as usize;
        self.counts[i] += 1;
        self.current = (elem, self.counts[i]);
    }

    fn top_level(&mut self, start: BytesStart<'_>, has_children: bool) -> Result<()> {
        // `start` borrows the top-level buffer, not `self`: the name needs no copy.
        let qname = start.name();
        let name = qname.as_ref();
        match name {
            b"ExportDate" => {
                if has_children {
                    self.skip_element(name)?;
                }
                Ok(())
            }
            b"Me" => {
                self.enter(Elem::Me);
                self.report.items_read += 1;
                self.me(&start)?;
                if has_children {
                    self.skip_element(name)?;
                }
                Ok(())
            }
            b"Record" => {
                self.enter(Elem::Record);
                self.report.items_read += 1;
                self.record(&start, has_children)
            }
            b"Correlation" => {
                self.enter(Elem::Correlation);
                self.report.items_read += 1;
                self.correlation(&start, has_children)
            }
            b"Workout" => {
                self.enter(Elem::Workout);
                self.report.items_read += 1;
                self.workout(&start, has_children)
            }
            b"ActivitySummary" => {
                self.enter(Elem::ActivitySummary);
                self.report.items_read += 1;
                self.activity_summary(&start)?;
                if has_children {
                    self.skip_element(name)?;
                }
                Ok(())
            }
            b"ClinicalRecord" | b"Audiogram" | b"VisionPrescription" => {
                self.current = (Elem::Other, 0);
                self.report.items_read += 1;
                let loc = self.issue_location();
                self.report.skip(
                    "unmodelled-element",
                    loc,
                    format!(
                        "{} elements are not modelled by phrkit",
                        String::from_utf8_lossy(name)
                    ),
                );
                if has_children {
                    self.skip_element(name)?;
                }
                Ok(())
            }
            _ => {
                self.report
                    .ignore_element(&format!("HealthData/{}", String::from_utf8_lossy(name)));
                if has_children {
                    self.skip_element(name)?;
                }
                Ok(())
            }
        }
    }

    fn finish_root(&mut self) {
        for m in self.st.sleep.finish() {
            self.emit_session(m);
        }
        for held in self.st.bp.finish() {
            self.report.converted(&held.record.kind().name());
            self.out.push_back(Record::Measurement(held.record));
        }
        let removed = self.xml.get_ref().get_ref().get_ref().removed;
        if removed > 0 {
            *self
                .report
                .ignored_elements
                .entry("#control-character".to_owned())
                .or_insert(0) += removed;
            self.report.issue(
                Severity::Warning,
                "control-characters-removed",
                self.wrap(Location::None),
                format!("{removed} control characters forbidden in XML were removed"),
            );
        }
    }

    fn emit_session(&mut self, m: crate::record::Measurement) {
        *self
            .report
            .by_type
            .entry("sleepEpisode".to_owned())
            .or_insert(0) += 1;
        self.out.push_back(Record::Measurement(m));
    }

    /// Handles a per-item failure: an error in strict mode, a counted skip otherwise.
    fn fail_item(&mut self, reason: &'static str, err: Error) -> Result<()> {
        if self.opts.strict {
            return Err(err);
        }
        let loc = self.issue_location();
        self.report.skip(reason, loc, err.to_string());
        Ok(())
    }
}

/// Everything one read of a document produced: its records, then the report, or the error that stopped
/// it (as text: errors are compared, not handled).
type LaneOutcome = (Vec<Record>, std::result::Result<Report, String>);

/// Reads `data` to the end with the fast lane on or off and a buffer of `window` bytes.
fn read_lane(data: &[u8], opts: &ReadOptions, fast: bool, window: usize) -> LaneOutcome {
    let mut reader = match AppleHealthReader::with_window(data, opts.clone(), window) {
        Ok(r) => r,
        Err(e) => return (Vec::new(), Err(e.to_string())),
    };
    reader.fast_lane = fast;
    let mut records = Vec::new();
    loop {
        match reader.next_record() {
            Ok(Some(r)) => records.push(r),
            Ok(None) => return (records, Ok(reader.report().clone())),
            Err(e) => return (records, Err(e.to_string())),
        }
    }
}

/// Reads `data` without the fast lane, then with it (once with the normal buffer, once with one small
/// enough that elements straddle refills), and says where the outcomes differ: the oracle of the fuzz
/// target `read_apple_health_xml` (`lane_tests.rs` applies the same comparison to chosen documents).
pub(crate) fn lanes_agree(data: &[u8]) -> std::result::Result<(), String> {
    let opts = ReadOptions::default();
    let general = read_lane(data, &opts, false, WINDOW_BYTES);
    for window in [WINDOW_BYTES, 61] {
        let fast = read_lane(data, &opts, true, window);
        if fast.0 != general.0 {
            return Err(format!("records differ (window {window})"));
        }
        if fast.1 != general.1 {
            return Err(format!(
                "reports or errors differ (window {window}): {:?} vs {:?}",
                fast.1.as_ref().map(|r| r.converted),
                general.1.as_ref().map(|r| r.converted)
            ));
        }
    }
    Ok(())
}

/// The line the parser has reached (1-based).
fn line_of<R: Read>(xml: &quick_xml::Reader<Stream<R>>) -> u64 {
    xml.get_ref().get_ref().line()
}

fn wrap(zip_entry: &Option<String>, loc: Location) -> Location {
    match zip_entry {
        Some(e) => Location::ZipEntry {
            entry: e.clone(),
            inner: Box::new(loc),
        },
        None => loc,
    }
}

fn element_location(
    current: (Elem, u64),
    zip_entry: &Option<String>,
    line: Option<u64>,
) -> Location {
    let (elem, n) = current;
    let name = match elem {
        Elem::Me => "Me",
        Elem::Record => "Record",
        Elem::Correlation => "Correlation",
        Elem::Workout => "Workout",
        Elem::ActivitySummary => "ActivitySummary",
        Elem::Other => "*",
    };
    let path = if n == 0 {
        "/HealthData".to_owned()
    } else {
        format!("/HealthData/{name}[{n}]")
    };
    wrap(zip_entry, Location::XmlPath { path, line })
}

fn xml_error<R: Read>(
    xml: &quick_xml::Reader<Stream<R>>,
    current: (Elem, u64),
    zip_entry: &Option<String>,
    e: quick_xml::Error,
) -> Error {
    if let quick_xml::Error::Io(io) = &e {
        if let Some(t) = io.get_ref().and_then(|i| i.downcast_ref::<TokenTooLong>()) {
            let loc = element_location(current, zip_entry, Some(line_of(xml)));
            return Error::limit(Limit::TokenBytes, t.max, loc);
        }
        if let Some(mapped) = crate::read::container::map_io_error(io) {
            return match zip_entry {
                Some(entry) => mapped.in_zip_entry(entry),
                None => mapped,
            };
        }
    }
    let reason = match e {
        quick_xml::Error::Io(_) => "read failed".to_owned(),
        quick_xml::Error::Syntax(s) => format!("malformed XML: {s}"),
        quick_xml::Error::IllFormed(s) => format!("ill-formed XML: {}", ill_formed(&s)),
        quick_xml::Error::InvalidAttr(_) => "malformed attribute".to_owned(),
        quick_xml::Error::Encoding(_) => "invalid UTF-8".to_owned(),
        quick_xml::Error::Escape(_) => "invalid character or entity reference".to_owned(),
        _ => "malformed XML".to_owned(),
    };
    Error::format(
        FORMAT,
        element_location(current, zip_entry, Some(line_of(xml))),
        reason,
    )
}

fn ill_formed(e: &quick_xml::errors::IllFormedError) -> &'static str {
    use quick_xml::errors::IllFormedError as I;
    match e {
        I::MissingEndTag(_) => "missing end tag",
        I::UnmatchedEndTag(_) => "unmatched end tag",
        I::MismatchedEndTag { .. } => "mismatched end tag",
        I::DoubleHyphenInComment => "double hyphen in comment",
        _ => "structure error",
    }
}

/// Opens the Apple Health document inside an `export.zip`: `index` reads the central directory, `data` (a
/// second handle on the same bytes) is streamed from the main entry's offset.
pub(crate) fn open_zip<'a, I: Read + Seek, D: Read + Seek + 'a>(
    index: I,
    data: D,
    opts: &ReadOptions,
) -> Result<AppleHealthReader<GuardedEntry<'a>>> {
    let mut side = Report::default();
    let main = find_apple_main(index, &opts.limits.archive, &mut side)?.ok_or_else(|| {
        crate::read::unknown_format("zip archive without an Apple Health (HealthData) document")
    })?;
    let entry = open_entry(data, &main, &opts.limits.archive)?;
    let mut reader = AppleHealthReader::new(entry, opts.clone())
        .map_err(|e| e.in_zip_entry(&main.name))?
        .in_zip_entry(&main.name);
    reader.report.ignored_elements.extend(side.ignored_elements);
    Ok(reader)
}

impl<R: Read> RecordReader for AppleHealthReader<R> {
    fn next_record(&mut self) -> Result<Option<Record>> {
        loop {
            if !self.out.is_empty() {
                return Ok(self.out.pop_front());
            }
            if self.phase == Phase::Done {
                return Ok(None);
            }
            self.step()?;
        }
    }

    fn report(&self) -> &Report {
        &self.report
    }

    fn format(&self) -> Format {
        self.format
    }
}
