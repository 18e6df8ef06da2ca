//! Lifelog measurements: one reading, interval total, sleep session or workout.

use std::sync::Arc;

use rust_decimal::Decimal;

use super::kind::{Kind, Shape};
use super::time::{Effective, Period, Timestamp};
use super::unit::Unit;
use super::RecordError;

/// A value with a UCUM unit.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Quantity {
    /// The value, with the precision it was written with.
    pub value: Decimal,
    /// The unit.
    pub unit: Unit,
}

impl Quantity {
    /// A quantity.
    pub fn new(value: Decimal, unit: Unit) -> Quantity {
        Quantity { value, unit }
    }
}

/// The device part of a source (Apple's `HKDevice` string without its memory address, Health Connect's
/// `device`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SourceDevice {
    /// Device name (`Apple Watch`).
    pub name: Option<String>,
    /// Manufacturer (`Apple Inc.`, `OMRON`).
    pub manufacturer: Option<String>,
    /// Model (`Watch`).
    pub model: Option<String>,
    /// Hardware revision (`Watch6,2`).
    pub hardware: Option<String>,
    /// Software version (`10.2`).
    pub software: Option<String>,
}

/// Where a measurement came from: the writing app and, when known, the device.
///
/// Readers share one `Arc<Source>` among all records of a source, so millions of records cost one copy.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Source {
    /// The app or source name (`OMRON connect`, Apple `sourceName`, Health Connect package name).
    pub name: Option<String>,
    /// The app version.
    pub version: Option<String>,
    /// The hardware, if any.
    pub device: Option<SourceDevice>,
}

/// A key/value pair kept from the source (Apple `MetadataEntry`), so nothing the source said is lost.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MetadataEntry {
    /// Key (`HKTimeZone`).
    pub key: String,
    /// Value as written.
    pub value: String,
}

/// A sleep stage, covering old and new iOS values and Health Connect's stages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum SleepStage {
    /// In bed, not necessarily asleep.
    InBed,
    /// Asleep, stage unknown (old iOS `Asleep`, iOS 16 `AsleepUnspecified`).
    AsleepUnspecified,
    /// Awake during the sleep period.
    Awake,
    /// Core / light sleep (N1+N2).
    Core,
    /// Deep sleep (N3).
    Deep,
    /// REM sleep.
    Rem,
    /// Out of bed (Health Connect).
    OutOfBed,
}

impl SleepStage {
    /// Every stage, in declaration order.
    pub const ALL: [SleepStage; 7] = [
        SleepStage::InBed,
        SleepStage::AsleepUnspecified,
        SleepStage::Awake,
        SleepStage::Core,
        SleepStage::Deep,
        SleepStage::Rem,
        SleepStage::OutOfBed,
    ];

    /// Code in the PHR IG `sleep-analysis-codes` system (`outOfBed` is phrkit's own, for Health Connect).
    pub fn code(self) -> &'static str {
        match self {
            SleepStage::InBed => "inBed",
            SleepStage::AsleepUnspecified => "asleepUnspecified",
            SleepStage::Awake => "awake",
            SleepStage::Core => "asleepCore",
            SleepStage::Deep => "asleepDeep",
            SleepStage::Rem => "asleepREM",
            SleepStage::OutOfBed => "outOfBed",
        }
    }

    /// Inverse of [`SleepStage::code`].
    pub fn from_code(code: &str) -> Option<SleepStage> {
        SleepStage::ALL.into_iter().find(|s| s.code() == code)
    }

    /// Whether the stage counts as asleep.
    pub fn is_asleep(self) -> bool {
        matches!(
            self,
            SleepStage::AsleepUnspecified | SleepStage::Core | SleepStage::Deep | SleepStage::Rem
        )
    }
}

/// One stage interval inside a sleep session.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SleepStageInterval {
    /// The stage.
    pub stage: SleepStage,
    /// When.
    pub period: Period,
}

/// A sleep session: its stages in time order.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SleepSession {
    stages: Vec<SleepStageInterval>,
}

impl SleepSession {
    /// A session from its stages; needs at least one stage.
    pub fn new(stages: Vec<SleepStageInterval>) -> Result<SleepSession, RecordError> {
        if stages.is_empty() {
            return Err(RecordError::SleepStageOutsideSession);
        }
        Ok(SleepSession { stages })
    }

