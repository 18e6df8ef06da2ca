//! EDGE IN: readers that turn an input into records, counting everything they skip.
//!
//! Every reader implements [`RecordReader`]: pull one record at a time, ask for the [`Report`] at any point.
//! [`open_path`] / [`open_slice`] detect the format and return a boxed reader; [`read_path`] / [`read_slice`]
//! collect everything into a [`Dataset`].

pub mod apple_health;
pub mod container;
mod detect;
pub mod device_csv;
pub mod fhir_json;
pub mod guarded;
#[cfg(feature = "health-connect")]
pub mod health_connect;
pub mod kenshin_cda;
pub mod lines;
pub mod mapping;
pub mod myna_portal;
pub mod takeout;

use std::collections::VecDeque;
use std::path::Path;

use crate::error::{Error, ErrorKind, Result};
use crate::fhir::JsonLimits;
use crate::record::Record;
use crate::report::Report;

pub use container::ArchiveLimits;
pub use detect::{detect_format, is_sqlite, is_zip, Format};

/// The Health Connect database entry name (known even without the feature, so detection stays the same).
pub(crate) fn health_connect_db_name() -> &'static [u8] {
    b"health_connect_export.db"
}

/// Limits that bound time and memory on hostile input (documented in `docs/robustness.md`).
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct Limits {
    /// Depth and string-size limits of one JSON document.
    pub json: JsonLimits,
    /// Maximum bytes of one NDJSON / CSV line.
    pub max_line_bytes: usize,
    /// Maximum bytes of one whole JSON document (a Bundle) held in memory.
    pub max_document_bytes: u64,
    /// Zip archive limits (entries, total size, compression ratio).
    pub archive: ArchiveLimits,
    /// Maximum bytes of one XML event (a start tag with its attributes, a text run, a comment) or of one
    /// CSV line while a stream is read: a hostile single token is refused before it is buffered whole.
    pub max_token_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            json: JsonLimits::default(),
            max_line_bytes: 64 * 1024 * 1024,
            max_document_bytes: 1024 * 1024 * 1024,
            archive: ArchiveLimits::default(),
            max_token_bytes: 16 * 1024 * 1024,
        }
    }
}

/// Options common to all readers.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct ReadOptions {
    /// Stop at the first invalid item (`true`) or count it as skipped and go on (`false`, the default).
    pub strict: bool,
    /// Input limits.
    pub limits: Limits,
    /// Force a format instead of detecting it.
    pub format: Option<Format>,
}

impl ReadOptions {
    /// Forces a format instead of detecting it.
    pub fn with_format(mut self, format: Format) -> ReadOptions {
        self.format = Some(format);
        self
    }

    /// Sets strict (stop at the first invalid item) or lenient (count and go on).
    pub fn with_strict(mut self, strict: bool) -> ReadOptions {
        self.strict = strict;
        self
    }

    /// Replaces the input limits.
    pub fn with_limits(mut self, limits: Limits) -> ReadOptions {
        self.limits = limits;
        self
    }

    /// Default options, strict.
    pub fn strict() -> ReadOptions {
        ReadOptions {
            strict: true,
            ..ReadOptions::default()
        }
    }
}

/// A pull reader of records.
pub trait RecordReader {
    /// The next record, `None` at a clean end, or an error that ends the stream.
    fn next_record(&mut self) -> Result<Option<Record>>;
    /// What was read and skipped so far.
    fn report(&self) -> &Report;
    /// The format being read.
    fn format(&self) -> Format;
}

/// Everything read from one input.
#[derive(Debug, Default)]
pub struct Dataset {
    /// The records, in input order.
    pub records: Vec<Record>,
    /// The account of the read.
    pub report: Report,
}

impl Dataset {
    /// Drains a reader.
    pub fn from_reader(reader: &mut dyn RecordReader) -> Result<Dataset> {
        let mut records = Vec::new();
        while let Some(r) = reader.next_record()? {
            records.push(r);
        }
        Ok(Dataset {
            records,
            report: reader.report().clone(),
        })
    }
}

