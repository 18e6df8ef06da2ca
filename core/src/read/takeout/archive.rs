//! A Google Takeout zip (`takeout-YYYYMMDDTHHMMSSZ-001.zip`): every Google Fit and Fitbit JSON file in it,
//! streamed entry by entry.
//!
//! Takeout folders are localised (`Takeout/Fit/All Data/` in English; other languages translate the
//! sub-folders), so files are recognised **by content**, never by path: each `.json` entry is read
//! (bounded by `max_document_bytes`) and kept when [`looks_like_takeout`] says it is a Fit `Data Points`
//! file or a Fitbit legacy array; an empty array (`[]`, a day without data) is accepted and yields
//! nothing. Only the Fitbit steps rule uses the entry's file name (`steps-…`), as for a single file.
//!
//! Nothing is lost silently: every other entry is counted in `ignored_elements` and named in an issue
//! (location `entry!(input)`) — `takeout:not-json` (HTML index, CSV, TCX … : info), `takeout:unrecognised-json`
//! (JSON of another shape, e.g. Fit sessions: warning), `takeout:unusable-entry` (encrypted or an
//! unsupported compression method). A recognised file that fails to parse is one skipped item
//! `invalid-file` (an error in strict mode). Data items inside files are counted as in [`TakeoutReader`];
//! their issue locations are prefixed with the entry name. Notes every Fitbit file repeats (times read as
//! UTC, weight unit inferred) are kept once per archive, with the first file's name.
//!
//! Zip safety is the shared one ([`crate::read::container`]): `..`/absolute names refuse the archive, entry
//! count, total and per-entry ratio are checked from the directory and again while inflating, and each
//! entry's size and CRC are verified.

use std::collections::BTreeSet;
use std::io::{Read, Seek};

use crate::error::{Error, ErrorKind, Location, Result};
use crate::read::container::{checked_entries, map_io_error, open_entry, MainEntry};
use crate::read::{Format, ReadOptions, RecordReader};
use crate::record::Record;
use crate::report::{Report, Severity};

use super::{looks_like_takeout, TakeoutReader};

/// Reads every Takeout JSON file of a zip, one entry at a time.
pub struct TakeoutZipReader<R: Read + Seek> {
    data: R,
    opts: ReadOptions,
    entries: std::vec::IntoIter<MainEntry>,
    current: Option<TakeoutReader>,
    report: Report,
    /// Per-file notes already reported once (see [`ONCE_PER_ARCHIVE`]).
    noted: BTreeSet<String>,
}

/// Issue codes every Fitbit file repeats (assumptions, not problems of one item): kept once per archive,
/// so that an export of thousands of files does not fill the report's issue cap with the same note.
const ONCE_PER_ARCHIVE: [&str; 3] = [
    "fitbit-time-assumed-utc",
    "fitbit-weight-unit-inferred",
    "fitbit-weight-unit-assumed",
];

/// What an entry turned out to be.
enum Entry {
    Takeout(TakeoutReader),
    Ignored,
}

impl<R: Read + Seek> TakeoutZipReader<R> {
    /// Opens an archive: `index` reads the central directory, `data` (a second handle on the same bytes)
    /// is read entry by entry. Fails with an unknown-format error when no entry is Takeout JSON.
    pub fn new<I: Read + Seek>(index: I, data: R, opts: &ReadOptions) -> Result<Self> {
        let mut report = Report::default();
        let (entries, unusable) = checked_entries(index, &opts.limits.archive)?;
        for name in unusable {
            report.ignore_element("takeout:unusable-entry");
            report.issue(
                Severity::Warning,
                "takeout:unusable-entry",
                in_entry(&name, Location::None),
                "encrypted entry or unsupported compression method",
            );
        }
        let mut reader = TakeoutZipReader {
            data,
            opts: opts.clone(),
            entries: entries.into_iter(),
            current: None,
            report,
            noted: BTreeSet::new(),
        };
        if !reader.advance()? {
            return Err(crate::read::unknown_format(
                "zip archive without Google Fit or Fitbit Takeout JSON",
            ));
        }
        Ok(reader)
    }

