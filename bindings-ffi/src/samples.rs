//! Platform samples (Health Connect records, HealthKit samples) to measurements, in batches.
//!
//! One call takes a whole list: crossing the FFI once per sample would cost more than the conversion for
//! the hundreds of thousands of samples a phone holds. A sample that cannot become a measurement does not
//! fail the batch: it is reported by its index with a stable code, and counted as skipped in the
//! `Report`, so `items_read == converted + skipped` holds for batches as for files.
//!
//! The mapping is a conversion only: the kind comes from phrkit's kind table (`Kind::from_pghd`,
//! `Kind::from_healthkit`), the unit from `Unit::from_source_spelling`, every check from the core
//! constructors. Health Connect record classes have no identifiers in the core table, so the Android
//! adapter sends PGHD codes for them (see `bindings-kotlin/android`).

use std::sync::Arc;

use phrkit::fhir::codes;
use phrkit::record::{
    Coding, Decimal, Effective, Kind, Measurement, MeasurementValue as CoreValue, Shape,
    SleepSession, SleepStageInterval as CoreStage,
};
use phrkit::{Location, Report};
use rust_decimal::prelude::FromPrimitive;

use crate::dataset::Dataset;
use crate::error::{record_error_code, PhrkitError};
use crate::types::{
    core_sleep, core_timestamp, core_workout, known_kind, sleep_stage, unit, MetadataEntry,
    SleepStageInterval, Source, SourceDevice, Timestamp, ToCore, Workout,
};

/// One platform sample, flat so that adapters fill it in one expression.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct Sample {
    /// PGHD code (`stepCount`, `heartRate`, `bodyMass` …) or HealthKit identifier
    /// (`HKQuantityTypeIdentifierStepCount`). An unknown `HK…` identifier is kept as a HealthKit-coded
    /// kind; any other unknown code is a per-sample `unknown-kind` error.
    pub kind: String,
    /// Start, epoch milliseconds.
    pub start_epoch_ms: i64,
    /// End, epoch milliseconds (equal to start for an instant).
    pub end_epoch_ms: i64,
    /// UTC offset at the start, in seconds (Health Connect `startZoneOffset`; HealthKit: the offset of
    /// `HKMetadataKeyTimeZone` or the device's zone at that instant).
    pub utc_offset_seconds: i32,
    /// UTC offset at the end, when it differs (Health Connect `endZoneOffset`).
    #[uniffi(default)]
    pub end_utc_offset_seconds: Option<i32>,
    /// The numeric value (systolic for blood pressure).
    #[uniffi(default)]
    pub value: Option<f64>,
    /// A textual value: a category value of an unknown kind, the workout activity, or a sleep stage code
    /// for a one-stage sleep sample (a HealthKit `HKCategorySample` of sleep analysis).
    #[uniffi(default)]
    pub value_text: Option<String>,
    /// Diastolic pressure, for blood pressure.
    #[uniffi(default)]
    pub diastolic: Option<f64>,
    /// Unit as the platform spells it (`count`, `count/min`, `kg`, `mmHg`, `Cal` …); empty for unitless
    /// shapes (sleep, workout).
    #[uniffi(default = "")]
    pub unit: String,
    /// Stages of a sleep session (Health Connect `SleepSessionRecord.stages`).
    #[uniffi(default)]
    pub sleep_stages: Vec<SleepStageInterval>,
    /// Workout details (activity, duration, energy, distance).
    #[uniffi(default)]
    pub workout: Option<Workout>,
    /// Writing app (Health Connect `dataOrigin.packageName`, HealthKit `sourceRevision.source.name`).
    #[uniffi(default)]
    pub source_name: Option<String>,
    /// App version.
    #[uniffi(default)]
    pub source_version: Option<String>,
    /// The device.
    #[uniffi(default)]
    pub device: Option<SourceDevice>,
    /// The platform's id of the sample (Health Connect `metadata.id`, HealthKit `uuid`).
    #[uniffi(default)]
    pub identifier: Option<String>,
    /// Metadata to keep.
    #[uniffi(default)]
    pub metadata: Vec<MetadataEntry>,
}