/// A reader over records already decoded (formats read as whole documents).
pub(crate) struct Buffered {
    pub(crate) records: VecDeque<Record>,
    pub(crate) report: Report,
    pub(crate) format: Format,
}

impl RecordReader for Buffered {
    fn next_record(&mut self) -> Result<Option<Record>> {
        Ok(self.records.pop_front())
    }
    fn report(&self) -> &Report {
        &self.report
    }
    fn format(&self) -> Format {
        self.format
    }
}

/// A zip is a 特定健診 delivery archive when its name or first entries say so, else it is opened as an
/// Apple Health export, whose reader finds the main document by content and refuses zips without one.
fn zip_format(name: Option<&str>, head: &[u8]) -> Format {
    let lower = name.map(str::to_ascii_lowercase).unwrap_or_default();
    if detect::looks_like_kenshin_archive(&lower, head) {
        Format::KenshinArchive
    } else if detect::looks_like_health_connect_zip(head) {
        Format::HealthConnectZip
    } else if detect::looks_like_takeout_zip(&lower, head) {
        Format::TakeoutZip
    } else {
        Format::AppleHealthZip
    }
}

/// An undetected zip that holds no Apple Health document is tried as a Takeout zip (both are found by
/// content): `apple` opens it as Apple, `takeout` as Takeout.
fn apple_or_takeout_zip<'a>(
    apple: impl FnOnce() -> Result<Box<dyn RecordReader + 'a>>,
    takeout: impl FnOnce() -> Result<Box<dyn RecordReader + 'a>>,
) -> Result<Box<dyn RecordReader + 'a>> {
    match apple() {
        Err(e) if matches!(e.kind(), ErrorKind::UnknownFormat(_)) => takeout().map_err(|t| {
            if matches!(t.kind(), ErrorKind::UnknownFormat(_)) {
                unknown_format(
                    "zip archive without an Apple Health document, Takeout JSON, Health Connect database or 特定健診 index",
                )
            } else {
                t
            }
        }),
        other => other,
    }
}

/// Drops empty Subjects that come before any other record: "a person about whom nothing is known"
/// before anything was said about anyone is the same as no subject, and FHIR output cannot tell them
/// apart. Later empty subjects are kept (they separate persons).
struct LeadingEmptySubjectsDropped<'a> {
    inner: Box<dyn RecordReader + 'a>,
    started: bool,
}

impl RecordReader for LeadingEmptySubjectsDropped<'_> {
    fn next_record(&mut self) -> Result<Option<Record>> {
        if self.started {
            // Past the first record: a plain tail call, so the record is written straight into the
            // caller's slot (a record is a few hundred bytes; every hop that holds it copies it).
            return self.inner.next_record();
        }
        loop {
            let next = self.inner.next_record();
            // Looked at by reference and handed on whole rather than taken apart and rebuilt.
            match &next {
                Ok(Some(Record::Subject(s))) if !self.started && s.is_empty() => continue,
                Ok(Some(_)) => self.started = true,
                Ok(None) | Err(_) => {}
            }
            return next;
        }
    }
    fn report(&self) -> &Report {
        self.inner.report()
    }
    fn format(&self) -> Format {
        self.inner.format()
    }
}

fn normalised<'a>(r: Box<dyn RecordReader + 'a>) -> Box<dyn RecordReader + 'a> {
    Box::new(LeadingEmptySubjectsDropped {
        inner: r,
        started: false,
    })
}

/// Opens a reader over bytes, detecting the format unless `opts.format` is set.
pub fn open_slice<'a>(bytes: &'a [u8], opts: &ReadOptions) -> Result<Box<dyn RecordReader + 'a>> {
    open_slice_raw(bytes, opts).map(normalised)
}

