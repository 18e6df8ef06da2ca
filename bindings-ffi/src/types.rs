//! The records as Kotlin and Swift see them, and the conversions to and from phrkit's own types.
//!
//! Plain data on purpose (uniffi records and enums, copied across the FFI): no behaviour lives here, every
//! rule stays in phrkit and is applied when a value is converted back (`TryFrom` runs the core
//! constructors). Choices that keep the conversion lossless:
//!
//! * decimals travel as text (`"104.0"` stays `104.0`; a double would lose the scale FHIR keeps);
//! * instants travel as epoch milliseconds + the UTC offset they were written with + the nanoseconds below
//!   the millisecond, so `07:01:00.123456+09:00` comes back unchanged;
//! * units travel as UCUM codes, kinds as PGHD codes (`stepCount`), sexes and sleep stages as their codes;
//! * マイナポータル / checkup families (checkup, medication, immunization, expense) arrive as read-only
//!   summaries with their key fields, for display; their full content stays in the `Dataset`, which writes
//!   them to FHIR unchanged (a summary cannot be converted back — keep the `Dataset`);
//! * record types this binding does not model yet arrive as `Unsupported` with their type name, so a new
//!   `phrkit::Record` variant never breaks the FFI build or a reader call.
//!
//! Names avoid platform clashes: `PhrRecord` (not `java.lang.Record`), `PhrMeasurement` (not Foundation's
//! `Measurement`).

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate};
use phrkit::record::{
    self, Coding as CoreCoding, Decimal, Kind, Measurement as CoreMeasurement,
    MeasurementValue as CoreValue, Period, SleepSession, SleepStage,
    SleepStageInterval as CoreStage,
};

use crate::error::{FfiResult, PhrkitError};

/// An instant with the UTC offset it was written with.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct Timestamp {
    /// Milliseconds since 1970-01-01T00:00:00Z.
    pub epoch_ms: i64,
    /// The offset from UTC the source wrote (`32400` for +09:00).
    pub utc_offset_seconds: i32,
    /// Nanoseconds below the millisecond (0–999 999); 0 for platform samples.
    #[uniffi(default = 0)]
    pub nanos_in_ms: u32,
}

/// When a measurement applies (FHIR `effective[x]`).
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum Effective {
    /// A point in time.
    Instant {
        /// The instant.
        at: Timestamp,
    },
    /// An interval (`end` is never before `start`; checked when converted back).
    Period {
        /// Start.
        start: Timestamp,
        /// End.
        end: Timestamp,
    },
    /// A calendar date without time or zone.
    Date {
        /// Year.
        year: i32,
        /// Month 1–12.
        month: u32,
        /// Day 1–31.
        day: u32,
    },
}

/// A value with a UCUM unit.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct Quantity {
    /// The decimal as written (`"104.0"`); parse with `BigDecimal` / `Decimal(string:)`.
    pub value: String,
    /// UCUM code (`kg`, `/min`, `mm[Hg]`).
    pub unit: String,
}

/// One stage interval of a sleep session.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct SleepStageInterval {
    /// Stage code: `inBed`, `asleepUnspecified`, `awake`, `asleepCore`, `asleepDeep`, `asleepREM`,
    /// `outOfBed`.
    pub stage: String,
    /// Start.
    pub start: Timestamp,
    /// End.
    pub end: Timestamp,
}

/// A workout.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct Workout {
    /// Activity type as the source names it.
    pub activity: String,
    /// Duration (`min`, `s`, `h`).
    #[uniffi(default)]
    pub duration: Option<Quantity>,
    /// Energy burned (`kcal`, `kJ`).
    #[uniffi(default)]
    pub energy: Option<Quantity>,
    /// Distance (`m`, `km`).
    #[uniffi(default)]
    pub distance: Option<Quantity>,
}

/// The value of a measurement.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum MeasurementValue {
    /// One quantity.
    Quantity {
        /// The quantity.
        quantity: Quantity,
    },
    /// Blood pressure in `mm[Hg]`, as decimal text.
    BloodPressure {
        /// Systolic.
        systolic: String,
        /// Diastolic.
        diastolic: String,
    },
    /// A sleep session.
    Sleep {
        /// Stages in time order.
        stages: Vec<SleepStageInterval>,
    },
    /// A workout.
    Workout {
        /// The workout.
        workout: Workout,
    },
    /// A coded or textual value (e.g. a HealthKit category value of a kind phrkit has no row for).
    Text {
        /// The text.
        text: String,
    },
    /// A value shape this binding does not model yet (read-only: cannot be converted back).
    Unsupported {
        /// Debug name of the shape.
        shape: String,
    },
}