    /// The stages.
    pub fn stages(&self) -> &[SleepStageInterval] {
        &self.stages
    }

    /// Minutes asleep: the union of asleep intervals (overlaps are counted once).
    pub fn asleep_minutes(&self) -> i64 {
        let mut spans: Vec<(Timestamp, Timestamp)> = self
            .stages
            .iter()
            .filter(|s| s.stage.is_asleep())
            .map(|s| (*s.period.start(), *s.period.end()))
            .collect();
        spans.sort();
        let mut total = chrono::Duration::zero();
        let mut current: Option<(Timestamp, Timestamp)> = None;
        for (s, e) in spans {
            current = match current {
                Some((cs, ce)) if s <= ce => Some((cs, ce.max(e))),
                Some((cs, ce)) => {
                    total += ce - cs;
                    Some((s, e))
                }
                None => Some((s, e)),
            };
        }
        if let Some((cs, ce)) = current {
            total += ce - cs;
        }
        total.num_minutes()
    }
}

/// A workout / exercise session.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Workout {
    /// Activity type as the source names it (`HKWorkoutActivityTypeRunning`, Health Connect exercise type).
    pub activity: String,
    /// Duration, when the source states it (may differ from the interval because of pauses).
    pub duration: Option<Quantity>,
    /// Energy burned.
    pub energy: Option<Quantity>,
    /// Distance.
    pub distance: Option<Quantity>,
}

/// The value of a measurement; its shape is checked against the kind at construction.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MeasurementValue {
    /// A single quantity.
    Quantity(Quantity),
    /// A blood-pressure reading in `mm[Hg]`.
    BloodPressure {
        /// Systolic pressure.
        systolic: Decimal,
        /// Diastolic pressure.
        diastolic: Decimal,
    },
    /// A sleep session.
    Sleep(SleepSession),
    /// A workout.
    Workout(Workout),
    /// A coded or textual value of an unknown kind (e.g. a HealthKit category value).
    Text(String),
}

/// One lifelog measurement.
#[derive(Clone, Debug, PartialEq)]
pub struct Measurement {
    kind: Kind,
    effective: Effective,
    value: MeasurementValue,
    source: Option<Arc<Source>>,
    recorded: Option<Timestamp>,
    identifier: Option<String>,
    metadata: Vec<MetadataEntry>,
}

impl Measurement {
    /// Builds a measurement, checking the value against the kind: shape, unit, sign, whole-ness, maximum.
    pub fn new(
        kind: Kind,
        effective: Effective,
        value: MeasurementValue,
    ) -> Result<Measurement, RecordError> {
        validate(&kind, &effective, &value)?;
        Ok(Measurement {
            kind,
            effective,
            value,
            source: None,
            recorded: None,
            identifier: None,
            metadata: Vec::new(),
        })
    }

    /// A quantity measurement.
    pub fn quantity(
        kind: Kind,
        effective: Effective,
        value: Decimal,
        unit: Unit,
    ) -> Result<Measurement, RecordError> {
        Measurement::new(
            kind,
            effective,
            MeasurementValue::Quantity(Quantity::new(value, unit)),
        )
    }

    /// A blood-pressure reading.
    pub fn blood_pressure(
        effective: Effective,
        systolic: Decimal,
        diastolic: Decimal,
    ) -> Result<Measurement, RecordError> {
        Measurement::new(
            Kind::BloodPressure,
            effective,
            MeasurementValue::BloodPressure {
                systolic,
                diastolic,
            },
        )
    }

    /// Sets the source.
    pub fn with_source(mut self, source: Arc<Source>) -> Measurement {
        self.source = Some(source);
        self
    }

    /// Sets when the source recorded it (FHIR `issued`).
    pub fn with_recorded(mut self, recorded: Timestamp) -> Measurement {
        self.recorded = Some(recorded);
        self
    }

    /// Sets the source's own id of the sample (Health Connect uuid, `HKExternalUUID`).
    pub fn with_identifier(mut self, id: impl Into<String>) -> Measurement {
        self.identifier = Some(id.into());
        self
    }

    /// Adds a metadata entry.
    pub fn push_metadata(&mut self, key: impl Into<String>, value: impl Into<String>) {
        self.metadata.push(MetadataEntry {
            key: key.into(),
            value: value.into(),
        });
    }