/// Why one sample of a batch did not become a measurement.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct SampleError {
    /// Index of the sample in the list passed in.
    pub index: u64,
    /// Stable code (`unknown-kind`, `unknown-unit`, `negative`, `not-whole`, `end-before-start` …).
    pub code: String,
    /// Explanation, without values from the sample.
    pub reason: String,
}

/// The result of a batch: the measurements (in sample order) and the samples that failed.
#[derive(uniffi::Record)]
pub struct SampleBatch {
    /// The measurements, as a dataset ready to be written as FHIR or listed.
    pub dataset: Arc<Dataset>,
    /// The samples that did not convert, by index.
    pub errors: Vec<SampleError>,
}

/// Converts a batch of samples. Never fails for a bad sample, only reports it.
pub(crate) fn convert_batch(samples: &[Sample]) -> SampleBatch {
    let mut to_core = ToCore::default();
    let mut records = Vec::with_capacity(samples.len());
    let mut errors = Vec::new();
    let mut report = Report::default();
    for (index, sample) in samples.iter().enumerate() {
        report.items_read += 1;
        match convert_one(sample, &mut to_core) {
            Ok(m) => {
                report.converted(&m.kind().name());
                records.push(m.into());
            }
            Err((code, reason)) => {
                let location = Location::JsonPointer {
                    line: None,
                    pointer: format!("/{index}"),
                };
                report.skip(&code, location, reason.clone());
                errors.push(SampleError {
                    index: index as u64,
                    code,
                    reason,
                });
            }
        }
    }
    SampleBatch {
        dataset: Arc::new(Dataset::new(records, report)),
        errors,
    }
}

type SampleResult<T> = Result<T, (String, String)>;

/// Splits a binding error into (code, reason) for the per-sample list.
fn split(e: PhrkitError) -> (String, String) {
    match e {
        PhrkitError::Io { code, reason, .. }
        | PhrkitError::Format { code, reason, .. }
        | PhrkitError::LimitExceeded { code, reason, .. }
        | PhrkitError::InvalidRecord { code, reason, .. }
        | PhrkitError::UnknownFormat { code, reason, .. }
        | PhrkitError::ConsentDenied { code, reason, .. }
        | PhrkitError::Key { code, reason, .. }
        | PhrkitError::Config { code, reason, .. }
        | PhrkitError::ApiMisuse { code, reason, .. }
        | PhrkitError::Internal { code, reason, .. } => (code, reason),
    }
}

fn fail<T>(code: &str, reason: &str) -> SampleResult<T> {
    Err((code.to_owned(), reason.to_owned()))
}

fn kind_of(code: &str) -> SampleResult<Kind> {
    if let Some(k) = known_kind(code) {
        return Ok(k);
    }
    if code.starts_with("HK") && code.len() > 2 {
        // A HealthKit type phrkit has no row for: kept under the HealthKit code system, not dropped.
        return Ok(Kind::Other(Box::new(Coding::new(codes::HEALTHKIT, code))));
    }
    fail(
        "unknown-kind",
        "kind is no PGHD code or HealthKit identifier phrkit knows",
    )
}

fn number(v: Option<f64>, what: &str) -> SampleResult<Decimal> {
    let Some(v) = v else {
        return fail(
            "missing-value",
            &format!("{what} is required for this kind"),
        );
    };
    // from_f64 keeps the shortest decimal that reads back as the same double (72.5 → 72.5, 0.1 → 0.1),
    // not the binary expansion; NaN and infinities have no decimal.
    Decimal::from_f64(v).ok_or_else(|| {
        (
            "not-finite".to_owned(),
            format!("{what} is not a finite number"),
        )
    })
}

fn stamp(ms: i64, offset: i32) -> SampleResult<phrkit::record::Timestamp> {
    let t = Timestamp {
        epoch_ms: ms,
        utc_offset_seconds: offset,
        nanos_in_ms: 0,
    };
    core_timestamp(&t, "").map_err(split)
}

