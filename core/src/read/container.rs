//! Zip containers (Apple `export.zip`): find the main document by content, stream it, refuse bombs.
//!
//! * The main document is the `.xml` entry whose first bytes hold `<!DOCTYPE HealthData` or
//!   `<HealthData` — never chosen by name, since exports are localised (`書き出したデータ.zip`, `导出.xml`,
//!   `exportar.xml`). `export_cda.xml` is not a well-formed document and is skipped.
//! * Side files are counted, not parsed, in `ignored_elements`: `side-file:workout-route` (GPX),
//!   `side-file:electrocardiogram` (CSV), `side-file:clinical-record` (FHIR JSON), `side-file:export_cda.xml`,
//!   `side-file:other`.
//! * Entry names with `..` or an absolute path are refused, although nothing is ever extracted: such an
//!   archive is hostile. Entry count, declared total size and declared per-entry ratio are checked before
//!   reading; the bytes actually inflated are checked again while streaming (headers can lie), and the
//!   CRC and size are verified at the end of the entry.
//! * The entry is streamed: the compressed bytes are read from the file at the entry's offset and
//!   inflated on the fly, so memory does not grow with the entry's size.

use std::io::{self, Read, Seek, SeekFrom};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use zip::CompressionMethod;

use crate::error::{Error, Limit, Location, Result};
use crate::report::Report;

const FORMAT: &str = "zip archive";

/// Bytes of an entry inspected to recognise the main document.
const SNIFF_BYTES: u64 = 64 * 1024;

/// Output below this size is never judged by its compression ratio (tiny files compress extremely well).
const RATIO_GRACE_BYTES: u64 = 1024 * 1024;

/// Limits on archives (part of [`super::Limits`]).
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct ArchiveLimits {
    /// Entries in the central directory.
    pub max_entries: u64,
    /// Total uncompressed bytes, declared and actually inflated.
    pub max_total_bytes: u64,
    /// Uncompressed / compressed bytes of one entry (beyond `RATIO_GRACE_BYTES`).
    pub max_ratio: u64,
}

impl Default for ArchiveLimits {
    fn default() -> Self {
        // Real exports: up to a few GB of XML, compression 10–20× (spec §1.11); deflate's maximum is
        // about 1032×, which only crafted input reaches.
        ArchiveLimits {
            max_entries: 200_000,
            max_total_bytes: 64 * 1024 * 1024 * 1024,
            max_ratio: 200,
        }
    }
}

impl ArchiveLimits {
    /// Sets every limit (for callers that need tighter or looser bounds).
    pub fn new(max_entries: u64, max_total_bytes: u64, max_ratio: u64) -> ArchiveLimits {
        ArchiveLimits {
            max_entries,
            max_total_bytes,
            max_ratio,
        }
    }
}

/// Why a guarded stream stopped; travels inside an `io::Error` through the XML tokenizer.
#[derive(Debug)]
pub(crate) enum GuardError {
    Limit(Limit, u64),
    Oversize,
    Truncated,
    Crc,
}

impl std::fmt::Display for GuardError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            GuardError::Limit(..) => "archive limit exceeded",
            GuardError::Oversize => "entry larger than its declared size",
            GuardError::Truncated => "entry shorter than its declared size",
            GuardError::Crc => "entry CRC mismatch",
        })
    }
}

impl std::error::Error for GuardError {}

/// Turns an I/O error from a guarded zip stream into a typed error (`None`: a plain I/O error).
pub(crate) fn map_io_error(e: &io::Error) -> Option<Error> {
    if let Some(g) = e.get_ref().and_then(|i| i.downcast_ref::<GuardError>()) {
        return Some(match g {
            GuardError::Limit(limit, max) => Error::limit(*limit, *max, Location::None),
            other => Error::format(FORMAT, Location::None, other.to_string()),
        });
    }
    match e.kind() {
        io::ErrorKind::InvalidData | io::ErrorKind::InvalidInput | io::ErrorKind::UnexpectedEof => {
            Some(Error::format(
                FORMAT,
                Location::None,
                "corrupt compressed data",
            ))
        }
        _ => None,
    }
}