/// The device part of a source.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, uniffi::Record)]
pub struct SourceDevice {
    /// Device name.
    #[uniffi(default)]
    pub name: Option<String>,
    /// Manufacturer.
    #[uniffi(default)]
    pub manufacturer: Option<String>,
    /// Model.
    #[uniffi(default)]
    pub model: Option<String>,
    /// Hardware revision.
    #[uniffi(default)]
    pub hardware: Option<String>,
    /// Software version.
    #[uniffi(default)]
    pub software: Option<String>,
}

/// Where a measurement came from.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, uniffi::Record)]
pub struct Source {
    /// App or source name (Health Connect package name, HealthKit source name).
    #[uniffi(default)]
    pub name: Option<String>,
    /// App version.
    #[uniffi(default)]
    pub version: Option<String>,
    /// The hardware, if any.
    #[uniffi(default)]
    pub device: Option<SourceDevice>,
}

/// A key/value pair kept from the source.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct MetadataEntry {
    /// Key.
    pub key: String,
    /// Value as written.
    pub value: String,
}

/// One lifelog measurement.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct PhrMeasurement {
    /// PGHD code of a known kind (`stepCount`, `bodyMass`); for other kinds the source's own code.
    pub kind: String,
    /// Set only for kinds phrkit has no row for: the code system of `kind`.
    #[uniffi(default)]
    pub kind_system: Option<String>,
    /// Display of an other kind's code, if the source gave one.
    #[uniffi(default)]
    pub kind_display: Option<String>,
    /// When.
    pub effective: Effective,
    /// The value.
    pub value: MeasurementValue,
    /// Where it came from.
    #[uniffi(default)]
    pub source: Option<Source>,
    /// When the source recorded it (FHIR `issued`).
    #[uniffi(default)]
    pub recorded: Option<Timestamp>,
    /// The source's own id of the sample.
    #[uniffi(default)]
    pub identifier: Option<String>,
    /// Metadata kept from the source.
    #[uniffi(default)]
    pub metadata: Vec<MetadataEntry>,
}

/// A code from a code system.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct Coding {
    /// System URI.
    pub system: String,
    /// Code.
    pub code: String,
    /// Display.
    #[uniffi(default)]
    pub display: Option<String>,
}

/// A name in one written form.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct PersonName {
    /// Family name part.
    #[uniffi(default)]
    pub family: Option<String>,
    /// Given name part.
    #[uniffi(default)]
    pub given: Option<String>,
    /// The whole name.
    pub text: String,
}

/// An address.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct Address {
    /// Postal code.
    #[uniffi(default)]
    pub postal_code: Option<String>,
    /// Prefecture.
    #[uniffi(default)]
    pub prefecture: Option<String>,
    /// The rest as text.
    #[uniffi(default)]
    pub text: Option<String>,
}

/// The person records are about.
#[derive(Clone, Debug, Default, PartialEq, Eq, uniffi::Record)]
pub struct Subject {
    /// Insured-person id in its JP Core form `insurer:symbol:number:branch` (normalised by phrkit).
    #[uniffi(default)]
    pub insured_id: Option<String>,
    /// Other identifiers.
    #[uniffi(default)]
    pub identifiers: Vec<Coding>,
    /// Name in kanji.
    #[uniffi(default)]
    pub name_kanji: Option<PersonName>,
    /// Name in katakana.
    #[uniffi(default)]
    pub name_kana: Option<PersonName>,
    /// Birth date `YYYY-MM-DD`.
    #[uniffi(default)]
    pub birth_date: Option<String>,
    /// `male`, `female`, `other`, `unknown`.
    #[uniffi(default)]
    pub sex: Option<String>,
    /// Address.
    #[uniffi(default)]
    pub address: Option<Address>,
}

/// One result item of a checkup.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct CheckupItem {
    /// Item code (JLAC10 / 特定健診 item code).
    pub code: String,
    /// Item code system.
    pub code_system: String,
    /// Display name, when the source gave one.
    pub display: Option<String>,
    /// `quantity`, `coded`, `ordinal`, `text`, `date`, or `none` (no value: see the FHIR output).
    pub value_type: String,
    /// The value as text: the decimal as written, the code, the text, or the date `YYYY-MM-DD`.
    pub value: Option<String>,
    /// The unit as the source wrote it (quantities only; not necessarily UCUM).
    pub unit: Option<String>,
}

/// A 特定健診 checkup (one person, one exam date): key fields for display, read-only.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct CheckupSummary {
    /// The examined person.
    pub subject: Subject,
    /// Exam date `YYYY-MM-DD`.
    pub exam_date: String,
    /// Program code (特定健診 …) as in the source.
    pub program: String,
    /// Report category code as in the source.
    pub report_category: String,
    /// Insurer number.
    pub insurer_number: Option<String>,
    /// Name of the performing institution.
    pub performer_name: Option<String>,
    /// The result items in source order.
    pub results: Vec<CheckupItem>,
}

