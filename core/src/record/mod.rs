//! THE MIDDLE: the typed records every reader produces and every writer consumes.
//!
//! Records know nothing of file formats. Their constructors check the invariants that make a record
//! meaningful (a step count is a non-negative whole number, systolic is not below diastolic, an interval
//! does not end before it starts, a unit is one phrkit knows), so code holding a record never re-checks.
//! Fields that could break an invariant are private and reached through accessors.

mod care;
mod checkup;
pub mod convert;
mod expense;
mod immunization;
mod kind;
mod measurement;
mod medication;
mod subject;
mod time;
mod unit;

#[cfg(any(test, feature = "arbitrary"))]
pub mod arbitrary;

pub use care::{CareDate, CodedText, Institution, YearMonth};
pub use checkup::{
    CheckupOrganization, CheckupReport, CheckupResult, CheckupTicket, CheckupValue, CodedAnswer,
    DocumentId, GroupMember, GroupRelation, GuidanceLevel, MetabolicSyndrome, RangeFlag,
    ReferenceRange, ResultStatus, ValueType, INTERPRETATION_SYSTEM, ITEM_CODE_SYSTEM,
    METHOD_CODE_SYSTEM, PROGRAM_SPECIFIC_CHECKUP, REPORT_CATEGORY_SPECIFIC_CHECKUP,
    SECTION_OPTIONAL, SECTION_RESULTS,
};
pub use expense::{CareCategory, ExpenseAmounts, ExpenseFields, MedicalExpense};
pub use immunization::{Immunization, ImmunizationFields};
pub use kind::{Family, Kind, KindInfo, Shape, KIND_TABLE};
pub use measurement::{
    Measurement, MeasurementValue, MetadataEntry, Quantity, SleepSession, SleepStage,
    SleepStageInterval, Source, SourceDevice, Workout,
};
pub use medication::{
    DispenseFields, Drug, DrugAmount, DrugCodeSystem, MedicationDispense, RpPosition,
};
pub use subject::{Address, AgeBand, InsuredId, PersonName, Sex, Subject};
pub use time::{format_timestamp, write_timestamp, Effective, Period, Timestamp};
pub use unit::Unit;

pub(crate) use unit::fold_width;

/// A decimal that keeps the precision it was written with: `104` and `104.0` are different values in FHIR
/// and stay different here.
pub use rust_decimal::Decimal;

/// A code from a code system (FHIR `Coding`, minus `version`/`userSelected`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Coding {
    /// Code-system URI.
    pub system: String,
    /// The code.
    pub code: String,
    /// Human display, if the source gave one.
    pub display: Option<String>,
}

impl Coding {
    /// A coding without a display.
    pub fn new(system: impl Into<String>, code: impl Into<String>) -> Coding {
        Coding {
            system: system.into(),
            code: code.into(),
            display: None,
        }
    }
}

/// One item a reader produced: a person, or something recorded about the most recent person.
///
/// A stream of records is ordered: a [`Record::Subject`] applies to the records that follow it until the
/// next subject. Lifelog exports hold one person; checkup archives hold many.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
// Measurements are the bulk of every lifelog stream: they stay inline (no allocation per record); the
// rarer kinds are boxed, so a record is no larger than a measurement.
#[allow(clippy::large_enum_variant)]
pub enum Record {
    /// The person the following records are about (boxed: a subject is several times larger than a
    /// measurement, and every record moved through a reader would pay for its size).
    Subject(Box<Subject>),
    /// A lifelog measurement.
    Measurement(Measurement),
    /// One person's 特定健診 (specific health checkup) results: header, subject and result items.
    Checkup(Box<CheckupReport>),
    /// A dispensed or prescribed drug line (薬剤情報).
    Medication(MedicationDispense),
    /// A vaccination (予防接種).
    Immunization(Immunization),
    /// A medical-expense notice row (医療費通知情報).
    Expense(MedicalExpense),
}

impl Record {
    /// A short stable name of the record's type for reports (`subject`, `stepCount`, …).
    pub fn type_name(&self) -> std::borrow::Cow<'static, str> {
        match self {
            Record::Subject(_) => "subject".into(),
            Record::Measurement(m) => m.kind().name(),
            Record::Checkup(_) => "checkup".into(),
            Record::Medication(_) => "medicationDispense".into(),
            Record::Immunization(_) => "immunization".into(),
            Record::Expense(_) => "medicalExpense".into(),
        }
    }
}

impl From<Measurement> for Record {
    fn from(m: Measurement) -> Record {
        Record::Measurement(m)
    }
}

impl From<CheckupReport> for Record {
    fn from(c: CheckupReport) -> Record {
        Record::Checkup(Box::new(c))
    }
}

impl From<MedicationDispense> for Record {
    fn from(m: MedicationDispense) -> Record {
        Record::Medication(m)
    }
}

impl From<Immunization> for Record {
    fn from(i: Immunization) -> Record {
        Record::Immunization(i)
    }
}

impl From<MedicalExpense> for Record {
    fn from(e: MedicalExpense) -> Record {
        Record::Expense(e)
    }
}

impl From<Subject> for Record {
    fn from(s: Subject) -> Record {
        Record::Subject(Box::new(s))
    }
}

/// Why a record could not be built. Carries no values from the input, only what kind of rule was broken.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RecordError {
    /// An interval ends before it starts.
    #[error("interval ends before it starts")]
    EndBeforeStart,
    /// Systolic pressure below diastolic.
    #[error("systolic pressure is below diastolic")]
    SystolicBelowDiastolic,
    /// A value below zero where only non-negative values make sense.
    #[error("negative value for {kind}")]
    Negative {
        /// The measurement kind.
        kind: String,
    },
    /// A fractional value where a whole number is required (step counts).
    #[error("{kind} must be a whole number")]
    NotWhole {
        /// The measurement kind.
        kind: String,
    },
    /// Above the kind's physical maximum (e.g. SpO2 over 100 %).
    #[error("value above the maximum {max} for {kind}")]
    AboveMaximum {
        /// The measurement kind.
        kind: String,
        /// The maximum in the canonical unit.
        max: u32,
    },
    /// A unit phrkit does not know, or one that does not fit the kind.
    #[error("unit {unit:?} is not valid for {kind}")]
    UnknownUnit {
        /// The unit as given (a unit spelling is not personal data).
        unit: String,
        /// The measurement kind.
        kind: String,
    },
    /// The value's shape does not fit the kind (a quantity for a blood-pressure kind, …).
    #[error("value shape does not fit {kind}")]
    WrongShape {
        /// The measurement kind.
        kind: String,
    },
    /// A sleep stage lies outside its session, or a session has no stage.
    #[error("sleep stage outside its session or session without stages")]
    SleepStageOutsideSession,
    /// A malformed identifier (insurer number of the wrong length, a colon inside an element, …).
    #[error("malformed {what}")]
    MalformedIdentifier {
        /// Which identifier element.
        what: &'static str,
    },
    /// A text value holds a character the output format cannot carry (a C0 control in XML 1.0).
    #[error("text holds a character {format} cannot carry")]
    UnwritableCharacter {
        /// The output format.
        format: &'static str,
    },
    /// A required field is empty.
    #[error("{field} must not be empty")]
    Empty {
        /// Which field.
        field: &'static str,
    },
    /// A value outside its allowed range (a 13th month, dose number 0, 400 days supplied).
    #[error("{field} is out of range")]
    OutOfRange {
        /// Which field.
        field: &'static str,
    },
    /// A payer's share is larger than the total cost it is a share of.
    #[error("{share} exceeds the total")]
    ShareExceedsTotal {
        /// Which share.
        share: &'static str,
    },
}