fn zip_error(e: zip::result::ZipError, entry: Option<&str>) -> Error {
    let reason = match &e {
        zip::result::ZipError::Io(io) => {
            if let Some(mapped) = map_io_error(io) {
                return mapped;
            }
            "archive could not be read (truncated or damaged)"
        }
        zip::result::ZipError::InvalidArchive(_) => {
            "not a readable zip archive (truncated or damaged)"
        }
        zip::result::ZipError::UnsupportedArchive(_) => {
            "unsupported zip feature (encryption, zip method)"
        }
        _ => "not a readable zip archive",
    };
    let err = Error::format(FORMAT, Location::None, reason);
    match entry {
        Some(n) => err.in_zip_entry(n),
        None => err,
    }
}

/// The main document of an archive, located but not yet read.
#[derive(Clone, Debug)]
pub(crate) struct MainEntry {
    pub(crate) name: String,
    data_start: u64,
    compressed: u64,
    size: u64,
    method: CompressionMethod,
    crc: u32,
}

impl MainEntry {
    /// The entry's declared uncompressed size (checked again while it streams).
    pub(crate) fn size(&self) -> u64 {
        self.size
    }
}

fn entry_error(name: &str, reason: &str) -> Error {
    Error::format(FORMAT, Location::None, reason).in_zip_entry(name)
}

fn unsafe_path(name: &str) -> bool {
    let n = name.replace('\\', "/");
    n.starts_with('/') || n.split('/').any(|c| c == "..") || n.as_bytes().get(1) == Some(&b':')
}

fn side_file_kind(lower: &str) -> Option<&'static str> {
    let file = lower.rsplit('/').next().unwrap_or(lower);
    if lower.contains("workout-routes/") || lower.ends_with(".gpx") {
        Some("side-file:workout-route")
    } else if lower.contains("electrocardiograms/") {
        Some("side-file:electrocardiogram")
    } else if lower.contains("clinical-records/") {
        Some("side-file:clinical-record")
    } else if file == "export_cda.xml" {
        Some("side-file:export_cda.xml")
    } else if lower.ends_with(".xml") {
        None
    } else {
        Some("side-file:other")
    }
}

/// Whether the first bytes of an XML entry announce an Apple Health document.
pub(crate) fn is_health_data(head: &[u8]) -> bool {
    memchr::memmem::find(head, b"<!DOCTYPE HealthData").is_some()
        || memchr::memmem::find(head, b"<HealthData").is_some()
}

/// Scans the central directory: checks names and limits, counts side files into `report`, and returns
/// the main Apple Health document, if any.
pub(crate) fn find_apple_main<R: Read + Seek>(
    reader: R,
    limits: &ArchiveLimits,
    report: &mut Report,
) -> Result<Option<MainEntry>> {
    let mut archive = zip::ZipArchive::new(reader).map_err(|e| zip_error(e, None))?;
    let (entries, unusable) = checked_entries_in(&mut archive, limits)?;
    for name in unusable {
        report.ignore_element(side_file_kind(&name.to_lowercase()).unwrap_or("side-file:other"));
    }
    let mut main = None;
    for (i, entry) in entries {
        if let Some(kind) = side_file_kind(&entry.name.to_lowercase()) {
            report.ignore_element(kind);
            continue;
        }
        if main.is_some() || !is_health_data(&sniff(&mut archive, i, &entry.name)?) {
            report.ignore_element("side-file:other");
            continue;
        }
        main = Some(entry);
    }
    Ok(main)
}