    /// Replaces the metadata in place (readers finish a record where it already sits, without moving it).
    pub fn set_metadata(&mut self, metadata: Vec<MetadataEntry>) {
        self.metadata = metadata;
    }

    /// Sets or clears the source's own id of the sample, in place.
    pub fn set_identifier(&mut self, id: Option<String>) {
        self.identifier = id;
    }

    /// Replaces the metadata.
    pub fn with_metadata(mut self, metadata: Vec<MetadataEntry>) -> Measurement {
        self.metadata = metadata;
        self
    }

    /// What is measured.
    pub fn kind(&self) -> &Kind {
        &self.kind
    }
    /// When.
    pub fn effective(&self) -> &Effective {
        &self.effective
    }
    /// The value.
    pub fn value(&self) -> &MeasurementValue {
        &self.value
    }
    /// The source, if known.
    pub fn source(&self) -> Option<&Arc<Source>> {
        self.source.as_ref()
    }
    /// When the source recorded it.
    pub fn recorded(&self) -> Option<&Timestamp> {
        self.recorded.as_ref()
    }
    /// The source's own id of the sample.
    pub fn identifier(&self) -> Option<&str> {
        self.identifier.as_deref()
    }
    /// Metadata kept from the source.
    pub fn metadata(&self) -> &[MetadataEntry] {
        &self.metadata
    }

    /// Removes the parts that may identify the person beyond the measurement itself (free-text metadata,
    /// source sample ids). Used by the pseudonymiser.
    pub fn clear_identifying_extras(&mut self) {
        self.metadata.clear();
        self.identifier = None;
    }

    /// Replaces the effective time (used by date shifting; re-validated).
    pub fn set_effective(&mut self, effective: Effective) -> Result<(), RecordError> {
        validate(&self.kind, &effective, &self.value)?;
        self.effective = effective;
        Ok(())
    }

    /// Replaces the value (re-validated).
    pub fn set_value(&mut self, value: MeasurementValue) -> Result<(), RecordError> {
        validate(&self.kind, &self.effective, &value)?;
        self.value = value;
        Ok(())
    }

    /// Replaces or clears the source.
    pub fn set_source(&mut self, source: Option<Arc<Source>>) {
        self.source = source;
    }

    /// Replaces or clears the recorded time.
    pub fn set_recorded(&mut self, recorded: Option<Timestamp>) {
        self.recorded = recorded;
    }
}