/// A dispensed or prescribed drug line (薬剤情報): key fields for display, read-only.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct MedicationSummary {
    /// Drug name as written.
    pub drug_name: Option<String>,
    /// Drug code.
    pub drug_code: Option<String>,
    /// Its system key (`yj`, `hot9`, `receipt`, … or a URI).
    pub drug_code_system: Option<String>,
    /// Prescribing date `YYYY-MM-DD`.
    pub prescribed: Option<String>,
    /// Dispensing date `YYYY-MM-DD`.
    pub dispensed: Option<String>,
    /// Quantity dispensed, decimal as written.
    pub quantity: Option<String>,
    /// Unit of `quantity` as written (`錠`, `mL`).
    pub quantity_unit: Option<String>,
    /// Days supplied.
    pub days_supplied: Option<u32>,
    /// Usage (用法) text.
    pub usage: Option<String>,
    /// Pharmacy name.
    pub pharmacy: Option<String>,
}

/// A vaccination (予防接種): key fields for display, read-only.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct ImmunizationSummary {
    /// Date of vaccination `YYYY-MM-DD`.
    pub occurred: String,
    /// Vaccine name as written.
    pub vaccine_name: Option<String>,
    /// Vaccine code.
    pub vaccine_code: Option<String>,
    /// Its system key.
    pub vaccine_code_system: Option<String>,
    /// Lot number.
    pub lot: Option<String>,
    /// Dose number in the series.
    pub dose_number: Option<u32>,
    /// Target disease text.
    pub target_disease: Option<String>,
    /// Institution name.
    pub performer: Option<String>,
}

/// A medical-expense notice row (医療費通知情報): key fields for display, read-only.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct ExpenseSummary {
    /// Month of care `YYYY-MM`.
    pub month: String,
    /// phrkit's category code (`medical-outpatient`, `pharmacy` …) or, for others, the source label.
    pub category: String,
    /// The category as the source labels it (`医科外来`).
    pub category_label: String,
    /// Days of care.
    pub days: Option<u32>,
    /// Institution name.
    pub institution_name: Option<String>,
    /// Institution code (7 or 10 digits).
    pub institution_code: Option<String>,
    /// Total cost in yen.
    pub total_yen: u64,
    /// Paid by the insurer, yen.
    pub insurer_yen: u64,
    /// Paid by public funds, yen.
    pub public_yen: u64,
    /// Paid by the patient, yen.
    pub patient_yen: u64,
}

/// One record: a person, a measurement, a マイナポータル/checkup family summary, or a type this binding
/// does not model yet.
// Variants are not boxed: uniffi copies them by value across the FFI, where a Box has no meaning.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum PhrRecord {
    /// The person the following records are about.
    Subject {
        /// The person.
        subject: Subject,
    },
    /// A lifelog measurement.
    Measurement {
        /// The measurement.
        measurement: PhrMeasurement,
    },
    /// A 特定健診 checkup (read-only summary; the `Dataset` keeps the full record for FHIR output).
    Checkup {
        /// The checkup.
        checkup: CheckupSummary,
    },
    /// A drug line (read-only summary).
    Medication {
        /// The drug line.
        medication: MedicationSummary,
    },
    /// A vaccination (read-only summary).
    Immunization {
        /// The vaccination.
        immunization: ImmunizationSummary,
    },
    /// A medical-expense row (read-only summary).
    Expense {
        /// The expense row.
        expense: ExpenseSummary,
    },
    /// A record type of phrkit that this binding version does not model (as the core grows). Kept in the `Dataset`, so FHIR output from a `Dataset` still contains it; read-only here.
    Unsupported {
        /// phrkit's type name of the record.
        type_name: String,
    },
}

// ---------------------------------------------------------------- core → FFI

pub(crate) fn timestamp(t: &record::Timestamp) -> Timestamp {
    Timestamp {
        epoch_ms: t.timestamp_millis(),
        utc_offset_seconds: t.offset().local_minus_utc(),
        nanos_in_ms: t.timestamp_subsec_nanos() % 1_000_000,
    }
}

fn effective(e: &record::Effective) -> Effective {
    match e {
        record::Effective::Instant(t) => Effective::Instant { at: timestamp(t) },
        record::Effective::Period(p) => Effective::Period {
            start: timestamp(p.start()),
            end: timestamp(p.end()),
        },
        record::Effective::Date(d) => Effective::Date {
            year: d.year(),
            month: d.month(),
            day: d.day(),
        },
    }
}