/// The first [`SNIFF_BYTES`] of entry `i`, inflated.
fn sniff<R: Read + Seek>(
    archive: &mut zip::ZipArchive<R>,
    i: usize,
    name: &str,
) -> Result<Vec<u8>> {
    let mut head = Vec::new();
    let f = archive.by_index(i).map_err(|e| zip_error(e, Some(name)))?;
    f.take(SNIFF_BYTES).read_to_end(&mut head).map_err(|e| {
        map_io_error(&e)
            .unwrap_or_else(|| Error::from(e))
            .in_zip_entry(name)
    })?;
    Ok(head)
}

/// Scans the central directory with the same path and limit checks as [`find_apple_main`] and returns the
/// first stored/deflated, unencrypted entry whose name satisfies `wanted` (Health Connect's database is
/// found by its fixed name); other entries are counted as `side-file:other`.
#[cfg(feature = "health-connect")]
pub(crate) fn find_named_entry<R: Read + Seek>(
    reader: R,
    limits: &ArchiveLimits,
    report: &mut Report,
    wanted: impl Fn(&str) -> bool,
) -> Result<Option<MainEntry>> {
    let mut found = None;
    let (entries, unusable) = checked_entries(reader, limits)?;
    for _ in unusable {
        report.ignore_element("side-file:other");
    }
    for entry in entries {
        if found.is_none() && wanted(&entry.name) {
            found = Some(entry);
        } else {
            report.ignore_element("side-file:other");
        }
    }
    Ok(found)
}

/// Every readable file entry of an archive, in central-directory order, after the checks every zip
/// reader shares: entry count, `..`/absolute names (refused: the archive is hostile), declared total
/// size and declared per-entry ratio. Directories are left out; the names of encrypted entries and of
/// compression methods other than stored/deflated come back separately, for the caller to report.
pub(crate) fn checked_entries<R: Read + Seek>(
    reader: R,
    limits: &ArchiveLimits,
) -> Result<(Vec<MainEntry>, Vec<String>)> {
    let mut archive = zip::ZipArchive::new(reader).map_err(|e| zip_error(e, None))?;
    let (entries, unusable) = checked_entries_in(&mut archive, limits)?;
    Ok((entries.into_iter().map(|(_, e)| e).collect(), unusable))
}

/// An entry that passed the checks, with its index in the central directory.
type IndexedEntry = (usize, MainEntry);

/// [`checked_entries`] over an open archive, each entry with its index (for readers that sniff entries).
fn checked_entries_in<R: Read + Seek>(
    archive: &mut zip::ZipArchive<R>,
    limits: &ArchiveLimits,
) -> Result<(Vec<IndexedEntry>, Vec<String>)> {
    if archive.len() as u64 > limits.max_entries {
        return Err(Error::limit(
            Limit::ArchiveEntries,
            limits.max_entries,
            Location::None,
        ));
    }
    let mut declared_total: u64 = 0;
    let mut entries = Vec::new();
    let mut unusable = Vec::new();
    for i in 0..archive.len() {
        let f = archive.by_index_raw(i).map_err(|e| zip_error(e, None))?;
        let name = f.name().to_owned();
        if unsafe_path(&name) {
            return Err(entry_error(
                &name,
                "entry path escapes the archive (.. or absolute)",
            ));
        }
        declared_total = declared_total.saturating_add(f.size());
        if declared_total > limits.max_total_bytes {
            return Err(
                Error::limit(Limit::ArchiveBytes, limits.max_total_bytes, Location::None)
                    .in_zip_entry(&name),
            );
        }
        if f.size() > RATIO_GRACE_BYTES && f.size() / f.compressed_size().max(1) > limits.max_ratio
        {
            return Err(
                Error::limit(Limit::CompressionRatio, limits.max_ratio, Location::None)
                    .in_zip_entry(&name),
            );
        }
        if f.is_dir() {
            continue;
        }
        let usable = !f.encrypted()
            && matches!(
                f.compression(),
                CompressionMethod::Stored | CompressionMethod::Deflated
            );
        if !usable {
            unusable.push(name);
            continue;
        }
        entries.push((
            i,
            MainEntry {
                name,
                data_start: f.data_start(),
                compressed: f.compressed_size(),
                size: f.size(),
                method: f.compression(),
                crc: f.crc32(),
            },
        ));
    }
    Ok((entries, unusable))
}

