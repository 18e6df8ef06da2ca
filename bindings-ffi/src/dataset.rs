//! Reading inputs into a `Dataset`, and writing datasets or records as FHIR.
//!
//! `Dataset` is an object (a handle to Rust memory), not a copied record: reading a file and writing it as
//! FHIR again never copies the records into Kotlin or Swift, and records of types this binding does not
//! model yet still reach the FHIR output. Copies are made only when asked for (`records`, `recordsRange`).

use std::collections::HashMap;
use std::sync::Arc;

use phrkit::read::{self, Format};
use phrkit::write::{self, WriteOptions};

use crate::error::{guard, FfiResult, PhrkitError};
use crate::types::{self, PhrRecord, ToCore};

/// Options for reading.
#[derive(Clone, Debug, Default, PartialEq, Eq, uniffi::Record)]
pub struct ReadOptions {
    /// Stop at the first invalid item (`true`) instead of counting it as skipped (`false`).
    #[uniffi(default = false)]
    pub strict: bool,
    /// Force a format by name (`fhir-json`, `fhir-ndjson`, see `supportedFormats()`) instead of detecting it.
    #[uniffi(default)]
    pub format: Option<String>,
}

/// FHIR output container.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum OutputFormat {
    /// One resource per line.
    Ndjson,
    /// A `collection` Bundle.
    BundleCollection,
    /// A `transaction` Bundle with conditional creates.
    BundleTransaction,
}

/// One problem found while reading.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct Issue {
    /// `info`, `warning` or `error`.
    pub severity: String,
    /// Stable code.
    pub code: String,
    /// Where in the input.
    pub location: String,
    /// Why (no input values).
    pub message: String,
}

/// The account of one read or batch: nothing is lost silently.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct Report {
    /// Input items seen.
    pub items_read: u64,
    /// Records produced.
    pub converted: u64,
    /// Items not converted, by reason code.
    pub skipped: HashMap<String, u64>,
    /// Input elements phrkit ignored, by path.
    pub ignored_elements: HashMap<String, u64>,
    /// Records produced, by record type.
    pub by_type: HashMap<String, u64>,
    /// Records per type that overlap a record of the same kind from another source (filled by
    /// `Dataset.dedup`, empty for a plain read); counted whether or not the strategy dropped them.
    pub duplicates: HashMap<String, u64>,
    /// The first issues (capped by phrkit).
    pub issues: Vec<Issue>,
    /// Issues not kept because of the cap.
    pub issues_dropped: u64,
    /// `items_read == converted + skipped`.
    pub balanced: bool,
}

/// The FFI copy of a core report.
pub(crate) fn report(r: &phrkit::Report) -> Report {
    Report {
        items_read: r.items_read,
        converted: r.converted,
        skipped: r.skipped.iter().map(|(k, v)| (k.clone(), *v)).collect(),
        ignored_elements: r
            .ignored_elements
            .iter()
            .map(|(k, v)| (k.clone(), *v))
            .collect(),
        by_type: r.by_type.iter().map(|(k, v)| (k.clone(), *v)).collect(),
        duplicates: r.duplicates.iter().map(|(k, v)| (k.clone(), *v)).collect(),
        issues: r
            .issues
            .iter()
            .map(|i| Issue {
                severity: i.severity.as_str().to_owned(),
                code: i.code.clone(),
                location: i.location.to_string(),
                message: i.message.clone(),
            })
            .collect(),
        issues_dropped: r.issues_dropped,
        balanced: r.is_balanced(),
    }
}

/// Records read from one input (or built from samples), with the account of how.
#[derive(Debug, uniffi::Object)]
pub struct Dataset {
    pub(crate) records: Vec<phrkit::Record>,
    pub(crate) report: phrkit::Report,
}

impl Dataset {
    pub(crate) fn new(records: Vec<phrkit::Record>, report: phrkit::Report) -> Dataset {
        Dataset { records, report }
    }
}

#[uniffi::export]
impl Dataset {
    /// A dataset from records built in Kotlin/Swift; every record is checked by phrkit's constructors, and
    /// the first one that breaks a rule fails the call with its index as location (`#/3`).
    #[uniffi::constructor]
    pub fn from_records(records: Vec<PhrRecord>) -> FfiResult<Arc<Dataset>> {
        guard(|| {
            let core = to_core(&records)?;
            let mut report = phrkit::Report::default();
            for r in &core {
                report.items_read += 1;
                report.converted(&r.type_name());
            }
            Ok(Arc::new(Dataset::new(core, report)))
        })
    }

    /// Number of records.
    pub fn record_count(&self) -> FfiResult<u64> {
        guard(|| Ok(self.records.len() as u64))
    }

    /// All records, copied. For large datasets prefer `recordsRange` or writing FHIR directly.
    pub fn records(&self) -> FfiResult<Vec<PhrRecord>> {
        guard(|| Ok(self.records.iter().map(types::record).collect()))
    }