fn quantity(q: &record::Quantity) -> Quantity {
    Quantity {
        value: q.value.to_string(),
        unit: q.unit.ucum().to_owned(),
    }
}

fn value(v: &CoreValue) -> MeasurementValue {
    match v {
        CoreValue::Quantity(q) => MeasurementValue::Quantity {
            quantity: quantity(q),
        },
        CoreValue::BloodPressure {
            systolic,
            diastolic,
        } => MeasurementValue::BloodPressure {
            systolic: systolic.to_string(),
            diastolic: diastolic.to_string(),
        },
        CoreValue::Sleep(s) => MeasurementValue::Sleep {
            stages: s
                .stages()
                .iter()
                .map(|st| SleepStageInterval {
                    stage: st.stage.code().to_owned(),
                    start: timestamp(st.period.start()),
                    end: timestamp(st.period.end()),
                })
                .collect(),
        },
        CoreValue::Workout(w) => MeasurementValue::Workout {
            workout: Workout {
                activity: w.activity.clone(),
                duration: w.duration.as_ref().map(quantity),
                energy: w.energy.as_ref().map(quantity),
                distance: w.distance.as_ref().map(quantity),
            },
        },
        CoreValue::Text(t) => MeasurementValue::Text { text: t.clone() },
        other => MeasurementValue::Unsupported {
            shape: shape_name(other),
        },
    }
}

/// The variant name of a value shape added to the core after this binding (never a value).
fn shape_name(v: &CoreValue) -> String {
    let debug = format!("{v:?}");
    debug
        .split(|c: char| !c.is_alphanumeric())
        .next()
        .unwrap_or("unknown")
        .to_owned()
}

pub(crate) fn source(s: &record::Source) -> Source {
    Source {
        name: s.name.clone(),
        version: s.version.clone(),
        device: s.device.as_ref().map(|d| SourceDevice {
            name: d.name.clone(),
            manufacturer: d.manufacturer.clone(),
            model: d.model.clone(),
            hardware: d.hardware.clone(),
            software: d.software.clone(),
        }),
    }
}

pub(crate) fn measurement(m: &CoreMeasurement) -> PhrMeasurement {
    let (kind, kind_system, kind_display) = match m.kind() {
        Kind::Other(c) => (c.code.clone(), Some(c.system.clone()), c.display.clone()),
        k => (k.name().into_owned(), None, None),
    };
    PhrMeasurement {
        kind,
        kind_system,
        kind_display,
        effective: effective(m.effective()),
        value: value(m.value()),
        source: m.source().map(|s| source(s)),
        recorded: m.recorded().map(timestamp),
        identifier: m.identifier().map(str::to_owned),
        metadata: m
            .metadata()
            .iter()
            .map(|e| MetadataEntry {
                key: e.key.clone(),
                value: e.value.clone(),
            })
            .collect(),
    }
}

fn subject(s: &record::Subject) -> Subject {
    let name = |n: &record::PersonName| PersonName {
        family: n.family.clone(),
        given: n.given.clone(),
        text: n.text.clone(),
    };
    Subject {
        insured_id: s.insured_id.as_ref().map(|i| i.to_jp_core()),
        identifiers: s
            .identifiers
            .iter()
            .map(|c| Coding {
                system: c.system.clone(),
                code: c.code.clone(),
                display: c.display.clone(),
            })
            .collect(),
        name_kanji: s.name_kanji.as_ref().map(name),
        name_kana: s.name_kana.as_ref().map(name),
        birth_date: s.birth_date.map(|d| d.format("%Y-%m-%d").to_string()),
        sex: s.sex.map(|x| x.code().to_owned()),
        address: s.address.as_ref().map(|a| Address {
            postal_code: a.postal_code.clone(),
            prefecture: a.prefecture.clone(),
            text: a.text.clone(),
        }),
    }
}

