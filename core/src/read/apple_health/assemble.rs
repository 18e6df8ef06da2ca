//! Building records from the elements of `export.xml` (the table in the module doc of [`super`]).

use std::borrow::Cow;
use std::io::Read;
use std::str::FromStr;
use std::sync::Arc;

use quick_xml::events::BytesStart;
use rust_decimal::Decimal;

use super::attrs::{Malformed, RawAttrs};
use super::dedup::{BpDedup, Held, Key, TopLevel};
use super::device::{parse_device, RawSource, SourceCache};
use super::fast::{FastRecord, Mark, Slot, SlotPair};
use super::sleep::{stage, SleepGrouper};
use super::time::{parse_date, DateCache, ZoneCache};
use super::units::{apple_quantity, plain_quantity, Spelling, UnitCache};
use super::{AppleHealthReader, FORMAT};
use crate::error::{Error, Result};
use crate::fhir::codes::HEALTHKIT;
use crate::record::{
    Coding, Effective, Kind, Measurement, MeasurementValue, MetadataEntry, Period, Quantity,
    Record, RecordError, Sex, Source, Subject, Timestamp, Unit, Workout,
};
use crate::report::Severity;

/// Children kept per correlation, and entries per workout's metadata (bounded memory per element).
const MAX_CHILDREN: usize = 256;

/// Where beat-to-beat lists and their beats are counted as ignored elements.
const HRV_LIST: &str = "Record/HeartRateVariabilityMetadataList";
const BEAT: &str = "Record/HeartRateVariabilityMetadataList/InstantaneousBeatsPerMinute";

/// Mutable state shared by all elements of one document.
#[derive(Default)]
pub(crate) struct State {
    pub(crate) sources: SourceCache,
    pub(crate) units: UnitCache,
    pub(crate) kinds: KindCache,
    pub(crate) sleep: SleepGrouper,
    pub(crate) bp: BpDedup,
    pub(crate) dates: DateCache,
    pub(crate) zones: ZoneCache,
}

/// How a `type` attribute is handled.
#[derive(Clone, Debug)]
pub(crate) enum Class {
    /// A kind of the table with a quantity value.
    Known(Kind),
    /// `HKCategoryTypeIdentifierSleepAnalysis`.
    Sleep,
    /// Blood-pressure systolic (`true`) or diastolic component.
    BpComponent(bool),
    /// Anything else, kept as `Kind::Other`.
    Other(Kind),
}

const SYSTOLIC: &str = "HKQuantityTypeIdentifierBloodPressureSystolic";
const DIASTOLIC: &str = "HKQuantityTypeIdentifierBloodPressureDiastolic";

/// One distinct `type` value: how it is handled, its text, and its report name. Shared by every record
/// of the type (one reference count per record, and a small [`Head`]).
pub(crate) struct KindEntry {
    raw: Vec<u8>,
    class: Class,
    text: Box<str>,
    name: Box<str>,
}

/// `type` → [`KindEntry`], classified once per distinct type. Exports hold about a hundred types; the
/// last hit is checked first because records come grouped by type.
#[derive(Default)]
pub(crate) struct KindCache {
    entries: Vec<Arc<KindEntry>>,
    last: usize,
}

/// Distinct types remembered; beyond this the last slot is reused (correct, just slower).
const MAX_TYPES: usize = 1024;

impl KindCache {
    fn get(&mut self, raw: &[u8]) -> std::result::Result<Arc<KindEntry>, &'static str> {
        if let Some(e) = self.entries.get(self.last).filter(|e| e.raw == raw) {
            return Ok(Arc::clone(e));
        }
        if let Some(i) = self.entries.iter().position(|e| e.raw == raw) {
            self.last = i;
            return Ok(Arc::clone(&self.entries[i]));
        }
        let text = text(raw)?;
        let class = classify(&text);
        let name: Box<str> = match &class {
            Class::Known(k) | Class::Other(k) => k.name().into(),
            Class::Sleep => "sleepStage".into(),
            Class::BpComponent(_) => format!("other:{text}").into(),
        };
        let entry = Arc::new(KindEntry {
            raw: raw.to_vec(),
            class,
            text: text.into(),
            name,
        });
        if self.entries.len() >= MAX_TYPES {
            self.entries.pop();
        }
        self.entries.push(Arc::clone(&entry));
        self.last = self.entries.len() - 1;
        Ok(entry)
    }
}

fn other_kind(code: &str) -> Kind {
    Kind::Other(Box::new(Coding::new(HEALTHKIT, code)))
}

fn classify(t: &str) -> Class {
    match t {
        SYSTOLIC => return Class::BpComponent(true),
        DIASTOLIC => return Class::BpComponent(false),
        "HKCategoryTypeIdentifierSleepAnalysis" => return Class::Sleep,
        _ => {}
    }
    match Kind::from_healthkit(t) {
        Some(k)
            if matches!(
                k.info().map(|i| i.shape),
                Some(crate::record::Shape::Quantity { .. })
            ) =>
        {
            Class::Known(k)
        }
        _ => Class::Other(other_kind(t)),
    }
}

/// Decodes an attribute value: UTF-8, then the five predefined entities and character references.
/// Any other entity reference is refused (no DTD entity is ever expanded).
pub(crate) fn text(raw: &[u8]) -> std::result::Result<Cow<'_, str>, &'static str> {
    let s = std::str::from_utf8(raw).map_err(|_| "invalid UTF-8 in an attribute value")?;
    if memchr::memchr(b'&', raw).is_none() {
        return Ok(Cow::Borrowed(s));
    }
    quick_xml::escape::unescape(s)
        .map_err(|_| "unknown or malformed entity reference in an attribute value")
}