fn value_of(kind: &Kind, s: &Sample, effective: &Effective) -> SampleResult<CoreValue> {
    let Some(info) = kind.info() else {
        // Kinds without a row: a number with a known unit, or a text (category) value.
        return match (s.value, &s.value_text) {
            (Some(_), _) => Ok(quantity(s)?),
            (None, Some(t)) => Ok(CoreValue::Text(t.clone())),
            (None, None) => fail("missing-value", "value or value_text is required"),
        };
    };
    #[allow(unreachable_patterns)] // Shape may grow in the core; the last arm keeps this compiling.
    match info.shape {
        Shape::Quantity { .. } => quantity(s),
        Shape::BloodPressure => Ok(CoreValue::BloodPressure {
            systolic: number(s.value, "value (systolic)")?,
            diastolic: number(s.diastolic, "diastolic")?,
        }),
        Shape::Sleep => sleep(s, effective).map(CoreValue::Sleep),
        Shape::Workout => workout(s).map(CoreValue::Workout),
        _ => fail(
            "unsupported-kind",
            "this kind cannot be built from a sample yet",
        ),
    }
}

fn quantity(s: &Sample) -> SampleResult<CoreValue> {
    let value = number(s.value, "value")?;
    let unit = unit(&s.unit, "").map_err(split)?;
    Ok(CoreValue::Quantity(phrkit::record::Quantity::new(
        value, unit,
    )))
}

fn sleep(s: &Sample, effective: &Effective) -> SampleResult<SleepSession> {
    if !s.sleep_stages.is_empty() {
        return core_sleep(&s.sleep_stages, "").map_err(split);
    }
    // A HealthKit sleep-analysis sample is one stage: the session is the sample itself.
    let (Some(code), Effective::Period(period)) = (&s.value_text, effective) else {
        return fail(
            "missing-value",
            "a sleep sample needs sleep_stages, or value_text with a stage code and start < end",
        );
    };
    let stage = sleep_stage(code, "").map_err(split)?;
    SleepSession::new(vec![CoreStage {
        stage,
        period: period.clone(),
    }])
    .map_err(|e| (record_error_code(&e).to_owned(), e.to_string()))
}

fn workout(s: &Sample) -> SampleResult<phrkit::record::Workout> {
    match (&s.workout, &s.value_text) {
        (Some(w), _) => core_workout(w, "").map_err(split),
        (None, Some(activity)) => Ok(phrkit::record::Workout {
            activity: activity.clone(),
            duration: None,
            energy: None,
            distance: None,
        }),
        (None, None) => fail("missing-value", "a workout needs workout or value_text"),
    }
}