fn open_slice_raw<'a>(bytes: &'a [u8], opts: &ReadOptions) -> Result<Box<dyn RecordReader + 'a>> {
    let format = choose_format(opts, None, bytes)?;
    let cursor = || std::io::Cursor::new(bytes);
    if format == Format::AppleHealthZip && opts.format.is_none() {
        return apple_or_takeout_zip(
            || Ok(Box::new(apple_health::open_zip(cursor(), cursor(), opts)?)),
            || {
                Ok(Box::new(takeout::TakeoutZipReader::new(
                    cursor(),
                    cursor(),
                    opts,
                )?))
            },
        );
    }
    match format {
        // The caller holds the bytes already: the same one-document readers as for a stream.
        Format::FhirJson
        | Format::TakeoutJson
        | Format::DeviceCsv
        | Format::MynaExpenseCsv
        | Format::KenshinCdaXml => open_document(bytes, format, None, opts),
        Format::FhirNdjson => Ok(Box::new(fhir_json::NdjsonReader::new(bytes, opts.clone()))),
        Format::KenshinArchive => Ok(Box::new(kenshin_cda::KenshinArchiveReader::new(
            cursor(),
            opts.clone(),
        )?)),
        Format::Mapped => Err(mapped_needs_mapping()),
        Format::AppleHealthXml => Ok(Box::new(apple_health::AppleHealthReader::new(
            bytes,
            opts.clone(),
        )?)),
        Format::AppleHealthZip => Ok(Box::new(apple_health::open_zip(cursor(), cursor(), opts)?)),
        Format::TakeoutZip => Ok(Box::new(takeout::TakeoutZipReader::new(
            cursor(),
            cursor(),
            opts,
        )?)),
        Format::HealthConnectZip => open_health_connect_slice(bytes, opts),
    }
}

fn mapped_needs_mapping() -> Error {
    ErrorKind::ApiMisuse(
        "mapped input needs its mapping file: use read::mapping::Mapping::read_slice".to_owned(),
    )
    .into()
}

/// Opens a reader over a file, detecting the format from its name and first bytes.
pub fn open_path(path: &Path, opts: &ReadOptions) -> Result<Box<dyn RecordReader>> {
    open_path_raw(path, opts).map(normalised)
}

fn open_path_raw(path: &Path, opts: &ReadOptions) -> Result<Box<dyn RecordReader>> {
    let mut file = std::fs::File::open(path)?;
    let mut head = vec![0u8; 4096];
    let n = read_up_to(&mut file, &mut head)?;
    head.truncate(n);
    let name = path.file_name().and_then(|n| n.to_str());
    let format = choose_format(opts, name, &head)?;
    let file = std::fs::File::open(path)?;
    let open_takeout_zip = || -> Result<Box<dyn RecordReader>> {
        let index = std::io::BufReader::new(std::fs::File::open(path)?);
        let data = std::fs::File::open(path)?;
        Ok(Box::new(takeout::TakeoutZipReader::new(index, data, opts)?))
    };
    if format == Format::AppleHealthZip && opts.format.is_none() {
        let second = std::fs::File::open(path)?;
        return apple_or_takeout_zip(
            || {
                Ok(Box::new(apple_health::open_zip(
                    std::io::BufReader::new(file),
                    second,
                    opts,
                )?))
            },
            open_takeout_zip,
        );
    }
    match format {
        Format::TakeoutZip => open_takeout_zip(),
        Format::AppleHealthZip => {
            let second = std::fs::File::open(path)?;
            Ok(Box::new(apple_health::open_zip(
                std::io::BufReader::new(file),
                second,
                opts,
            )?))
        }
        Format::KenshinArchive => {
            let mut r = kenshin_cda::KenshinArchiveReader::new(
                std::io::BufReader::new(file),
                opts.clone(),
            )?;
            if let Some(name) = name {
                r.check_zip_name(name);
            }
            Ok(Box::new(r))
        }
        Format::HealthConnectZip => open_health_connect_path(path, &head, opts),
        _ => open_stream(file, format, name, opts),
    }
}