/// The attributes of `Record`, `Correlation` and `Workout` (raw, still escaped, borrowed from the tag).
#[derive(Default)]
struct Attrs<'a> {
    type_: Option<&'a [u8]>,
    unit: Option<&'a [u8]>,
    value: Option<&'a [u8]>,
    source_name: Option<&'a [u8]>,
    source_version: Option<&'a [u8]>,
    device: Option<&'a [u8]>,
    creation: Option<&'a [u8]>,
    start: Option<&'a [u8]>,
    end: Option<&'a [u8]>,
    /// Workout-only attributes, by name.
    extra: Vec<(&'static str, &'a [u8])>,
    /// Whether the element is a `Workout` (its `type` is optional).
    workout: bool,
}

const WORKOUT_ATTRS: &[&str] = &[
    "workoutActivityType",
    "duration",
    "durationUnit",
    "totalDistance",
    "totalDistanceUnit",
    "totalEnergyBurned",
    "totalEnergyBurnedUnit",
];

/// A parsed `Record`/`Correlation`/`Workout` head.
pub(crate) struct Head {
    /// The `type`: class, text, and the name counted in the report's `by_type`.
    kind: Arc<KindEntry>,
    value: Option<Val>,
    /// The unit as parsed, with its text when phrkit does not know it (kept in metadata).
    unit: Option<(Spelling, Option<Arc<str>>)>,
    source: Arc<Source>,
    start: Timestamp,
    end: Timestamp,
    creation: Option<Timestamp>,
}

#[derive(Debug)]
enum Val {
    Num(Decimal),
    Text(String),
}

/// One event inside an element.
enum Child<'b> {
    /// A child element, and whether it has content (a start tag rather than an empty one).
    Elem(BytesStart<'b>, bool),
    /// The end tag of the current element.
    End,
    /// Text, comments and the like.
    Other,
}

/// Children content common to every element.
#[derive(Default)]
struct Extras {
    metadata: Vec<MetadataEntry>,
    identifier: Option<String>,
    zone: Option<String>,
}