    /// Moves to the next recognised file; `false` at the end of the archive.
    fn advance(&mut self) -> Result<bool> {
        while let Some(entry) = self.entries.next() {
            if let Entry::Takeout(r) = self.open(&entry)? {
                self.current = Some(r);
                return Ok(true);
            }
        }
        self.current = None;
        Ok(false)
    }

    fn ignore(&mut self, entry: &MainEntry, key: &str, severity: Severity, why: &str) -> Entry {
        self.report.ignore_element(key);
        self.report
            .issue(severity, key, in_entry(&entry.name, Location::None), why);
        Entry::Ignored
    }

    /// Reads one entry and parses it when it is Takeout JSON.
    fn open(&mut self, entry: &MainEntry) -> Result<Entry> {
        let name = entry.name.as_str();
        if !name.to_ascii_lowercase().ends_with(".json") {
            return Ok(self.ignore(entry, "takeout:not-json", Severity::Info, "not a JSON file"));
        }
        let max = self.opts.limits.max_document_bytes;
        if entry.size() > max {
            return Err(
                Error::limit(crate::error::Limit::DocumentBytes, max, Location::None)
                    .in_zip_entry(name),
            );
        }
        let bytes = self.read_entry(entry)?;
        let body = trim_start(&bytes);
        let empty_array = body.starts_with(b"[") && body[1..].trim_ascii() == b"]";
        if !looks_like_takeout(body) && !empty_array {
            return Ok(self.ignore(
                entry,
                "takeout:unrecognised-json",
                Severity::Warning,
                "JSON that is neither Google Fit data points nor a Fitbit export array",
            ));
        }
        let file_name = name.rsplit('/').next();
        match TakeoutReader::new(&bytes, &self.opts, file_name) {
            Ok(mut r) => {
                let mut inner = std::mem::take(&mut r.report);
                inner.issues.retain(|i| {
                    !ONCE_PER_ARCHIVE.contains(&i.code.as_str())
                        || self.noted.insert(i.code.clone())
                });
                self.report.merge(wrap_report(name, inner));
                Ok(Entry::Takeout(r))
            }
            Err(e) if self.opts.strict || matches!(e.kind(), ErrorKind::LimitExceeded { .. }) => {
                Err(e.in_zip_entry(name))
            }
            Err(e) => {
                let e = e.in_zip_entry(name);
                self.report.items_read += 1;
                let loc = e.location().cloned().unwrap_or(Location::None);
                self.report.skip("invalid-file", loc, e.to_string());
                Ok(Entry::Ignored)
            }
        }
    }

    /// The whole entry, inflated through the guarded stream (ratio, size and CRC checked).
    fn read_entry(&mut self, entry: &MainEntry) -> Result<Vec<u8>> {
        let mut stream = open_entry(&mut self.data, entry, &self.opts.limits.archive)?;
        let mut bytes = Vec::with_capacity(entry.size().min(1 << 20) as usize);
        stream.read_to_end(&mut bytes).map_err(|e| {
            map_io_error(&e)
                .unwrap_or_else(|| Error::from(e))
                .in_zip_entry(&entry.name)
        })?;
        Ok(bytes)
    }
}

fn trim_start(bytes: &[u8]) -> &[u8] {
    bytes
        .strip_prefix(b"\xEF\xBB\xBF")
        .unwrap_or(bytes)
        .trim_ascii_start()
}

fn in_entry(entry: &str, inner: Location) -> Location {
    Location::ZipEntry {
        entry: entry.to_owned(),
        inner: Box::new(inner),
    }
}

/// A file's report with its issue locations prefixed by the entry name.
fn wrap_report(entry: &str, mut report: Report) -> Report {
    for issue in &mut report.issues {
        let inner = std::mem::replace(&mut issue.location, Location::None);
        issue.location = in_entry(entry, inner);
    }
    report
}

impl<R: Read + Seek> RecordReader for TakeoutZipReader<R> {
    fn next_record(&mut self) -> Result<Option<Record>> {
        loop {
            if let Some(r) = self.current.as_mut() {
                if let Some(rec) = r.next_record()? {
                    return Ok(Some(rec));
                }
            } else {
                return Ok(None);
            }
            self.advance()?;
        }
    }
    fn report(&self) -> &Report {
        &self.report
    }
    fn format(&self) -> Format {
        Format::TakeoutZip
    }
}
