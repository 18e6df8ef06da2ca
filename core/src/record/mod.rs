//! THE MIDDLE: the typed records every reader produces and every writer consumes.
//!
//! Records know nothing of file formats. Their constructors check the invariants that make a record
//! meaningful (a step count is a non-negative whole number, systolic is not below diastolic, an interval
//! does not end before it starts, a unit is one phrkit knows), so code holding a record never re-checks.
//! Fields that could break an invariant are private and reached through accessors.

pub mod convert;
mod kind;
mod measurement;
mod subject;
mod time;
mod unit;

#[cfg(any(test, feature = "arbitrary"))]
pub mod arbitrary;

pub use kind::{Family, Kind, KindInfo, Shape, KIND_TABLE};
pub use measurement::{
    Measurement, MeasurementValue, MetadataEntry, Quantity, SleepSession, SleepStage,
    SleepStageInterval, Source, SourceDevice, Workout,
};
pub use subject::{Address, InsuredId, PersonName, Sex, Subject};
pub use time::{format_timestamp, Effective, Period, Timestamp};
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
pub enum Record {
    /// The person the following records are about.
    Subject(Subject),
    /// A lifelog measurement.
    Measurement(Measurement),
}

impl Record {
    /// A short stable name of the record's type for reports (`subject`, `stepCount`, …).
    pub fn type_name(&self) -> std::borrow::Cow<'static, str> {
        match self {
            Record::Subject(_) => "subject".into(),
            Record::Measurement(m) => m.kind().name(),
        }
    }
}

impl From<Measurement> for Record {
    fn from(m: Measurement) -> Record {
        Record::Measurement(m)
    }
}

impl From<Subject> for Record {
    fn from(s: Subject) -> Record {
        Record::Subject(s)
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
    /// A required field is empty.
    #[error("{field} must not be empty")]
    Empty {
        /// Which field.
        field: &'static str,
    },
}