/// Workout-only attributes, decoded, by name.
type WorkoutAttrs = Vec<(&'static str, String)>;

/// One failed item: a skip reason and the error.
type ItemError = (&'static str, Error);

/// A value written as plain digits with an optional `-` and one inner `.` (what Apple writes for
/// almost every value), read straight from the bytes. Anything else — exponents, `+`, spaces,
/// entities, more than 18 characters, negative zero — returns `None` and goes through [`dec`], which gives
/// the same decimal (scale included) for the values this accepts.
fn plain_decimal(raw: &[u8]) -> Option<Decimal> {
    let (negative, body) = match raw {
        [b'-', rest @ ..] => (true, rest),
        _ => (false, raw),
    };
    // At most 18 characters, so the mantissa cannot overflow.
    if body.is_empty() || body.len() > 18 {
        return None;
    }
    let mut mantissa: i64 = 0;
    let mut point = None;
    for (i, &c) in body.iter().enumerate() {
        match c {
            b'0'..=b'9' => mantissa = mantissa * 10 + i64::from(c - b'0'),
            b'.' if point.is_none() && i > 0 && i + 1 < body.len() => point = Some(i),
            _ => return None,
        }
    }
    if negative && mantissa == 0 {
        return None;
    }
    let scale = point.map_or(0, |p| body.len() - p - 1);
    let mantissa = if negative { -mantissa } else { mantissa };
    Some(Decimal::new(mantissa, u32::try_from(scale).ok()?))
}

fn dec(raw: &str) -> Option<Decimal> {
    Decimal::from_str(raw.trim())
        .ok()
        .or_else(|| Decimal::from_scientific(raw.trim()).ok())
}

fn quantity_of(
    kind: &Kind,
    v: &Val,
    unit: &Option<(Spelling, Option<Arc<str>>)>,
) -> Option<Quantity> {
    let (Val::Num(n), Some((s, _))) = (v, unit) else {
        return None;
    };
    apple_quantity(kind, *n, *s)
}

impl<R: Read> AppleHealthReader<R> {
    fn invalid(&self, reason: &str) -> Error {
        Error::format(FORMAT, self.location(true), reason)
    }

    fn record_error(&self, e: RecordError) -> Error {
        Error::invalid_record(self.location(true), e)
    }

    fn collect_attrs<'a>(
        &mut self,
        attrs: impl Iterator<Item = std::result::Result<SlotPair<'a>, Malformed>>,
        elem: &str,
        workout: bool,
    ) -> std::result::Result<Attrs<'a>, ItemError> {
        let mut a = Attrs {
            workout,
            ..Attrs::default()
        };
        for attr in attrs {
            let (slot, key, v) =
                attr.map_err(|_| ("invalid-xml", self.invalid("malformed attribute")))?;
            let slot = match slot {
                Slot::Type => &mut a.type_,
                Slot::Unit => &mut a.unit,
                Slot::Value => &mut a.value,
                Slot::SourceName => &mut a.source_name,
                Slot::SourceVersion => &mut a.source_version,
                Slot::Device => &mut a.device,
                Slot::Creation => &mut a.creation,
                Slot::Start => &mut a.start,
                Slot::End => &mut a.end,
                Slot::Other => {
                    let name = std::str::from_utf8(key).unwrap_or("?");
                    match WORKOUT_ATTRS.iter().find(|n| **n == name) {
                        Some(n) if workout => a.extra.push((n, v)),
                        _ => self.report.ignore_element(&format!("{elem}@{name}")),
                    }
                    continue;
                }
            };
            *slot = Some(v);
        }
        Ok(a)
    }

    fn timestamp(
        &mut self,
        raw: Option<&[u8]>,
        what: &str,
    ) -> std::result::Result<Timestamp, ItemError> {
        raw.and_then(|r| self.st.dates.parse(r)).ok_or_else(|| {
            (
                "invalid-date",
                self.invalid(&format!("missing or malformed {what}")),
            )
        })
    }

    /// Parses the head; a workout's own attributes go to `workout` (only workouts have them, so they are
    /// not part of every record's result).
    fn head(
        &mut self,
        e: &BytesStart<'_>,
        elem: &str,
        workout: Option<&mut WorkoutAttrs>,
    ) -> std::result::Result<Head, ItemError> {
        let attrs = RawAttrs::new(e.attributes_raw()).map(|r| r.map(|(k, v)| (Slot::of(k), k, v)));
        self.head_from(attrs, elem, workout)
    }

    /// [`Self::head`] from the attributes however they were split (tokenizer or fast lane).
    fn head_from<'a>(
        &mut self,
        attrs: impl Iterator<Item = std::result::Result<SlotPair<'a>, Malformed>>,
        elem: &str,
        workout: Option<&mut WorkoutAttrs>,
    ) -> std::result::Result<Head, ItemError> {
        let a = self.collect_attrs(attrs, elem, workout.is_some())?;
        let bad_text = |s: &Self, why: &'static str| ("invalid-text", s.invalid(why));
        let kind = match a.type_ {
            Some(t) => match self.st.kinds.get(t) {
                Ok(e) => e,
                Err(w) => return Err(bad_text(self, w)),
            },
            None if a.workout => Arc::new(KindEntry {
                raw: Vec::new(),
                class: Class::Other(other_kind("HKWorkoutTypeIdentifier")),
                text: "".into(),
                name: "workout".into(),
            }),
            None => return Err(("invalid-xml", self.invalid("missing type attribute"))),
        };
        let value = match a.value {
            Some(v) => Some(match plain_decimal(v) {
                Some(n) => Val::Num(n),
                None => {
                    let s = text(v).map_err(|w| bad_text(self, w))?;
                    match dec(&s) {
                        Some(n) => Val::Num(n),
                        None => Val::Text(s.into_owned()),
                    }
                }
            }),
            None => None,
        };
        let unit = match a.unit {
            Some(u) => Some(self.st.units.get_raw(u).map_err(|w| bad_text(self, w))?),
            None => None,
        };
        let raw = RawSource {
            name: a.source_name,
            version: a.source_version,
            device: a.device,
        };
        let source = self
            .st
            .sources
            .get(&raw, build_source)
            .map_err(|w| bad_text(self, w))?;
        let start = self.timestamp(a.start, "startDate")?;
        let end = self.timestamp(a.end, "endDate")?;
        let creation = match a.creation {
            Some(c) => Some(self.timestamp(Some(c), "creationDate")?),
            None => None,
        };
        if let Some(out) = workout {
            for (k, v) in &a.extra {
                out.push((*k, text(v).map_err(|w| bad_text(self, w))?.into_owned()));
            }
        }
        Ok(Head {
            kind,
            value,
            unit,
            source,
            start,
            end,
            creation,
        })
    }

    /// Next child element of the current element, or `None` at its end tag.
    fn child(&mut self) -> Result<Option<(BytesStart<'static>, bool)>> {
        use quick_xml::events::Event;
        loop {
            match self.event()? {
                Event::Start(e) => return Ok(Some((e.into_owned(), true))),
                Event::Empty(e) => return Ok(Some((e.into_owned(), false))),
                Event::End(_) => return Ok(None),
                Event::Eof => {
                    return Err(self.invalid("document ends inside an element"));
                }
                _ => {}
            }
        }
    }

    fn ignore_child(&mut self, parent: &str, e: &BytesStart<'_>, has_children: bool) -> Result<()> {
        let name = e.name().as_ref().to_vec();
        self.report
            .ignore_element(&format!("{parent}/{}", String::from_utf8_lossy(&name)));
        if has_children {
            self.skip_element(&name)?;
        }
        Ok(())
    }

    /// One `MetadataEntry`, from its raw attribute bytes.
    fn metadata_entry(
        &mut self,
        raw_attrs: &[u8],
        extras: &mut Extras,
    ) -> std::result::Result<(), ItemError> {
        let mut key = None;
        let mut value = None;
        for attr in RawAttrs::new(raw_attrs) {
            let (attr_key, attr_value) =
                attr.map_err(|_| ("invalid-xml", self.invalid("malformed attribute")))?;
            let decoded = text(attr_value)
                .map_err(|w| ("invalid-text", self.invalid(w)))?
                .into_owned();
            match attr_key {
                b"key" => key = Some(decoded),
                b"value" => value = Some(decoded),
                k => {
                    let name = String::from_utf8_lossy(k).into_owned();
                    self.report.ignore_element(&format!("MetadataEntry@{name}"));
                }
            }
        }
        let (Some(key), value) = (key, value.unwrap_or_default()) else {
            self.report.ignore_element("MetadataEntry(without key)");
            return Ok(());
        };
        match key.as_str() {
            "HKExternalUUID" if extras.identifier.is_none() => extras.identifier = Some(value),
            _ => {
                if key == "HKTimeZone" {
                    extras.zone = Some(value.clone());
                }
                if extras.metadata.len() < MAX_CHILDREN {
                    extras.metadata.push(MetadataEntry { key, value });
                } else {
                    self.report.ignore_element("MetadataEntry(over limit)");
                }
            }
        }
        Ok(())
    }

    /// One child event of the current element, borrowed from `buf` (the hot path: no copy).
    fn next_child<'b>(&mut self, buf: &'b mut Vec<u8>) -> Result<Child<'b>> {
        use quick_xml::events::Event;
        buf.clear();
        self.xml.get_mut().reset();
        match self.xml.read_event_into(buf) {
            Ok(Event::Start(e)) => Ok(Child::Elem(e, true)),
            Ok(Event::Empty(e)) => Ok(Child::Elem(e, false)),
            Ok(Event::End(_)) => Ok(Child::End),
            Ok(Event::Eof) => Err(self.invalid("document ends inside an element")),
            Ok(_) => Ok(Child::Other),
            Err(e) => Err(super::xml_error(
                &self.xml,
                self.current,
                &self.zip_entry,
                e,
            )),
        }
    }

    /// Reads the children of a `Record` (metadata; beat lists counted as ignored).
    fn record_children(
        &mut self,
        extras: &mut Extras,
        failed: &mut Option<ItemError>,
    ) -> Result<()> {
        let mut buf = std::mem::take(&mut self.child_buf);
        let r = self.record_children_in(&mut buf, extras, failed);
        self.child_buf = buf;
        r
    }

    fn record_children_in(
        &mut self,
        buf: &mut Vec<u8>,
        extras: &mut Extras,
        failed: &mut Option<ItemError>,
    ) -> Result<()> {
        let mut in_list = false;
        loop {
            let (e, has_children) = match self.next_child(buf)? {
                Child::Elem(e, n) => (e, n),
                Child::End if in_list => {
                    in_list = false;
                    continue;
                }
                Child::End => return Ok(()),
                Child::Other => continue,
            };
            match e.name().as_ref() {
                b"InstantaneousBeatsPerMinute" if in_list && !has_children => {
                    self.report.ignore_element(BEAT);
                }
                b"MetadataEntry" if !in_list => {
                    if let Err(err) = self.metadata_entry(e.attributes_raw(), extras) {
                        failed.get_or_insert(err);
                    }
                    if has_children {
                        self.skip_element(b"MetadataEntry")?;
                    }
                }
                b"HeartRateVariabilityMetadataList" if !in_list && has_children => {
                    self.report.ignore_element(HRV_LIST);
                    in_list = true;
                }
                _ => {
                    let parent = if in_list { HRV_LIST } else { "Record" };
                    self.ignore_child(parent, &e, has_children)?;
                }
            }
        }
    }

    /// Applies `HKTimeZone` to the head's dates (see the module doc): each date is re-expressed in the
    /// offset the zone had at that instant, so a period across a daylight-saving change keeps both.
    fn apply_zone(&mut self, head: &mut Head, extras: &Extras) {
        let Some(zone) = &extras.zone else { return };
        let zones = &mut self.st.zones;
        let mut in_zone = |t: &chrono::DateTime<chrono::FixedOffset>| {
            zones
                .offset_at(zone, &t.naive_utc())
                .map(|off| t.with_timezone(&off))
        };
        match (in_zone(&head.start), in_zone(&head.end)) {
            (Some(start), Some(end)) => {
                head.start = start;
                head.end = end;
                head.creation = head.creation.map(|c| in_zone(&c).unwrap_or(c));
            }
            _ => {
                let loc = self.issue_location();
                self.report.issue(
                    Severity::Info,
                    "time-zone-not-resolved",
                    loc,
                    "HKTimeZone names a zone phrkit cannot resolve; the offset is kept as written",
                );
            }
        }
    }

    /// Adds source, creation time, metadata and identifier — in place where possible, since a measurement
    /// is a few hundred bytes and builder calls would move it each time.
    fn finish_measurement(&self, mut m: Measurement, head: &Head, extras: Extras) -> Measurement {
        finish_in_place(&mut m, Arc::clone(&head.source), head.creation, extras);
        m
    }

    fn emit(&mut self, m: Measurement, counted_as: &str) {
        self.report.converted(counted_as);
        self.out.push_back(Record::Measurement(m));
    }

    /// [`Self::emit`] for the hot path: the measurement is queued first and finished where it sits in the
    /// queue (a record is a few hundred bytes; every move is a copy).
    fn emit_finished(&mut self, m: Measurement, head: Head, extras: Extras) {
        self.report.converted(&head.kind.name);
        self.out.push_back(Record::Measurement(m));
        if let Some(Record::Measurement(m)) = self.out.back_mut() {
            finish_in_place(m, head.source, head.creation, extras);
        }
    }

    pub(super) fn record(&mut self, start: &BytesStart<'_>, has_children: bool) -> Result<()> {
        let head = self.head(start, "Record", None);
        let mut extras = Extras::default();
        let mut failed = None;
        if has_children {
            self.record_children(&mut extras, &mut failed)?;
        }
        self.finish_record(head, extras, failed)
    }

    /// [`Self::record`] for a record the fast lane took whole from the lent buffer `buf`: the same
    /// attributes and entries, in the same order, reach the same code, with the reader moved to the same
    /// points the general path has reached at each call (so every line in a message agrees).
    pub(super) fn record_fast(&mut self, r: &FastRecord<'_>, buf: &[u8]) -> Result<()> {
        let mut at = Mark::default();
        self.fast_advance(buf, &mut at, r.head_end);
        let head = self.head_from(r.attrs(), "Record", None);
        self.report.ignore_elements(HRV_LIST, r.hrv_lists);
        self.report.ignore_elements(BEAT, r.beats);
        let mut extras = Extras::default();
        let mut failed = None;
        for (raw, end) in r.entries_with_ends() {
            self.fast_advance(buf, &mut at, end);
            if let Err(err) = self.metadata_entry(raw, &mut extras) {
                failed.get_or_insert(err);
            }
        }
        self.fast_advance(buf, &mut at, r.end());
        self.finish_record(head, extras, failed)
    }

    fn finish_record(
        &mut self,
        head: std::result::Result<Head, ItemError>,
        extras: Extras,
        failed: Option<ItemError>,
    ) -> Result<()> {
        // A head error wins over a child error (both are reported as one failed item).
        let mut head = match head {
            Ok(h) => h,
            Err((reason, e)) => return self.fail_item(reason, e),
        };
        if let Some((reason, e)) = failed {
            return self.fail_item(reason, e);
        }
        self.apply_zone(&mut head, &extras);
        match self.build_record(head, extras) {
            Ok(()) => Ok(()),
            Err((reason, e)) => self.fail_item(reason, e),
        }
    }

    fn effective(&self, head: &Head) -> std::result::Result<Effective, ItemError> {
        Effective::from_bounds(head.start, head.end)
            .map_err(|e| ("invalid-record", self.record_error(e)))
    }

    fn build_record(
        &mut self,
        head: Head,
        mut extras: Extras,
    ) -> std::result::Result<(), ItemError> {
        match head.kind.class.clone() {
            Class::Sleep => {
                let stage = match &head.value {
                    Some(Val::Text(t)) => stage(t),
                    Some(Val::Num(n)) => stage(&n.to_string()),
                    None => None,
                }
                .ok_or_else(|| {
                    (
                        "invalid-value",
                        self.invalid("unknown sleep-analysis value"),
                    )
                })?;
                let period = Period::new(head.start, head.end)
                    .map_err(|e| ("invalid-record", self.record_error(e)))?;
                if let Some(id) = extras.identifier.take() {
                    extras.metadata.push(MetadataEntry {
                        key: "HKExternalUUID".into(),
                        value: id,
                    });
                }
                self.report.converted("sleepStage");
                if let Some(session) = self.st.sleep.add(
                    Some(Arc::clone(&head.source)),
                    stage,
                    period,
                    extras.metadata,
                ) {
                    self.emit_session(session);
                }
                Ok(())
            }
            Class::BpComponent(systolic) => {
                let value = match &head.value {
                    Some(Val::Num(n)) => *n,
                    _ => {
                        return Err((
                            "invalid-value",
                            self.invalid("blood pressure without a numeric value"),
                        ))
                    }
                };
                let kind = other_kind(&head.kind.text);
                let m = self.quantity_or_text(kind, &head, &mut extras)?;
                let m = self.finish_measurement(m, &head, extras);
                let key = Key::new(
                    systolic,
                    head.source.name.clone(),
                    head.start.timestamp(),
                    head.end.timestamp(),
                    value,
                );
                let location = self.issue_location();
                match self.st.bp.top_level(Held {
                    key,
                    record: m,
                    location,
                }) {
                    TopLevel::Duplicate => {
                        let loc = self.issue_location();
                        self.report.skip(
                            "duplicate-of-correlation",
                            loc,
                            "same reading as a blood-pressure correlation child",
                        );
                    }
                    TopLevel::Held(Some(released)) => {
                        let released = *released;
                        let name = released.record.kind().name();
                        self.emit(released.record, &name);
                    }
                    TopLevel::Held(None) => {}
                }
                Ok(())
            }
            Class::Known(kind) | Class::Other(kind) => {
                let m = self.quantity_or_text(kind, &head, &mut extras)?;
                self.emit_finished(m, head, extras);
                Ok(())
            }
        }
    }

    /// A quantity for known kinds (or an error); for `Other`, a quantity when the unit is known, else
    /// text (with the unit as written kept in metadata).
    fn quantity_or_text(
        &self,
        kind: Kind,
        head: &Head,
        extras: &mut Extras,
    ) -> std::result::Result<Measurement, ItemError> {
        let eff = self.effective(head)?;
        let known = kind.info().is_some();
        let q = head
            .value
            .as_ref()
            .and_then(|v| quantity_of(&kind, v, &head.unit));
        let value = match (q, known) {
            (Some(q), _) => MeasurementValue::Quantity(q),
            (None, true) => {
                return Err(match (&head.value, &head.unit) {
                    (Some(Val::Num(_)), Some((Spelling::Unknown, _))) => {
                        ("unknown-unit", self.invalid("unit not known for this type"))
                    }
                    (Some(Val::Num(_)), Some(_)) => (
                        "invalid-value",
                        self.invalid("value cannot be converted to the type's unit"),
                    ),
                    _ => (
                        "invalid-value",
                        self.invalid("missing or non-numeric value"),
                    ),
                });
            }
            (None, false) => {
                if let Some((_, Some(u))) = &head.unit {
                    extras.metadata.push(MetadataEntry {
                        key: "unit".into(),
                        value: u.to_string(),
                    });
                }
                MeasurementValue::Text(match &head.value {
                    Some(Val::Text(t)) => t.clone(),
                    Some(Val::Num(n)) => n.to_string(),
                    None => String::new(),
                })
            }
        };
        Measurement::new(kind, eff, value).map_err(|e| ("invalid-record", self.record_error(e)))
    }

    pub(super) fn correlation(&mut self, start: &BytesStart<'_>, has_children: bool) -> Result<()> {
        let head = self.head(start, "Correlation", None);
        let mut extras = Extras::default();
        let mut failed: Option<ItemError> = None;
        let mut children: Vec<Head> = Vec::new();
        if has_children {
            while let Some((e, nested)) = self.child()? {
                match e.name().as_ref() {
                    b"MetadataEntry" => {
                        if let Err(err) = self.metadata_entry(e.attributes_raw(), &mut extras) {
                            failed.get_or_insert(err);
                        }
                        if nested {
                            self.skip_element(b"MetadataEntry")?;
                        }
                    }
                    b"Record" => {
                        match self.head(&e, "Record", None) {
                            Ok(h) if children.len() < MAX_CHILDREN => children.push(h),
                            Ok(_) => self.report.ignore_element("Correlation/Record(over limit)"),
                            Err(err) => {
                                failed.get_or_insert(err);
                            }
                        }
                        if nested {
                            let mut child_extras = Extras::default();
                            let mut ignored = None;
                            self.record_children(&mut child_extras, &mut ignored)?;
                        }
                    }
                    _ => self.ignore_child("Correlation", &e, nested)?,
                }
            }
        }
        let mut head = match (head, failed) {
            (Ok(h), None) => h,
            (Err((reason, e)), _) | (Ok(_), Some((reason, e))) => return self.fail_item(reason, e),
        };
        if &*head.kind.text != "HKCorrelationTypeIdentifierBloodPressure" {
            let loc = self.issue_location();
            self.report.skip(
                "correlation-children-are-top-level",
                loc,
                "non-blood-pressure correlation: its records are read from their top-level copies",
            );
            return Ok(());
        }
        self.apply_zone(&mut head, &extras);
        match self.blood_pressure(head, extras, &children) {
            Ok(()) => Ok(()),
            Err((reason, e)) => self.fail_item(reason, e),
        }
    }

    fn blood_pressure(
        &mut self,
        head: Head,
        extras: Extras,
        children: &[Head],
    ) -> std::result::Result<(), ItemError> {
        let find = |systolic: bool| {
            children
                .iter()
                .find(|c| matches!(c.kind.class, Class::BpComponent(s) if s == systolic))
        };
        let (Some(sys), Some(dia)) = (find(true), find(false)) else {
            return Err((
                "incomplete-correlation",
                self.invalid("blood-pressure correlation without both systolic and diastolic"),
            ));
        };
        let mmhg = |c: &Head| match (&c.value, &c.unit) {
            (Some(Val::Num(n)), Some((Spelling::Unit(Unit::MillimeterOfMercury), _))) => Some(*n),
            _ => None,
        };
        let (Some(s), Some(d)) = (mmhg(sys), mmhg(dia)) else {
            return Err((
                "invalid-value",
                self.invalid("blood pressure not numeric in mmHg"),
            ));
        };
        let eff = self.effective(&head)?;
        let m = Measurement::blood_pressure(eff, s, d)
            .map_err(|e| ("invalid-record", self.record_error(e)))?;
        let m = self.finish_measurement(m, &head, extras);
        for (c, systolic, v) in [(sys, true, s), (dia, false, d)] {
            let key = Key::new(
                systolic,
                c.source.name.clone(),
                c.start.timestamp(),
                c.end.timestamp(),
                v,
            );
            if let Some(held) = self.st.bp.correlation_child(key) {
                self.report.skip(
                    "duplicate-of-correlation",
                    held.location,
                    "same reading as a blood-pressure correlation child",
                );
            }
        }
        self.emit(m, "bloodPressure");
        Ok(())
    }

    pub(super) fn workout(&mut self, start: &BytesStart<'_>, has_children: bool) -> Result<()> {
        let mut extra = WorkoutAttrs::new();
        let head = self.head(start, "Workout", Some(&mut extra));
        let mut extras = Extras::default();
        let mut failed: Option<ItemError> = None;
        let mut stats = WorkoutTotals::default();
        let mut activity_stats = WorkoutTotals::default();
        if has_children {
            while let Some((e, nested)) = self.child()? {
                let r = match e.name().as_ref() {
                    b"MetadataEntry" => self.metadata_entry(e.attributes_raw(), &mut extras),
                    b"WorkoutStatistics" => self.workout_statistics(&e, &mut stats, &mut extras),
                    b"WorkoutEvent" => self.summary_entry(&e, "WorkoutEvent", &mut extras),
                    b"WorkoutActivity" => {
                        let r = self.summary_entry(&e, "WorkoutActivity", &mut extras);
                        if nested {
                            while let Some((c, n)) = self.child()? {
                                let r = match c.name().as_ref() {
                                    b"WorkoutStatistics" => self.workout_statistics(
                                        &c,
                                        &mut activity_stats,
                                        &mut extras,
                                    ),
                                    b"WorkoutEvent" => {
                                        self.summary_entry(&c, "WorkoutEvent", &mut extras)
                                    }
                                    b"MetadataEntry" => {
                                        self.metadata_entry(c.attributes_raw(), &mut extras)
                                    }
                                    _ => {
                                        self.ignore_child("Workout/WorkoutActivity", &c, n)?;
                                        continue;
                                    }
                                };
                                if let Err(err) = r {
                                    failed.get_or_insert(err);
                                }
                                if n {
                                    self.skip_element(c.name().as_ref())?;
                                }
                            }
                        }
                        if let Err(err) = r {
                            failed.get_or_insert(err);
                        }
                        continue;
                    }
                    _ => {
                        self.ignore_child("Workout", &e, nested)?;
                        continue;
                    }
                };
                if let Err(err) = r {
                    failed.get_or_insert(err);
                }
                if nested {
                    self.skip_element(e.name().as_ref())?;
                }
            }
        }
        let mut head = match (head, failed) {
            (Ok(h), None) => h,
            (Err((reason, e)), _) | (Ok(_), Some((reason, e))) => return self.fail_item(reason, e),
        };
        self.apply_zone(&mut head, &extras);
        match self.build_workout(head, &extra, extras, stats, activity_stats) {
            Ok(()) => Ok(()),
            Err((reason, e)) => self.fail_item(reason, e),
        }
    }

    fn build_workout(
        &mut self,
        head: Head,
        attrs: &[(&'static str, String)],
        extras: Extras,
        stats: WorkoutTotals,
        activity_stats: WorkoutTotals,
    ) -> std::result::Result<(), ItemError> {
        let get = |k: &str| attrs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.as_str());
        let activity = get("workoutActivityType").unwrap_or_default().to_owned();
        let duration = self.workout_quantity(get("duration"), get("durationUnit"), "min")?;
        let distance = self
            .workout_quantity(get("totalDistance"), get("totalDistanceUnit"), "km")?
            .or(stats.distance)
            .or(activity_stats.distance);
        let energy = self
            .workout_quantity(
                get("totalEnergyBurned"),
                get("totalEnergyBurnedUnit"),
                "kcal",
            )?
            .or(stats.energy)
            .or(activity_stats.energy);
        let eff = self.effective(&head)?;
        let w = Workout {
            activity,
            duration,
            energy,
            distance,
        };
        let m = Measurement::new(Kind::Workout, eff, MeasurementValue::Workout(w))
            .map_err(|e| ("invalid-record", self.record_error(e)))?;
        let m = self.finish_measurement(m, &head, extras);
        self.emit(m, "workout");
        Ok(())
    }

    fn workout_quantity(
        &mut self,
        value: Option<&str>,
        unit: Option<&str>,
        default_unit: &str,
    ) -> std::result::Result<Option<Quantity>, ItemError> {
        let Some(value) = value else { return Ok(None) };
        let spelling = self.st.units.get(unit.unwrap_or(default_unit));
        match dec(value).and_then(|v| plain_quantity(v, spelling)) {
            Some(q) => Ok(Some(q)),
            None => Err((
                "invalid-value",
                self.invalid("workout total with an unknown unit or a non-numeric value"),
            )),
        }
    }

    /// `WorkoutEvent` / `WorkoutActivity` attributes kept as one metadata entry
    /// (`type=… date=… duration=… durationUnit=…`, in document order).
    fn summary_entry(
        &mut self,
        e: &BytesStart<'_>,
        key: &str,
        extras: &mut Extras,
    ) -> std::result::Result<(), ItemError> {
        let mut value = String::new();
        for attr in RawAttrs::new(e.attributes_raw()) {
            let (attr_key, attr_value) =
                attr.map_err(|_| ("invalid-xml", self.invalid("malformed attribute")))?;
            let v = text(attr_value).map_err(|w| ("invalid-text", self.invalid(w)))?;
            if !value.is_empty() {
                value.push(' ');
            }
            value.push_str(&String::from_utf8_lossy(attr_key));
            value.push('=');
            value.push_str(&v);
        }
        if extras.metadata.len() < MAX_CHILDREN {
            extras.metadata.push(MetadataEntry {
                key: key.to_owned(),
                value,
            });
        }
        Ok(())
    }

    /// `WorkoutStatistics`: distance (`HKQuantityTypeIdentifierDistance…`) and active energy sums become the
    /// workout's totals (summed when several, e.g. per activity); everything is also kept as metadata.
    fn workout_statistics(
        &mut self,
        e: &BytesStart<'_>,
        totals: &mut WorkoutTotals,
        extras: &mut Extras,
    ) -> std::result::Result<(), ItemError> {
        let mut type_ = String::new();
        let mut sum = None;
        let mut unit = None;
        for attr in RawAttrs::new(e.attributes_raw()) {
            let (attr_key, attr_value) =
                attr.map_err(|_| ("invalid-xml", self.invalid("malformed attribute")))?;
            let v = text(attr_value).map_err(|w| ("invalid-text", self.invalid(w)))?;
            match attr_key {
                b"type" => type_ = v.into_owned(),
                b"sum" => sum = dec(&v),
                b"unit" => unit = Some(v.into_owned()),
                _ => {}
            }
        }
        self.summary_entry(e, "WorkoutStatistics", extras)?;
        let (Some(sum), Some(unit)) = (sum, unit) else {
            return Ok(());
        };
        let spelling = self.st.units.get(&unit);
        let Some(q) = plain_quantity(sum, spelling) else {
            return Ok(());
        };
        let slot = if type_.starts_with("HKQuantityTypeIdentifierDistance") {
            &mut totals.distance
        } else if type_ == "HKQuantityTypeIdentifierActiveEnergyBurned" {
            &mut totals.energy
        } else {
            return Ok(());
        };
        *slot = match slot.take() {
            None => Some(q),
            Some(prev) => match crate::record::convert::convert(&q, prev.unit) {
                Some(c) => Some(Quantity::new(prev.value + c.value, prev.unit)),
                None => Some(prev),
            },
        };
        Ok(())
    }

    pub(super) fn activity_summary(&mut self, e: &BytesStart<'_>) -> Result<()> {
        match self.build_summary(e) {
            Ok(0) => {
                let loc = self.issue_location();
                self.report.skip(
                    "empty-activity-summary",
                    loc,
                    "activity summary without values",
                );
                Ok(())
            }
            Ok(_) => {
                self.report.converted("activitySummary");
                Ok(())
            }
            Err((reason, err)) => self.fail_item(reason, err),
        }
    }

    /// Emits the summary's measurements and returns how many.
    fn build_summary(&mut self, e: &BytesStart<'_>) -> std::result::Result<usize, ItemError> {
        let mut fields: Vec<(String, String)> = Vec::new();
        for attr in RawAttrs::new(e.attributes_raw()) {
            let (attr_key, attr_value) =
                attr.map_err(|_| ("invalid-xml", self.invalid("malformed attribute")))?;
            let v = text(attr_value).map_err(|w| ("invalid-text", self.invalid(w)))?;
            fields.push((
                String::from_utf8_lossy(attr_key).into_owned(),
                v.into_owned(),
            ));
        }
        let get = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        let date = get("dateComponents")
            .and_then(|d| parse_date(d.as_bytes()))
            .ok_or_else(|| {
                (
                    "invalid-date",
                    self.invalid("missing or malformed dateComponents"),
                )
            })?;
        // (value attribute, goal attribute, kind, unit spelling or unit attribute)
        let rings: [(&str, &str, Kind, &str); 4] = [
            (
                "activeEnergyBurned",
                "activeEnergyBurnedGoal",
                Kind::ActiveEnergyBurned,
                "activeEnergyBurnedUnit",
            ),
            (
                "appleMoveTime",
                "appleMoveTimeGoal",
                other_kind("HKQuantityTypeIdentifierAppleMoveTime"),
                "min",
            ),
            (
                "appleExerciseTime",
                "appleExerciseTimeGoal",
                other_kind("HKQuantityTypeIdentifierAppleExerciseTime"),
                "min",
            ),
            (
                "appleStandHours",
                "appleStandHoursGoal",
                other_kind("HKCategoryTypeIdentifierAppleStandHour"),
                "hr",
            ),
        ];
        let known: Vec<&str> = rings
            .iter()
            .flat_map(|r| [r.0, r.1, r.3])
            .chain(["dateComponents"])
            .collect();
        for (name, _) in &fields {
            if !known.contains(&name.as_str()) {
                self.report
                    .ignore_element(&format!("ActivitySummary@{name}"));
            }
        }
        let mut n = 0;
        for (attr, goal, kind, unit) in rings {
            let Some(v) = get(attr).and_then(dec) else {
                continue;
            };
            let unit = get(unit).unwrap_or(if unit.starts_with("active") {
                "kcal"
            } else {
                unit
            });
            let spelling = self.st.units.get(unit);
            let q = apple_quantity(&kind, v, spelling).ok_or_else(|| {
                (
                    "unknown-unit",
                    self.invalid("activity summary unit not known"),
                )
            })?;
            let mut m = Measurement::quantity(kind.clone(), Effective::Date(date), q.value, q.unit)
                .map_err(|e| ("invalid-record", self.record_error(e)))?;
            if let Some(g) = get(goal) {
                m.push_metadata(goal, g);
            }
            self.out.push_back(Record::Measurement(m));
            n += 1;
        }
        Ok(n)
    }

    pub(super) fn me(&mut self, e: &BytesStart<'_>) -> Result<()> {
        let mut subject = Subject::default();
        for attr in RawAttrs::new(e.attributes_raw()) {
            let Ok((attr_key, attr_value)) = attr else {
                return self.fail_item("invalid-xml", self.invalid("malformed attribute"));
            };
            let v = match text(attr_value) {
                Ok(v) => v,
                Err(w) => return self.fail_item("invalid-text", self.invalid(w)),
            };
            match attr_key {
                b"HKCharacteristicTypeIdentifierDateOfBirth" => {
                    if !v.is_empty() {
                        match parse_date(v.as_bytes()) {
                            Some(d) => subject.birth_date = Some(d),
                            None => {
                                return self.fail_item(
                                    "invalid-date",
                                    self.invalid("malformed date of birth"),
                                )
                            }
                        }
                    }
                }
                b"HKCharacteristicTypeIdentifierBiologicalSex" => {
                    subject.sex = match v.as_ref() {
                        "HKBiologicalSexMale" => Some(Sex::Male),
                        "HKBiologicalSexFemale" => Some(Sex::Female),
                        "HKBiologicalSexOther" => Some(Sex::Other),
                        _ => None,
                    }
                }
                k => {
                    let name = String::from_utf8_lossy(k).into_owned();
                    self.report.ignore_element(&format!("Me@{name}"));
                }
            }
        }
        if subject.is_empty() {
            self.report.converted("subject-placeholder");
        } else {
            self.report.converted("subject");
            self.out.push_back(Record::from(subject));
        }
        Ok(())
    }
}