/// Opens a reader over any byte stream (a socket, stdin, a decompressor), detecting the format from
/// `name` (optional) and the first bytes unless `opts.format` is set.
///
/// Streaming formats (Apple Health XML, FHIR NDJSON) are read as they arrive, in bounded memory. Formats
/// parsed from one buffer are read whole, bounded by [`Limits::max_document_bytes`] and checked token by
/// token while they arrive ([`guarded`]). Zip archives and SQLite databases need random access: they are
/// read whole into memory (bounded by the document limit) — prefer [`open_path`] for them.
pub fn open_reader<'a>(
    mut input: impl std::io::Read + 'a,
    name: Option<&str>,
    opts: &ReadOptions,
) -> Result<Box<dyn RecordReader + 'a>> {
    let mut head = vec![0u8; 4096];
    let n = read_up_to(&mut input, &mut head)?;
    head.truncate(n);
    let format = choose_format(opts, name, &head)?;
    let stream = std::io::Read::chain(std::io::Cursor::new(head), input);
    open_stream(stream, format, name, opts).map(normalised)
}

fn choose_format(opts: &ReadOptions, name: Option<&str>, head: &[u8]) -> Result<Format> {
    match opts.format {
        Some(f) => Ok(f),
        None if is_zip(head) => Ok(zip_format(name, head)),
        None => detect_format(name, head),
    }
}

/// The most bytes of a bare 特定健診 CDA document: one person's checkup is tens of kilobytes; the
/// archive reader caps its entries the same way.
const MAX_CDA_DOCUMENT_BYTES: u64 = 64 * 1024 * 1024;

/// The document limit and token rule of a format parsed from one buffer (`None`: a streaming format).
fn whole_document_rule(format: Format, limits: &Limits) -> Option<(u64, guarded::TokenRule)> {
    let lines = guarded::TokenRule::Lines {
        max_line_bytes: limits.max_token_bytes,
    };
    let max = limits.max_document_bytes;
    match format {
        Format::FhirJson | Format::TakeoutJson => {
            Some((max, guarded::TokenRule::Json(limits.json)))
        }
        Format::DeviceCsv => Some((max, lines)),
        Format::MynaExpenseCsv => Some((
            max.min(myna_portal::expense_csv::MAX_EXPENSE_CSV_BYTES),
            lines,
        )),
        Format::KenshinCdaXml => Some((max.min(MAX_CDA_DOCUMENT_BYTES), guarded::TokenRule::Whole)),
        _ => None,
    }
}

fn open_stream<'a>(
    input: impl std::io::Read + 'a,
    format: Format,
    name: Option<&str>,
    opts: &ReadOptions,
) -> Result<Box<dyn RecordReader + 'a>> {
    if let Some((max, rule)) = whole_document_rule(format, &opts.limits) {
        let bytes = guarded::read_document(input, max, rule)?;
        return open_document(&bytes, format, name, opts);
    }
    match format {
        Format::AppleHealthXml => Ok(Box::new(apple_health::AppleHealthReader::new(
            input,
            opts.clone(),
        )?)),
        Format::FhirNdjson => Ok(Box::new(fhir_json::NdjsonReader::new(
            std::io::BufReader::with_capacity(256 * 1024, input),
            opts.clone(),
        ))),
        Format::Mapped => Err(mapped_needs_mapping()),
        _ => open_random_access(input, format, opts),
    }
}

/// A reader over one whole document already in memory (the reader owns what it needs).
fn open_document(
    bytes: &[u8],
    format: Format,
    name: Option<&str>,
    opts: &ReadOptions,
) -> Result<Box<dyn RecordReader>> {
    match format {
        Format::FhirJson => Ok(Box::new(fhir_json::read_document(bytes, opts)?)),
        Format::TakeoutJson => Ok(Box::new(takeout::TakeoutReader::new(bytes, opts, name)?)),
        Format::DeviceCsv => Ok(Box::new(device_csv::DeviceCsvReader::new(
            bytes,
            opts,
            &device_csv::DeviceCsvOptions::default(),
        )?)),
        Format::MynaExpenseCsv => Ok(Box::new(myna_portal::expense_csv::read(bytes, opts)?)),
        Format::KenshinCdaXml => Ok(Box::new(kenshin_cda::read_document(bytes, opts)?)),
        _ => Err(
            ErrorKind::ApiMisuse(format!("{} is not read as one document", format.name())).into(),
        ),
    }
}