fn validate(
    kind: &Kind,
    effective: &Effective,
    value: &MeasurementValue,
) -> Result<(), RecordError> {
    let name = || kind.name().into_owned();
    let Some(info) = kind.info() else {
        // Unknown kinds: any known unit, any finite value, or text.
        return match value {
            MeasurementValue::Quantity(_) | MeasurementValue::Text(_) => Ok(()),
            _ => Err(RecordError::WrongShape { kind: name() }),
        };
    };
    match (info.shape, value) {
        (Shape::Quantity { whole, max }, MeasurementValue::Quantity(q)) => {
            if !info.units.contains(&q.unit) {
                return Err(RecordError::UnknownUnit {
                    unit: q.unit.ucum().to_owned(),
                    kind: name(),
                });
            }
            if q.value.is_sign_negative() && !q.value.is_zero() {
                return Err(RecordError::Negative { kind: name() });
            }
            if whole && !q.value.fract().is_zero() {
                return Err(RecordError::NotWhole { kind: name() });
            }
            if let Some(max) = max {
                if q.value > Decimal::from(max) {
                    return Err(RecordError::AboveMaximum { kind: name(), max });
                }
            }
            Ok(())
        }
        (
            Shape::BloodPressure,
            MeasurementValue::BloodPressure {
                systolic,
                diastolic,
            },
        ) => {
            if systolic.is_sign_negative() || diastolic.is_sign_negative() {
                return Err(RecordError::Negative { kind: name() });
            }
            if systolic < diastolic {
                return Err(RecordError::SystolicBelowDiastolic);
            }
            Ok(())
        }
        (Shape::Sleep, MeasurementValue::Sleep(session)) => {
            let (Some(start), Some(end)) = (effective.start(), effective.end()) else {
                return Err(RecordError::SleepStageOutsideSession);
            };
            let inside = session
                .stages()
                .iter()
                .all(|s| s.period.start() >= start && s.period.end() <= end);
            if inside {
                Ok(())
            } else {
                Err(RecordError::SleepStageOutsideSession)
            }
        }
        (Shape::Workout, MeasurementValue::Workout(w)) => {
            if w.activity.is_empty() {
                return Err(RecordError::Empty {
                    field: "workout activity",
                });
            }
            for q in [&w.duration, &w.energy, &w.distance].into_iter().flatten() {
                if q.value.is_sign_negative() && !q.value.is_zero() {
                    return Err(RecordError::Negative { kind: name() });
                }
            }
            let unit_ok = |q: &Option<Quantity>, units: &[Unit]| {
                q.as_ref().is_none_or(|q| units.contains(&q.unit))
            };
            if !unit_ok(&w.duration, &[Unit::Minute, Unit::Second, Unit::Hour])
                || !unit_ok(&w.energy, &[Unit::Kilocalorie, Unit::Kilojoule])
                || !unit_ok(&w.distance, &[Unit::Meter, Unit::Kilometer])
            {
                return Err(RecordError::UnknownUnit {
                    unit: "workout component".into(),
                    kind: name(),
                });
            }
            Ok(())
        }
        _ => Err(RecordError::WrongShape { kind: name() }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;

    fn t(s: &str) -> Timestamp {
        DateTime::parse_from_rfc3339(s).unwrap()
    }

    #[test]
    fn rejects_negative_steps_and_fractional_steps() {
        let e = Effective::Instant(t("2025-02-28T08:00:00+09:00"));
        assert!(matches!(
            Measurement::quantity(Kind::Steps, e.clone(), Decimal::from(-1), Unit::Steps),
            Err(RecordError::Negative { .. })
        ));
        assert!(matches!(
            Measurement::quantity(Kind::Steps, e.clone(), Decimal::new(15, 1), Unit::Steps),
            Err(RecordError::NotWhole { .. })
        ));
        assert!(Measurement::quantity(Kind::Steps, e, Decimal::from(812), Unit::Steps).is_ok());
    }

    #[test]
    fn rejects_systolic_below_diastolic() {
        let e = Effective::Instant(t("2025-02-28T07:01:00+09:00"));
        assert_eq!(
            Measurement::blood_pressure(e, Decimal::from(80), Decimal::from(120)),
            Err(RecordError::SystolicBelowDiastolic)
        );
    }

    #[test]
    fn rejects_end_before_start() {
        assert_eq!(
            Effective::from_bounds(
                t("2025-02-28T08:00:00+09:00"),
                t("2025-02-28T07:00:00+09:00")
            ),
            Err(RecordError::EndBeforeStart)
        );
    }

    #[test]
    fn rejects_a_unit_that_does_not_fit_the_kind() {
        let e = Effective::Instant(t("2025-02-28T08:00:00+09:00"));
        assert!(matches!(
            Measurement::quantity(Kind::BodyWeight, e, Decimal::from(60), Unit::Celsius),
            Err(RecordError::UnknownUnit { .. })
        ));
    }

    #[test]
    fn rejects_spo2_given_as_percent_over_100() {
        let e = Effective::Instant(t("2025-02-28T08:00:00+09:00"));
        assert!(matches!(
            Measurement::quantity(Kind::OxygenSaturation, e, Decimal::from(101), Unit::Percent),
            Err(RecordError::AboveMaximum { max: 100, .. })
        ));
    }

    #[test]
    fn sleep_asleep_minutes_counts_overlaps_once() {
        let p = |a, b| Period::new(t(a), t(b)).unwrap();
        let s = SleepSession::new(vec![
            SleepStageInterval {
                stage: SleepStage::InBed,
                period: p("2025-03-01T22:00:00+09:00", "2025-03-02T07:00:00+09:00"),
            },
            SleepStageInterval {
                stage: SleepStage::Core,
                period: p("2025-03-01T23:00:00+09:00", "2025-03-02T01:00:00+09:00"),
            },
            SleepStageInterval {
                stage: SleepStage::AsleepUnspecified,
                period: p("2025-03-02T00:00:00+09:00", "2025-03-02T02:00:00+09:00"),
            },
        ])
        .unwrap();
        assert_eq!(s.asleep_minutes(), 180);
    }
}