/// Counts bytes read through it.
struct Counting<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// The inflated entry, checked against the limits, its declared size and its CRC as it streams.
pub(crate) struct GuardedEntry<'a> {
    inner: Box<dyn Read + 'a>,
    compressed_in: Arc<AtomicU64>,
    out: u64,
    declared: u64,
    crc: crc32fast::Hasher,
    expected_crc: u32,
    limits: ArchiveLimits,
}

fn guard_err(g: GuardError) -> io::Error {
    io::Error::other(g)
}

impl Read for GuardedEntry<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 {
            if self.out != self.declared {
                return Err(guard_err(GuardError::Truncated));
            }
            if self.crc.clone().finalize() != self.expected_crc {
                return Err(guard_err(GuardError::Crc));
            }
            return Ok(0);
        }
        self.out += n as u64;
        self.crc.update(&buf[..n]);
        if self.out > self.declared {
            return Err(guard_err(GuardError::Oversize));
        }
        if self.out > self.limits.max_total_bytes {
            return Err(guard_err(GuardError::Limit(
                Limit::ArchiveBytes,
                self.limits.max_total_bytes,
            )));
        }
        let consumed = self.compressed_in.load(Ordering::Relaxed).max(1);
        if self.out > RATIO_GRACE_BYTES && self.out / consumed > self.limits.max_ratio {
            return Err(guard_err(GuardError::Limit(
                Limit::CompressionRatio,
                self.limits.max_ratio,
            )));
        }
        Ok(n)
    }
}

/// Opens the entry's bytes in `reader` (a second handle on the archive) as a guarded stream.
pub(crate) fn open_entry<'a, R: Read + Seek + 'a>(
    mut reader: R,
    entry: &MainEntry,
    limits: &ArchiveLimits,
) -> Result<GuardedEntry<'a>> {
    reader
        .seek(SeekFrom::Start(entry.data_start))
        .map_err(|e| Error::from(e).in_zip_entry(&entry.name))?;
    let count = Arc::new(AtomicU64::new(0));
    let raw = Counting {
        inner: reader.take(entry.compressed),
        count: Arc::clone(&count),
    };
    let inner: Box<dyn Read + 'a> = match entry.method {
        CompressionMethod::Stored => Box::new(raw),
        _ => Box::new(flate2::read::DeflateDecoder::new(raw)),
    };
    Ok(GuardedEntry {
        inner,
        compressed_in: count,
        out: 0,
        declared: entry.size,
        crc: crc32fast::Hasher::new(),
        expected_crc: entry.crc,
        limits: *limits,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_escaping_paths() {
        assert!(unsafe_path("../evil.xml"));
        assert!(unsafe_path("a/../../evil.xml"));
        assert!(unsafe_path("/etc/passwd"));
        assert!(unsafe_path("C:\\x.xml"));
        assert!(unsafe_path("a\\..\\b"));
        assert!(!unsafe_path("apple_health_export/書き出したデータ.xml"));
        assert!(!unsafe_path("a/..b/c"));
    }

    #[test]
    fn classifies_side_files_without_names_of_the_main_document() {
        assert_eq!(
            side_file_kind("apple_health_export/workout-routes/route_2019-06-11_3.00pm.gpx"),
            Some("side-file:workout-route")
        );
        assert_eq!(
            side_file_kind("apple_health_export/electrocardiograms/ecg_2021-03-01.csv"),
            Some("side-file:electrocardiogram")
        );
        assert_eq!(
            side_file_kind("apple_health_export/export_cda.xml"),
            Some("side-file:export_cda.xml")
        );
        assert_eq!(side_file_kind("apple_health_export/导出.xml"), None);
    }
}