    /// Up to `limit` records from `offset` (an empty list past the end).
    pub fn records_range(&self, offset: u64, limit: u64) -> FfiResult<Vec<PhrRecord>> {
        guard(|| {
            let start = usize::try_from(offset).unwrap_or(usize::MAX);
            let take = usize::try_from(limit).unwrap_or(usize::MAX);
            Ok(self
                .records
                .iter()
                .skip(start)
                .take(take)
                .map(types::record)
                .collect())
        })
    }

    /// What was read, converted and skipped.
    pub fn report(&self) -> FfiResult<Report> {
        guard(|| Ok(report(&self.report)))
    }

    /// The records as FHIR R4 JSON bytes (UTF-8), deterministic.
    pub fn to_fhir(&self, format: OutputFormat) -> FfiResult<Vec<u8>> {
        guard(|| write_fhir(&self.records, format))
    }

    /// The records as FHIR R4 JSON text.
    pub fn to_fhir_string(&self, format: OutputFormat) -> FfiResult<String> {
        guard(|| fhir_string(write_fhir(&self.records, format)?))
    }
}

fn to_core(records: &[PhrRecord]) -> FfiResult<Vec<phrkit::Record>> {
    let mut to_core = ToCore::default();
    records
        .iter()
        .enumerate()
        .map(|(i, r)| to_core.record(r, i))
        .collect()
}

/// The core container for an FFI output format.
pub(crate) fn core_output(format: OutputFormat) -> write::OutputFormat {
    match format {
        OutputFormat::Ndjson => write::OutputFormat::Ndjson,
        OutputFormat::BundleCollection => write::OutputFormat::BundleCollection,
        OutputFormat::BundleTransaction => write::OutputFormat::BundleTransaction,
    }
}

fn write_fhir(records: &[phrkit::Record], format: OutputFormat) -> FfiResult<Vec<u8>> {
    Ok(write::to_vec(
        records,
        WriteOptions::new(core_output(format)),
    )?)
}

/// FHIR bytes as text (phrkit writes UTF-8; anything else is a bug, reported as `Internal`).
pub(crate) fn fhir_string(bytes: Vec<u8>) -> FfiResult<String> {
    String::from_utf8(bytes).map_err(|_| PhrkitError::Internal {
        code: "not-utf8".into(),
        location: String::new(),
        reason: "the FHIR writer produced bytes that are not UTF-8".into(),
    })
}

fn options(o: &ReadOptions) -> FfiResult<read::ReadOptions> {
    let mut core = if o.strict {
        read::ReadOptions::strict()
    } else {
        read::ReadOptions::default()
    };
    if let Some(name) = &o.format {
        let f = Format::from_name(name).ok_or_else(|| {
            PhrkitError::misuse(
                "unknown-format-name",
                String::new(),
                "no such format; see supportedFormats()",
            )
        })?;
        core.format = Some(f);
    }
    Ok(core)
}

/// Names of the input formats phrkit reads (for `ReadOptions.format`).
#[uniffi::export]
pub fn supported_formats() -> FfiResult<Vec<String>> {
    guard(|| Ok(Format::ALL.iter().map(|f| f.name().to_owned()).collect()))
}

/// Reads any supported input held in memory (format detected from the content unless forced).
#[uniffi::export]
pub fn read_bytes(bytes: Vec<u8>, options: ReadOptions) -> FfiResult<Arc<Dataset>> {
    guard(|| {
        let ds = read::read_slice(&bytes, &self::options(&options)?)?;
        Ok(Arc::new(Dataset::new(ds.records, ds.report)))
    })
}

/// Reads any supported input from a file path (format detected from name and content unless forced).
#[uniffi::export]
pub fn read_file(path: String, options: ReadOptions) -> FfiResult<Arc<Dataset>> {
    guard(|| {
        let ds = read::read_path(&path, &self::options(&options)?)?;
        Ok(Arc::new(Dataset::new(ds.records, ds.report)))
    })
}

/// Writes records built in Kotlin/Swift as FHIR R4 JSON bytes.
#[uniffi::export]
pub fn records_to_fhir(records: Vec<PhrRecord>, format: OutputFormat) -> FfiResult<Vec<u8>> {
    guard(|| write_fhir(&to_core(&records)?, format))
}

/// Reads FHIR JSON or NDJSON text back into records (the inverse of `recordsToFhir`).
#[uniffi::export]
pub fn fhir_to_records(fhir: String, options: ReadOptions) -> FfiResult<Vec<PhrRecord>> {
    guard(|| {
        let ds = read::read_slice(fhir.as_bytes(), &self::options(&options)?)?;
        Ok(ds.records.iter().map(types::record).collect())
    })
}

/// Reads an input through a mapping document (phrkit's mapping language, JSON): the way マイナポータル
/// medication and immunization payloads are read. The mapping is checked first (`PhrkitError.Config`
/// pointing into it); the input is then read like `readBytes`.
#[uniffi::export]
pub fn read_mapped(
    bytes: Vec<u8>,
    mapping_json: String,
    options: ReadOptions,
) -> FfiResult<Arc<Dataset>> {
    guard(|| {
        let mapping = phrkit::read::mapping::Mapping::from_json(mapping_json.as_bytes())?;
        let ds = mapping.read_slice(&bytes, &self::options(&options)?)?;
        Ok(Arc::new(Dataset::new(ds.records, ds.report)))
    })
}