fn convert_one(s: &Sample, to_core: &mut ToCore) -> SampleResult<Measurement> {
    let kind = kind_of(&s.kind)?;
    let start = stamp(s.start_epoch_ms, s.utc_offset_seconds)?;
    let end = stamp(
        s.end_epoch_ms,
        s.end_utc_offset_seconds.unwrap_or(s.utc_offset_seconds),
    )?;
    let effective = Effective::from_bounds(start, end)
        .map_err(|e| (record_error_code(&e).to_owned(), e.to_string()))?;
    let value = value_of(&kind, s, &effective)?;
    let mut m = Measurement::new(kind, effective, value)
        .map_err(|e| (record_error_code(&e).to_owned(), e.to_string()))?;
    if s.source_name.is_some() || s.source_version.is_some() || s.device.is_some() {
        let source = Source {
            name: s.source_name.clone(),
            version: s.source_version.clone(),
            device: s.device.clone(),
        };
        m = m.with_source(to_core.source(&source));
    }
    if let Some(id) = &s.identifier {
        m = m.with_identifier(id.clone());
    }
    for e in &s.metadata {
        m.push_metadata(e.key.clone(), e.value.clone());
    }
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{MeasurementValue, PhrRecord};

    const JST: i32 = 9 * 3600;
    const T0: i64 = 1_740_693_660_000; // 2025-02-28T07:01:00+09:00

    fn sample(kind: &str, value: Option<f64>, unit: &str) -> Sample {
        Sample {
            kind: kind.into(),
            start_epoch_ms: T0,
            end_epoch_ms: T0,
            utc_offset_seconds: JST,
            end_utc_offset_seconds: None,
            value,
            value_text: None,
            diastolic: None,
            unit: unit.into(),
            sleep_stages: vec![],
            workout: None,
            source_name: Some("com.example.fit".into()),
            source_version: None,
            device: None,
            identifier: None,
            metadata: vec![],
        }
    }

    fn measurement(r: &PhrRecord) -> &crate::types::PhrMeasurement {
        match r {
            PhrRecord::Measurement { measurement } => measurement,
            other => panic!("not a measurement: {other:?}"),
        }
    }

    #[test]
    fn converts_good_samples_and_reports_bad_ones_by_index() {
        // Steps need the `steps` spelling: phrkit maps HealthKit's generic `count` to `{count}`, which the
        // stepCount row does not accept (adapters send `steps`).
        let mut steps = sample("stepCount", Some(812.0), "steps");
        steps.end_epoch_ms = T0 + 15 * 60_000;
        let mut bp = sample(
            "HKCorrelationTypeIdentifierBloodPressure",
            Some(128.0),
            "mmHg",
        );
        bp.diastolic = Some(84.0);
        let samples = vec![
            steps,
            sample("heartRate", Some(72.5), "count/min"),
            bp,
            sample("stepCount", Some(-3.0), "steps"),
            sample("noSuchKind", Some(1.0), "kg"),
            sample("bodyMass", Some(60.2), "furlong"),
            sample("bodyMass", Some(f64::NAN), "kg"),
            sample("HKQuantityTypeIdentifierDietaryWater", Some(250.0), "mL"),
        ];
        let batch = convert_batch(&samples);
        let codes: Vec<(u64, &str)> = batch
            .errors
            .iter()
            .map(|e| (e.index, e.code.as_str()))
            .collect();
        assert_eq!(
            codes,
            vec![
                (3, "negative"),
                (4, "unknown-kind"),
                (5, "unknown-unit"),
                (6, "not-finite")
            ]
        );
        let ds = &batch.dataset;
        assert_eq!(ds.records.len(), 4);
        assert_eq!(ds.report.items_read, 8);
        assert_eq!(ds.report.converted, 4);
        assert!(ds.report.is_balanced());
        let recs: Vec<PhrRecord> = ds.records.iter().map(crate::types::record).collect();
        let hr = measurement(&recs[1]);
        assert_eq!(hr.kind, "heartRate");
        assert_eq!(
            hr.value,
            MeasurementValue::Quantity {
                quantity: crate::types::Quantity {
                    value: "72.5".into(),
                    unit: "/min".into()
                }
            }
        );
        let bp = measurement(&recs[2]);
        assert_eq!(
            bp.value,
            MeasurementValue::BloodPressure {
                systolic: "128".into(),
                diastolic: "84".into()
            }
        );
        let water = measurement(&recs[3]);
        assert_eq!(water.kind_system.as_deref(), Some(codes::HEALTHKIT));
        // One Arc<Source> shared by all records of a source.
        let (phrkit::record::Record::Measurement(a), phrkit::record::Record::Measurement(b)) =
            (&ds.records[0], &ds.records[1])
        else {
            panic!("measurements expected")
        };
        assert!(Arc::ptr_eq(a.source().unwrap(), b.source().unwrap()));
    }

    #[test]
    fn a_healthkit_sleep_sample_is_a_one_stage_session() {
        let mut s = sample("HKCategoryTypeIdentifierSleepAnalysis", None, "");
        s.end_epoch_ms = T0 + 90 * 60_000;
        s.value_text = Some("asleepDeep".into());
        let batch = convert_batch(&[s]);
        assert!(batch.errors.is_empty(), "{:?}", batch.errors);
        let r = crate::types::record(&batch.dataset.records[0]);
        let MeasurementValue::Sleep { stages } = &measurement(&r).value else {
            panic!("sleep expected")
        };
        assert_eq!(stages.len(), 1);
        assert_eq!(stages[0].stage, "asleepDeep");
        assert_eq!(
            stages[0].end.epoch_ms - stages[0].start.epoch_ms,
            90 * 60_000
        );
    }
}