fn ymd(d: &NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn checkup_item(r: &record::CheckupResult) -> CheckupItem {
    use record::CheckupValue as V;
    let (value_type, value, unit) = match &r.value {
        Some(V::Quantity { value, unit }) => ("quantity", Some(value.to_string()), unit.clone()),
        Some(V::Coded(c)) => ("coded", Some(c.code.clone()), None),
        Some(V::Ordinal(c)) => ("ordinal", Some(c.code.clone()), None),
        Some(V::Text(t)) => ("text", Some(t.clone()), None),
        Some(V::Date(d)) => ("date", Some(ymd(d)), None),
        None => ("none", None, None),
    };
    CheckupItem {
        code: r.code.clone(),
        code_system: r.code_system.clone(),
        display: r.display.clone(),
        value_type: value_type.to_owned(),
        value,
        unit,
    }
}

fn checkup(c: &record::CheckupReport) -> CheckupSummary {
    CheckupSummary {
        subject: subject(&c.subject),
        exam_date: ymd(&c.exam_date),
        program: c.program.clone(),
        report_category: c.report_category.clone(),
        insurer_number: c.insurer_number.clone(),
        performer_name: c.performer.as_ref().and_then(|p| p.name.clone()),
        results: c.results.iter().map(checkup_item).collect(),
    }
}

/// (name, code, system key) of a drug.
fn drug(d: &record::Drug) -> (Option<String>, Option<String>, Option<String>) {
    let code = d.code();
    (
        d.name().map(str::to_owned),
        code.map(|(_, c)| c.to_owned()),
        code.map(|(s, _)| s.key().to_owned()),
    )
}

fn medication(m: &record::MedicationDispense) -> MedicationSummary {
    let (drug_name, drug_code, drug_code_system) = drug(&m.drug);
    MedicationSummary {
        drug_name,
        drug_code,
        drug_code_system,
        prescribed: m.prescribed.as_ref().map(ymd),
        dispensed: m.dispensed.as_ref().map(ymd),
        quantity: m.quantity.as_ref().map(|q| q.value().to_string()),
        quantity_unit: m.quantity.as_ref().map(|q| q.unit().to_owned()),
        days_supplied: m.days_supplied,
        usage: m.usage.as_ref().and_then(coded_text),
        pharmacy: m
            .pharmacy
            .as_ref()
            .and_then(|p| p.name().map(str::to_owned)),
    }
}

/// The text of a coded text, else its code.
fn coded_text(c: &record::CodedText) -> Option<String> {
    c.text()
        .map(str::to_owned)
        .or_else(|| c.coding().map(|k| k.code.clone()))
}

fn immunization(i: &record::Immunization) -> ImmunizationSummary {
    let (vaccine_name, vaccine_code, vaccine_code_system) = drug(&i.vaccine);
    ImmunizationSummary {
        occurred: ymd(&i.occurred.date()),
        vaccine_name,
        vaccine_code,
        vaccine_code_system,
        lot: i.lot.clone(),
        dose_number: i.dose_number,
        target_disease: i.target_disease.as_ref().and_then(coded_text),
        performer: i
            .performer
            .as_ref()
            .and_then(|p| p.name().map(str::to_owned)),
    }
}

fn expense(e: &record::MedicalExpense) -> ExpenseSummary {
    ExpenseSummary {
        month: e.month.to_string(),
        category: e
            .category
            .code()
            .map(str::to_owned)
            .unwrap_or_else(|| e.category.label().to_owned()),
        category_label: e.category.label().to_owned(),
        days: e.days,
        institution_name: e.institution.name().map(str::to_owned),
        institution_code: e.institution.code().map(str::to_owned),
        total_yen: e.amounts.total,
        insurer_yen: e.amounts.insurer,
        public_yen: e.amounts.public,
        patient_yen: e.amounts.patient,
    }
}

/// Converts one core record for Kotlin/Swift.
pub(crate) fn record(r: &record::Record) -> PhrRecord {
    match r {
        record::Record::Subject(s) => PhrRecord::Subject {
            subject: subject(s),
        },
        record::Record::Measurement(m) => PhrRecord::Measurement {
            measurement: measurement(m),
        },
        record::Record::Checkup(c) => PhrRecord::Checkup {
            checkup: checkup(c),
        },
        record::Record::Medication(m) => PhrRecord::Medication {
            medication: medication(m),
        },
        record::Record::Immunization(i) => PhrRecord::Immunization {
            immunization: immunization(i),
        },
        record::Record::Expense(e) => PhrRecord::Expense {
            expense: expense(e),
        },
        // Record is #[non_exhaustive]: a family added to the core later arrives here.
        other => PhrRecord::Unsupported {
            type_name: other.type_name().into_owned(),
        },
    }
}

// ---------------------------------------------------------------- FFI → core

/// Converts FFI values back to core records, sharing one `Arc<Source>` per distinct source.
#[derive(Default)]
pub(crate) struct ToCore {
    sources: HashMap<Source, Arc<record::Source>>,
}

fn misuse(location: &str, code: &str, reason: &str) -> PhrkitError {
    PhrkitError::misuse(code, location.to_owned(), reason)
}

pub(crate) fn core_timestamp(t: &Timestamp, loc: &str) -> FfiResult<record::Timestamp> {
    let offset = FixedOffset::east_opt(t.utc_offset_seconds)
        .ok_or_else(|| misuse(loc, "bad-offset", "UTC offset out of range (±24 h)"))?;
    if t.nanos_in_ms >= 1_000_000 {
        return Err(misuse(
            loc,
            "bad-time",
            "nanos_in_ms must be below 1 000 000",
        ));
    }
    let secs = t.epoch_ms.div_euclid(1000);
    let nanos = (t.epoch_ms.rem_euclid(1000) as u32) * 1_000_000 + t.nanos_in_ms;
    DateTime::from_timestamp(secs, nanos)
        .map(|utc| utc.with_timezone(&offset))
        .ok_or_else(|| misuse(loc, "bad-time", "instant out of range"))
}

pub(crate) fn decimal(text: &str, loc: &str) -> FfiResult<Decimal> {
    Decimal::from_str(text.trim()).map_err(|_| misuse(loc, "bad-decimal", "not a decimal number"))
}

pub(crate) fn unit(code: &str, loc: &str) -> FfiResult<record::Unit> {
    record::Unit::from_source_spelling(code)
        .ok_or_else(|| misuse(loc, "unknown-unit", "unit phrkit does not know"))
}

fn core_quantity(q: &Quantity, loc: &str) -> FfiResult<record::Quantity> {
    Ok(record::Quantity::new(
        decimal(&q.value, loc)?,
        unit(&q.unit, loc)?,
    ))
}

fn core_effective(e: &Effective, loc: &str) -> FfiResult<record::Effective> {
    Ok(match e {
        Effective::Instant { at } => record::Effective::Instant(core_timestamp(at, loc)?),
        Effective::Period { start, end } => record::Effective::Period(
            Period::new(core_timestamp(start, loc)?, core_timestamp(end, loc)?)
                .map_err(|e| PhrkitError::record(loc.to_owned(), &e))?,
        ),
        Effective::Date { year, month, day } => record::Effective::Date(
            NaiveDate::from_ymd_opt(*year, *month, *day)
                .ok_or_else(|| misuse(loc, "bad-date", "no such calendar date"))?,
        ),
    })
}

pub(crate) fn sleep_stage(code: &str, loc: &str) -> FfiResult<SleepStage> {
    SleepStage::from_code(code)
        .ok_or_else(|| misuse(loc, "unknown-sleep-stage", "unknown stage code"))
}

pub(crate) fn core_sleep(stages: &[SleepStageInterval], loc: &str) -> FfiResult<SleepSession> {
    let stages = stages
        .iter()
        .map(|s| {
            let period = Period::new(core_timestamp(&s.start, loc)?, core_timestamp(&s.end, loc)?)
                .map_err(|e| PhrkitError::record(loc.to_owned(), &e))?;
            Ok(CoreStage {
                stage: sleep_stage(&s.stage, loc)?,
                period,
            })
        })
        .collect::<FfiResult<Vec<_>>>()?;
    SleepSession::new(stages).map_err(|e| PhrkitError::record(loc.to_owned(), &e))
}

pub(crate) fn core_workout(w: &Workout, loc: &str) -> FfiResult<record::Workout> {
    let q = |q: &Option<Quantity>| q.as_ref().map(|q| core_quantity(q, loc)).transpose();
    Ok(record::Workout {
        activity: w.activity.clone(),
        duration: q(&w.duration)?,
        energy: q(&w.energy)?,
        distance: q(&w.distance)?,
    })
}

fn core_value(v: &MeasurementValue, loc: &str) -> FfiResult<CoreValue> {
    Ok(match v {
        MeasurementValue::Quantity { quantity } => {
            CoreValue::Quantity(core_quantity(quantity, loc)?)
        }
        MeasurementValue::BloodPressure {
            systolic,
            diastolic,
        } => CoreValue::BloodPressure {
            systolic: decimal(systolic, loc)?,
            diastolic: decimal(diastolic, loc)?,
        },
        MeasurementValue::Sleep { stages } => CoreValue::Sleep(core_sleep(stages, loc)?),
        MeasurementValue::Workout { workout } => CoreValue::Workout(core_workout(workout, loc)?),
        MeasurementValue::Text { text } => CoreValue::Text(text.clone()),
        MeasurementValue::Unsupported { .. } => {
            return Err(misuse(
                loc,
                "unsupported-value",
                "an Unsupported value cannot be converted back; keep the Dataset instead",
            ))
        }
    })
}

/// A kind from its PGHD code or HealthKit identifier.
pub(crate) fn known_kind(code: &str) -> Option<Kind> {
    Kind::from_pghd(code).or_else(|| Kind::from_healthkit(code))
}

// `..Default::default()` names every field today; it is there so a field the core adds later compiles
// and takes its default instead of breaking the binding.
#[allow(clippy::needless_update)]
impl ToCore {
    /// One shared `Arc` per distinct source value.
    pub(crate) fn source(&mut self, s: &Source) -> Arc<record::Source> {
        if let Some(a) = self.sources.get(s) {
            return a.clone();
        }
        // Struct update from Default: a field the core adds later keeps its default here.
        let core = record::Source {
            name: s.name.clone(),
            version: s.version.clone(),
            device: s.device.as_ref().map(|d| record::SourceDevice {
                name: d.name.clone(),
                manufacturer: d.manufacturer.clone(),
                model: d.model.clone(),
                hardware: d.hardware.clone(),
                software: d.software.clone(),
                ..Default::default()
            }),
            ..Default::default()
        };
        let a = Arc::new(core);
        self.sources.insert(s.clone(), a.clone());
        a
    }

    fn measurement(&mut self, m: &PhrMeasurement, loc: &str) -> FfiResult<CoreMeasurement> {
        let kind = match &m.kind_system {
            Some(system) => {
                let mut c = CoreCoding::new(system.clone(), m.kind.clone());
                c.display = m.kind_display.clone();
                Kind::Other(Box::new(c))
            }
            None => known_kind(&m.kind).ok_or_else(|| {
                misuse(
                    loc,
                    "unknown-kind",
                    "kind is no PGHD code or HealthKit identifier",
                )
            })?,
        };
        let built = CoreMeasurement::new(
            kind,
            core_effective(&m.effective, loc)?,
            core_value(&m.value, loc)?,
        )
        .map_err(|e| PhrkitError::record(loc.to_owned(), &e))?;
        let mut built = built.with_metadata(
            m.metadata
                .iter()
                .map(|e| record::MetadataEntry {
                    key: e.key.clone(),
                    value: e.value.clone(),
                })
                .collect(),
        );
        if let Some(s) = &m.source {
            built = built.with_source(self.source(s));
        }
        if let Some(r) = &m.recorded {
            built = built.with_recorded(core_timestamp(r, loc)?);
        }
        if let Some(id) = &m.identifier {
            built = built.with_identifier(id.clone());
        }
        Ok(built)
    }

    fn subject(&self, s: &Subject, loc: &str) -> FfiResult<record::Subject> {
        let name = |n: &PersonName| record::PersonName {
            family: n.family.clone(),
            given: n.given.clone(),
            text: n.text.clone(),
            ..Default::default()
        };
        let insured_id = s
            .insured_id
            .as_deref()
            .map(record::InsuredId::parse)
            .transpose()
            .map_err(|e| PhrkitError::record(loc.to_owned(), &e))?;
        let birth_date = s
            .birth_date
            .as_deref()
            .map(|d| {
                NaiveDate::parse_from_str(d, "%Y-%m-%d")
                    .map_err(|_| misuse(loc, "bad-date", "birth date must be YYYY-MM-DD"))
            })
            .transpose()?;
        let sex = s
            .sex
            .as_deref()
            .map(|x| {
                record::Sex::from_code(x)
                    .ok_or_else(|| misuse(loc, "unknown-sex", "unknown sex code"))
            })
            .transpose()?;
        let core = record::Subject {
            insured_id,
            identifiers: s
                .identifiers
                .iter()
                .map(|c| {
                    let mut k = CoreCoding::new(c.system.clone(), c.code.clone());
                    k.display = c.display.clone();
                    k
                })
                .collect(),
            name_kanji: s.name_kanji.as_ref().map(name),
            name_kana: s.name_kana.as_ref().map(name),
            birth_date,
            sex,
            address: s.address.as_ref().map(|a| record::Address {
                postal_code: a.postal_code.clone(),
                prefecture: a.prefecture.clone(),
                text: a.text.clone(),
                ..Default::default()
            }),
            ..Default::default()
        };
        Ok(core)
    }

    /// Converts one FFI record; `index` becomes the error location `#/index`.
    pub(crate) fn record(&mut self, r: &PhrRecord, index: usize) -> FfiResult<record::Record> {
        let loc = format!("#/{index}");
        match r {
            PhrRecord::Subject { subject } => {
                Ok(record::Record::from(self.subject(subject, &loc)?))
            }
            PhrRecord::Measurement { measurement } => Ok(record::Record::Measurement(
                self.measurement(measurement, &loc)?,
            )),
            PhrRecord::Checkup { .. }
            | PhrRecord::Medication { .. }
            | PhrRecord::Immunization { .. }
            | PhrRecord::Expense { .. } => Err(misuse(
                &loc,
                "read-only-record",
                "a checkup/medication/immunization/expense summary cannot be converted back; keep the Dataset instead",
            )),
            PhrRecord::Unsupported { .. } => Err(misuse(
                &loc,
                "unsupported-record",
                "an Unsupported record cannot be converted back; keep the Dataset instead",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_keep_offset_and_sub_millisecond_digits() {
        let t = DateTime::parse_from_rfc3339("2025-02-28T07:01:00.123456+09:00").unwrap();
        let f = timestamp(&t);
        assert_eq!(f.utc_offset_seconds, 32_400);
        assert_eq!(f.nanos_in_ms, 456_000);
        assert_eq!(f.epoch_ms, 1_740_693_660_123);
        let back = core_timestamp(&f, "").unwrap();
        assert_eq!(back, t);
        assert_eq!(back.offset().local_minus_utc(), 32_400);
        let before_1970 = Timestamp {
            epoch_ms: -1,
            utc_offset_seconds: 0,
            nanos_in_ms: 0,
        };
        assert_eq!(
            core_timestamp(&before_1970, "").unwrap().to_rfc3339(),
            "1969-12-31T23:59:59.999+00:00"
        );
    }

    #[test]
    fn records_convert_to_ffi_and_back_unchanged() {
        let t = DateTime::parse_from_rfc3339("2025-02-28T07:01:00+09:00").unwrap();
        let mut m = CoreMeasurement::quantity(
            Kind::BodyWeight,
            record::Effective::Instant(t),
            decimal("60.20", "").unwrap(),
            record::Unit::Kilogram,
        )
        .unwrap()
        .with_identifier("hc-1")
        .with_source(Arc::new(record::Source {
            name: Some("com.example.scale".into()),
            ..Default::default()
        }));
        m.push_metadata("HKWasUserEntered", "1");
        let subject = record::Subject {
            insured_id: Some(record::InsuredId::new("12345678", "AB", "99", Some("1")).unwrap()),
            birth_date: NaiveDate::from_ymd_opt(1980, 4, 1),
            sex: Some(record::Sex::Female),
            ..Default::default()
        };
        let core = vec![
            record::Record::from(subject),
            record::Record::Measurement(m),
        ];
        let ffi: Vec<PhrRecord> = core.iter().map(record).collect();
        let PhrRecord::Subject { subject } = &ffi[0] else {
            panic!("subject expected")
        };
        assert_eq!(subject.insured_id.as_deref(), Some("12345678:AB:99:01"));
        assert_eq!(subject.birth_date.as_deref(), Some("1980-04-01"));
        let mut to_core = ToCore::default();
        let back: Vec<record::Record> = ffi
            .iter()
            .enumerate()
            .map(|(i, r)| to_core.record(r, i).unwrap())
            .collect();
        assert_eq!(back, core);
    }

    #[test]
    fn decimals_keep_their_scale() {
        assert_eq!(decimal("104.0", "").unwrap().to_string(), "104.0");
        assert!(
            matches!(decimal("1e", "#/2"), Err(PhrkitError::ApiMisuse { code, location, .. })
            if code == "bad-decimal" && location == "#/2")
        );
    }

    fn fixture(path: &str) -> Vec<u8> {
        std::fs::read(format!("{}/../fixtures/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap()
    }

    #[test]
    fn checkups_and_immunizations_arrive_with_their_key_fields() {
        let ds = crate::dataset::read_bytes(
            fixture("kenshin/hc08_sample.xml"),
            crate::ReadOptions::default(),
        )
        .unwrap();
        let recs = ds.records().unwrap();
        let Some(PhrRecord::Checkup { checkup }) =
            recs.iter().find(|r| matches!(r, PhrRecord::Checkup { .. }))
        else {
            panic!("no checkup")
        };
        assert_eq!(checkup.exam_date.len(), 10);
        assert!(!checkup.results.is_empty());
        assert!(checkup
            .results
            .iter()
            .any(|r| r.value_type == "quantity" && r.unit.is_some()));
        let mapping = String::from_utf8(fixture("myna_portal/immunization_mapping.json")).unwrap();
        let ds = crate::dataset::read_mapped(
            fixture("myna_portal/immunization.csv"),
            mapping,
            crate::ReadOptions::default(),
        )
        .unwrap();
        let imms: Vec<ImmunizationSummary> = ds
            .records()
            .unwrap()
            .into_iter()
            .filter_map(|r| match r {
                PhrRecord::Immunization { immunization } => Some(immunization),
                _ => None,
            })
            .collect();
        assert_eq!(imms.len(), 2);
        assert_eq!(imms[0].occurred, "2025-10-01");
        assert_eq!(imms[0].lot.as_deref(), Some("AB1234"));
        assert_eq!(imms[1].dose_number, Some(1));
        // A summary is read-only: converting it back is refused with a typed error.
        let e = ToCore::default()
            .record(
                &PhrRecord::Immunization {
                    immunization: imms[0].clone(),
                },
                4,
            )
            .unwrap_err();
        assert!(
            matches!(e, PhrkitError::ApiMisuse { ref code, ref location, .. }
            if code == "read-only-record" && location == "#/4")
        );
    }
}