/// Sets what every Apple measurement carries besides its value: source, creation time, metadata and
/// the `HKExternalUUID` identifier.
fn finish_in_place(
    m: &mut Measurement,
    source: Arc<Source>,
    creation: Option<Timestamp>,
    extras: Extras,
) {
    m.set_source(Some(source));
    m.set_recorded(creation);
    if !extras.metadata.is_empty() {
        m.set_metadata(extras.metadata);
    }
    if extras.identifier.is_some() {
        m.set_identifier(extras.identifier);
    }
}

/// Distance and energy totals gathered from `WorkoutStatistics`.
#[derive(Default)]
struct WorkoutTotals {
    distance: Option<Quantity>,
    energy: Option<Quantity>,
}

fn build_source(raw: &RawSource<'_>) -> std::result::Result<Source, &'static str> {
    let decode = |b: Option<&[u8]>| -> std::result::Result<Option<String>, &'static str> {
        match b {
            Some(b) => Ok(Some(text(b)?.into_owned())),
            None => Ok(None),
        }
    };
    let device = decode(raw.device)?;
    Ok(Source {
        name: decode(raw.name)?,
        version: decode(raw.version)?,
        device: device.as_deref().and_then(parse_device),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_decimals_match_the_general_parser_scale_included() {
        for s in [
            "81",
            "0.894",
            "0.8940",
            "-12.5",
            "007",
            "0",
            "0.0",
            "123456789012345678",
            "98.6",
        ] {
            let fast = plain_decimal(s.as_bytes()).unwrap();
            let general = dec(s).unwrap();
            assert_eq!(fast, general, "{s}");
            assert_eq!(fast.scale(), general.scale(), "{s}");
            assert_eq!(fast.to_string(), general.to_string(), "{s}");
        }
        // Left to the general parser: exponents, signs, blanks, odd points, negative zero, long values.
        for s in [
            "",
            "-",
            "1e3",
            "+1",
            " 1",
            "1.",
            ".5",
            "1.2.3",
            "-0",
            "-0.0",
            "1234567890123456789",
            "1&#46;5",
            "abc",
        ] {
            assert_eq!(plain_decimal(s.as_bytes()), None, "{s}");
        }
        assert_eq!(dec("-0.0").map(|d| d.to_string()), Some("0.0".into()));
    }
}