/// Zip archives and SQLite databases from a stream: held in memory (bounded), then read by position.
fn open_random_access<'a>(
    input: impl std::io::Read + 'a,
    format: Format,
    opts: &ReadOptions,
) -> Result<Box<dyn RecordReader + 'a>> {
    let bytes: std::sync::Arc<[u8]> = read_bounded(input, opts.limits.max_document_bytes)?.into();
    let cursor = || std::io::Cursor::new(bytes.clone());
    let takeout = || -> Result<Box<dyn RecordReader + 'a>> {
        Ok(Box::new(takeout::TakeoutZipReader::new(
            cursor(),
            cursor(),
            opts,
        )?))
    };
    match format {
        Format::AppleHealthZip if opts.format.is_none() => apple_or_takeout_zip(
            || Ok(Box::new(apple_health::open_zip(cursor(), cursor(), opts)?)),
            takeout,
        ),
        Format::AppleHealthZip => Ok(Box::new(apple_health::open_zip(cursor(), cursor(), opts)?)),
        Format::TakeoutZip => takeout(),
        Format::KenshinArchive => Ok(Box::new(kenshin_cda::KenshinArchiveReader::new(
            cursor(),
            opts.clone(),
        )?)),
        _ => open_health_connect_slice(&bytes, opts),
    }
}

#[cfg(feature = "health-connect")]
fn open_health_connect_slice(bytes: &[u8], opts: &ReadOptions) -> Result<Box<dyn RecordReader>> {
    if is_sqlite(bytes) {
        // SQLite reads files: copy the bytes to a temporary file, deleted when the read is done.
        let mut tmp = tempfile::NamedTempFile::new()?;
        std::io::Write::write_all(tmp.as_file_mut(), bytes)?;
        return Ok(Box::new(health_connect::read_db_path(tmp.path(), opts)?));
    }
    let cursor = || std::io::Cursor::new(bytes);
    Ok(Box::new(health_connect::open_zip(
        cursor(),
        cursor(),
        opts,
    )?))
}

#[cfg(feature = "health-connect")]
fn open_health_connect_path(
    path: &Path,
    head: &[u8],
    opts: &ReadOptions,
) -> Result<Box<dyn RecordReader>> {
    if is_sqlite(head) {
        return Ok(Box::new(health_connect::read_db_path(path, opts)?));
    }
    let first = std::io::BufReader::new(std::fs::File::open(path)?);
    let second = std::fs::File::open(path)?;
    Ok(Box::new(health_connect::open_zip(first, second, opts)?))
}

#[cfg(not(feature = "health-connect"))]
fn open_health_connect_slice(_bytes: &[u8], _opts: &ReadOptions) -> Result<Box<dyn RecordReader>> {
    Err(health_connect_disabled())
}

#[cfg(not(feature = "health-connect"))]
fn open_health_connect_path(
    _path: &Path,
    _head: &[u8],
    _opts: &ReadOptions,
) -> Result<Box<dyn RecordReader>> {
    Err(health_connect_disabled())
}

#[cfg(not(feature = "health-connect"))]
fn health_connect_disabled() -> Error {
    ErrorKind::ApiMisuse(
        "Health Connect input needs phrkit built with the `health-connect` feature".to_owned(),
    )
    .into()
}

fn read_up_to(r: &mut impl std::io::Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// Reads a whole input, refusing more than `max` bytes.
pub fn read_bounded(r: impl std::io::Read, max: u64) -> Result<Vec<u8>> {
    guarded::read_document(r, max, guarded::TokenRule::Whole)
}

/// Reads a whole file into a [`Dataset`].
pub fn read_path(path: impl AsRef<Path>, opts: &ReadOptions) -> Result<Dataset> {
    let mut r = open_path(path.as_ref(), opts)?;
    Dataset::from_reader(r.as_mut())
}

/// Reads bytes into a [`Dataset`].
pub fn read_slice(bytes: &[u8], opts: &ReadOptions) -> Result<Dataset> {
    let mut r = open_slice(bytes, opts)?;
    Dataset::from_reader(r.as_mut())
}

pub(crate) fn unknown_format(why: &str) -> Error {
    ErrorKind::UnknownFormat(why.to_owned()).into()
}
