//! 特定健診 (specific health checkup) input: one `hc08` CDA XML, or the MHLW delivery archive (ZIP with a
//! root folder, `ix08_V08.xml` index, `DATA/h…xml` person files, optional `su08` / `CLAIMS/`).
//!
//! One record per person file: [`Record::Checkup`]. The archive is read one person file at a time (each
//! parsed into a small bounded tree, see `xml.rs`), so memory does not grow with the number of people.
//! Tolerance rules of `kenshin-cda.md` §11 are applied and every deviation is reported as an issue.
//!
//! Zip safety: entry names with `..`, absolute paths or drive letters are refused; the entry count, the
//! total uncompressed size and each entry's compression ratio are capped ([`ArchiveLimits`]); declared
//! sizes are not trusted (reads are bounded by the cap too).

mod document;
mod xml;

use std::collections::VecDeque;
use std::io::{Read, Seek};

use chrono::NaiveDate;

use super::{Buffered, Format, ReadOptions, RecordReader};
use crate::error::{Error, ErrorKind, Limit, Location, Result};
use crate::record::Record;
use crate::report::{Report, Severity};

pub(crate) use document::{normalise_insurer, OID_INSURER};

/// Format name used in errors for one CDA document.
pub const FORMAT_CDA: &str = "特定健診 CDA XML";
/// Format name used in errors for the archive.
pub const FORMAT_ARCHIVE: &str = "特定健診 archive";
/// Format name used in errors for the index file.
pub const FORMAT_INDEX: &str = "特定健診 index (ix08)";

/// The V08 index namespace (writers emit it).
pub const INDEX_NS_V08: &str = "https://www.mhlw.go.jp/stf/seisakunitsuite/bunya/0000161103.html";
/// The 2008-era index namespace (accepted on read, rule R4).
pub const INDEX_NS_2007: &str = "http://tokuteikenshin.jp/checkup/2007";

/// Caps on an archive, against zip bombs and resource exhaustion.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct ArchiveLimits {
    /// Maximum entries in the ZIP (person files + index + XSDs).
    pub max_entries: u64,
    /// Maximum total uncompressed bytes of all entries read.
    pub max_total_bytes: u64,
    /// Maximum uncompressed bytes of one entry.
    pub max_entry_bytes: u64,
    /// Maximum uncompressed/compressed ratio of one entry (XML compresses about 10–30×).
    pub max_ratio: u64,
}

impl Default for ArchiveLimits {
    fn default() -> Self {
        ArchiveLimits {
            max_entries: 1_000_000,
            max_total_bytes: 8 * 1024 * 1024 * 1024,
            max_entry_bytes: 64 * 1024 * 1024,
            max_ratio: 200,
        }
    }
}

impl ArchiveLimits {
    /// Limits with every field given (the struct is non-exhaustive).
    pub fn new(
        max_entries: u64,
        max_total_bytes: u64,
        max_entry_bytes: u64,
        max_ratio: u64,
    ) -> Self {
        ArchiveLimits {
            max_entries,
            max_total_bytes,
            max_entry_bytes,
            max_ratio,
        }
    }
}

/// A party id in the index (`sender/id`, `receiver/id`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartyId {
    /// `@root`: `…6.102` 健診機関, `…6.101` 保険者, `…6.103` 代行機関, `…6.105` 地方公共団体.
    pub root: String,
    /// `@extension`: the number (insurer numbers normalised to 8 digits, rule R3).
    pub extension: String,
}

/// The index file `ix08_V08.xml` (交換用基本情報, spec §3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArchiveIndex {
    /// 種別コード (`interactionType/@code`), `6` = 健診機関 → 保険者.
    pub interaction_type: String,
    /// File creation date.
    pub creation: Option<NaiveDate>,
    /// Sender.
    pub sender: Option<PartyId>,
    /// Receiver.
    pub receiver: Option<PartyId>,
    /// 実施区分 (`serviceEventType/@code`), `1` = 特定健診情報.
    pub service_event_type: String,
    /// `totalRecordCount/@value`: number of person files in `DATA/`.
    pub total_record_count: Option<u64>,
}

fn party(n: &xml::Node) -> Option<PartyId> {
    let id = n.child("id")?;
    let root = id.attr("root")?.trim().to_owned();
    let ext = id.attr("extension").unwrap_or("").trim();
    let extension = if root == OID_INSURER {
        normalise_insurer(ext).unwrap_or_else(|| ext.to_owned())
    } else {
        ext.to_owned()
    };
    Some(PartyId { root, extension })
}

/// Parses an index file.
pub fn parse_index(bytes: &[u8], report: &mut Report) -> Result<ArchiveIndex> {
    let root = xml::parse(bytes, FORMAT_INDEX)?;
    let loc = |n: &xml::Node| Location::XmlPath {
        path: format!("/{}", n.name),
        line: Some(n.line),
    };
    if root.name != "index" {
        return Err(Error::format(
            FORMAT_INDEX,
            loc(&root),
            "root element is not index",
        ));
    }
    match root.xmlns.as_deref() {
        None | Some(INDEX_NS_V08) | Some(INDEX_NS_2007) => {}
        Some(_) => report.issue(
            Severity::Warning,
            "unknown-index-namespace",
            loc(&root),
            "index namespace is neither V08 nor the 2007 namespace; read by local names",
        ),
    }
    let code = |name: &str, attr: &str| {
        root.child(name)
            .and_then(|n| n.attr(attr))
            .map(|s| s.trim().to_owned())
    };
    let total = match code("totalRecordCount", "value") {
        Some(v) => Some(v.parse::<u64>().map_err(|_| {
            Error::format(
                FORMAT_INDEX,
                loc(&root),
                "totalRecordCount is not a whole number",
            )
        })?),
        None => None,
    };
    Ok(ArchiveIndex {
        interaction_type: code("interactionType", "code").unwrap_or_default(),
        creation: code("creationTime", "value").and_then(|v| document::parse_ts_date(&v)),
        sender: root.child("sender").and_then(party),
        receiver: root.child("receiver").and_then(party),
        service_event_type: code("serviceEventType", "code").unwrap_or_default(),
        total_record_count: total,
    })
}

/// Parses one `hc08` document into a record, adding issues to `report`.
pub fn parse_document(bytes: &[u8], report: &mut Report) -> Result<crate::record::CheckupReport> {
    let root = xml::parse(bytes, FORMAT_CDA)?;
    document::map_document(&root, report)
}

fn skip_reason(e: &Error) -> &'static str {
    match e.kind() {
        ErrorKind::LimitExceeded { .. } => "limit-exceeded",
        ErrorKind::InvalidRecord { .. } => "invalid-record",
        _ => "invalid-document",
    }
}

/// Reads one `hc08` XML document (the whole input is one person).
pub(crate) fn read_document(bytes: &[u8], opts: &ReadOptions) -> Result<Buffered> {
    if bytes.len() as u64 > opts.limits.max_document_bytes {
        return Err(Error::limit(
            Limit::DocumentBytes,
            opts.limits.max_document_bytes,
            Location::None,
        ));
    }
    let mut report = Report {
        items_read: 1,
        ..Report::default()
    };
    // A single document that fails is the whole input: always an error.
    let r = parse_document(bytes, &mut report)?;
    report.converted("checkup");
    Ok(Buffered {
        records: VecDeque::from([Record::Checkup(Box::new(r))]),
        report,
        format: Format::KenshinCdaXml,
    })
}

/// Streams the person files of a delivery archive, one [`Record::Checkup`] per `DATA/h…xml`.
pub struct KenshinArchiveReader<R: Read + Seek> {
    zip: zip::ZipArchive<R>,
    opts: ReadOptions,
    limits: ArchiveLimits,
    passwords: Vec<Vec<u8>>,
    /// Entry indices and normalised names of the person files, in name order.
    data: VecDeque<(usize, String)>,
    index: Option<ArchiveIndex>,
    root: Option<String>,
    total_read: u64,
    report: Report,
}

/// One archive member's name, decoded and checked.
fn entry_name(raw: &[u8], utf8_flag_name: &str) -> Result<String> {
    // Names without the UTF-8 flag are often CP932 (spec §2.4, fallback unverified).
    let name = match std::str::from_utf8(raw) {
        Ok(s) => s.to_owned(),
        Err(_) => {
            let (cow, _, bad) = encoding_rs::SHIFT_JIS.decode(raw);
            if bad {
                utf8_flag_name.to_owned()
            } else {
                cow.into_owned()
            }
        }
    };
    let name = name.replace('\\', "/");
    let unsafe_path = name.starts_with('/')
        || name.as_bytes().get(1) == Some(&b':')
        || name.split('/').any(|seg| seg == "..")
        || name.contains('\0');
    if unsafe_path {
        return Err(Error::format(
            FORMAT_ARCHIVE,
            Location::ZipEntry {
                entry: name.chars().filter(|c| !c.is_control()).collect(),
                inner: Box::new(Location::None),
            },
            "entry path is absolute or contains `..` (refused)",
        ));
    }
    Ok(name)
}

fn zip_error(e: zip::result::ZipError) -> Error {
    match e {
        zip::result::ZipError::Io(io) => Error::format(
            FORMAT_ARCHIVE,
            Location::None,
            format!("truncated or unreadable ZIP ({})", io.kind()),
        ),
        zip::result::ZipError::InvalidArchive(_) => {
            Error::format(FORMAT_ARCHIVE, Location::None, "not a valid ZIP archive")
        }
        zip::result::ZipError::UnsupportedArchive(_) => Error::format(
            FORMAT_ARCHIVE,
            Location::None,
            "unsupported ZIP feature (compression method or encryption)",
        ),
        zip::result::ZipError::InvalidPassword => Error::format(
            FORMAT_ARCHIVE,
            Location::None,
            "no password supplied opens the entry",
        ),
        _ => Error::format(FORMAT_ARCHIVE, Location::None, "unreadable ZIP archive"),
    }
}

impl<R: Read + Seek> KenshinArchiveReader<R> {
    /// Opens an archive with default [`ArchiveLimits`] and no passwords.
    pub fn new(input: R, opts: ReadOptions) -> Result<Self> {
        Self::with_limits(input, opts, ArchiveLimits::default(), Vec::new())
    }

    /// Opens an archive with explicit limits and candidate passwords (ZipCrypto archives from 健診機関 are
    /// common, spec §2.4; candidates are tried in order).
    pub fn with_limits(
        input: R,
        opts: ReadOptions,
        limits: ArchiveLimits,
        passwords: Vec<Vec<u8>>,
    ) -> Result<Self> {
        let zip = zip::ZipArchive::new(input).map_err(zip_error)?;
        if zip.len() as u64 > limits.max_entries {
            return Err(Error::limit(
                Limit::ArchiveEntries,
                limits.max_entries,
                Location::None,
            ));
        }
        let mut me = KenshinArchiveReader {
            zip,
            opts,
            limits,
            passwords,
            data: VecDeque::new(),
            index: None,
            root: None,
            total_read: 0,
            report: Report::default(),
        };
        me.survey()?;
        Ok(me)
    }

    /// The parsed index, if the archive has one.
    pub fn index(&self) -> Option<&ArchiveIndex> {
        self.index.as_ref()
    }

    /// The root folder name (`<sender>_<receiver>_<date><N>_<kind>`).
    pub fn root_folder(&self) -> Option<&str> {
        self.root.as_deref()
    }

    /// Checks the ZIP's own file name against its root folder (spec §2.1: the ZIP is named like the root
    /// folder plus `.zip`); a mismatch is a warning.
    pub fn check_zip_name(&mut self, file_name: &str) {
        let stem = file_name.strip_suffix(".zip").unwrap_or(file_name);
        if self.root.as_deref().is_some_and(|r| r != stem) {
            self.report.issue(
                Severity::Warning,
                "zip-name-mismatch",
                Location::None,
                "ZIP file name differs from its root folder name (spec §2.1)",
            );
        }
    }

    /// Lists and checks every entry, reads the index, and queues the person files.
    fn survey(&mut self) -> Result<()> {
        let mut names = Vec::with_capacity(self.zip.len());
        let mut declared_total = 0u64;
        for i in 0..self.zip.len() {
            let (name, size, compressed, is_dir) = {
                let f = self.zip.by_index_raw(i).map_err(zip_error)?;
                (
                    entry_name(f.name_raw(), f.name())?,
                    f.size(),
                    f.compressed_size(),
                    f.is_dir(),
                )
            };
            let loc = Location::ZipEntry {
                entry: name.clone(),
                inner: Box::new(Location::None),
            };
            if !is_dir {
                check_sizes(&self.limits, size, compressed, &loc)?;
                declared_total = declared_total.saturating_add(size);
                if declared_total > self.limits.max_total_bytes {
                    return Err(Error::limit(
                        Limit::ArchiveBytes,
                        self.limits.max_total_bytes,
                        loc,
                    ));
                }
            }
            names.push((i, name, is_dir));
        }
        let roots: std::collections::BTreeSet<&str> = names
            .iter()
            .filter_map(|(_, n, _)| n.split_once('/').map(|(r, _)| r))
            .collect();
        let root = (roots.len() == 1)
            .then(|| roots.iter().next().map(|s| s.to_string()))
            .flatten();
        if root.is_none() {
            self.report.issue(
                Severity::Warning,
                "no-root-folder",
                Location::None,
                "archive does not have exactly one root folder (spec §2.1)",
            );
        }
        let rel = |n: &str| match &root {
            Some(r) => n
                .strip_prefix(r.as_str())
                .and_then(|s| s.strip_prefix('/'))
                .unwrap_or(n)
                .to_owned(),
            None => n.to_owned(),
        };
        let mut index_entry = None;
        let mut data = Vec::new();
        for (i, name, is_dir) in &names {
            if *is_dir {
                continue;
            }
            let r = rel(name);
            let lower = r.to_ascii_lowercase();
            if lower == "ix08_v08.xml" {
                index_entry = Some((*i, name.clone()));
            } else if lower == "ix08.xml" {
                self.report.issue(
                    Severity::Info,
                    "legacy-index-name",
                    Location::None,
                    "legacy index name ix08.xml accepted",
                );
                if index_entry.is_none() {
                    index_entry = Some((*i, name.clone()));
                }
            } else if let Some(file) = lower.strip_prefix("data/") {
                if !file.ends_with(".xml") {
                    self.report.ignore_element("DATA/ non-XML file");
                    continue;
                }
                if !is_person_file_name(&r["DATA/".len()..]) {
                    self.report.issue(
                        Severity::Warning,
                        "unexpected-data-file-name",
                        Location::ZipEntry {
                            entry: name.clone(),
                            inner: Box::new(Location::None),
                        },
                        "person file name is not <h|g><26 digits>.xml (spec §2.3)",
                    );
                }
                data.push((*i, name.clone()));
            } else if lower.starts_with("claims/") {
                self.report
                    .ignore_element("CLAIMS/ (settlement data, not modelled)");
            } else if lower.starts_with("su08") {
                self.report.ignore_element("su08 (summary, not modelled)");
            } else if lower.starts_with("xsd/") {
                // Never used for validation (spec §2.4).
                self.report
                    .ignore_element("XSD/ (incoming schemas are not trusted)");
            } else {
                self.report.ignore_element("unrecognised archive member");
            }
        }
        data.sort_by(|a, b| a.1.cmp(&b.1));
        match index_entry {
            Some((i, name)) => {
                let bytes = self.read_entry(i, &name)?;
                let idx =
                    parse_index(&bytes, &mut self.report).map_err(|e| e.in_zip_entry(&name))?;
                if let Some(n) = idx.total_record_count {
                    if n != data.len() as u64 {
                        // Rule R25: warn, continue.
                        self.report.issue(
                            Severity::Warning,
                            "record-count-mismatch",
                            Location::ZipEntry {
                                entry: name.clone(),
                                inner: Box::new(Location::None),
                            },
                            format!(
                                "index totalRecordCount differs from the {} person files present",
                                data.len()
                            ),
                        );
                    }
                }
                self.index = Some(idx);
            }
            None => self.report.issue(
                Severity::Warning,
                "missing-index",
                Location::None,
                "archive has no ix08_V08.xml index",
            ),
        }
        self.root = root;
        self.data = data.into();
        Ok(())
    }

    /// Reads one entry fully, bounded by the limits whatever the headers claim.
    fn read_entry(&mut self, i: usize, name: &str) -> Result<Vec<u8>> {
        let loc = Location::ZipEntry {
            entry: name.to_owned(),
            inner: Box::new(Location::None),
        };
        let encrypted = self.zip.by_index_raw(i).map_err(zip_error)?.encrypted();
        let cap = self
            .limits
            .max_entry_bytes
            .min(self.opts.limits.max_document_bytes);
        let mut bytes = Vec::new();
        let compressed;
        if encrypted {
            let mut found = None;
            for (k, p) in self.passwords.iter().enumerate() {
                if self.zip.by_index_decrypt(i, p).is_ok() {
                    found = Some(k);
                    break;
                }
            }
            let Some(k) = found else {
                return Err(Error::format(
                    FORMAT_ARCHIVE,
                    loc,
                    "entry is encrypted and no supplied password opens it",
                ));
            };
            let f = self
                .zip
                .by_index_decrypt(i, &self.passwords[k])
                .map_err(zip_error)?;
            compressed = f.compressed_size();
            read_capped(f, cap, &mut bytes, &loc)?;
        } else {
            let f = self
                .zip
                .by_index(i)
                .map_err(|e| zip_error(e).in_zip_entry(name))?;
            compressed = f.compressed_size();
            read_capped(f, cap, &mut bytes, &loc)?;
        }
        check_sizes(&self.limits, bytes.len() as u64, compressed, &loc)?;
        self.total_read = self.total_read.saturating_add(bytes.len() as u64);
        if self.total_read > self.limits.max_total_bytes {
            return Err(Error::limit(
                Limit::ArchiveBytes,
                self.limits.max_total_bytes,
                loc,
            ));
        }
        Ok(bytes)
    }
}

/// Checks one entry's (declared or actual) size against the per-entry and ratio caps. Entries of 4 KiB or
/// less are exempt from the ratio cap (tiny XML compresses well and cannot be a bomb).
fn check_sizes(limits: &ArchiveLimits, size: u64, compressed: u64, loc: &Location) -> Result<()> {
    if size > limits.max_entry_bytes {
        return Err(Error::limit(
            Limit::DocumentBytes,
            limits.max_entry_bytes,
            loc.clone(),
        ));
    }
    if size > compressed.max(1).saturating_mul(limits.max_ratio) && size > 4096 {
        return Err(Error::limit(
            Limit::CompressionRatio,
            limits.max_ratio,
            loc.clone(),
        ));
    }
    Ok(())
}

fn read_capped(f: impl Read, cap: u64, out: &mut Vec<u8>, loc: &Location) -> Result<()> {
    f.take(cap.saturating_add(1))
        .read_to_end(out)
        .map_err(|e| {
            Error::format(
                FORMAT_ARCHIVE,
                loc.clone(),
                format!("entry cannot be decompressed ({})", e.kind()),
            )
        })?;
    if out.len() as u64 > cap {
        return Err(Error::limit(Limit::DocumentBytes, cap, loc.clone()));
    }
    Ok(())
}

/// `h` / `g` followed by 26 digits and `.xml` (spec §2.3).
pub fn is_person_file_name(name: &str) -> bool {
    let Some(stem) = name.strip_suffix(".xml") else {
        return false;
    };
    let b = stem.as_bytes();
    b.len() == 27 && matches!(b[0], b'h' | b'g') && b[1..].iter().all(u8::is_ascii_digit)
}

impl<R: Read + Seek> RecordReader for KenshinArchiveReader<R> {
    fn next_record(&mut self) -> Result<Option<Record>> {
        while let Some((i, name)) = self.data.pop_front() {
            self.report.items_read += 1;
            let file = name.rsplit('/').next().unwrap_or(&name);
            if file.starts_with('g') {
                self.report.skip(
                    "guidance-not-modelled",
                    Location::ZipEntry {
                        entry: name.clone(),
                        inner: Box::new(Location::None),
                    },
                    "特定保健指導 (hg08) files are not modelled",
                );
                continue;
            }
            let parsed = self
                .read_entry(i, &name)
                .and_then(|bytes| parse_document(&bytes, &mut self.report))
                .map_err(|e| e.in_zip_entry(&name));
            match parsed {
                Ok(r) => {
                    self.report.converted("checkup");
                    return Ok(Some(Record::Checkup(Box::new(r))));
                }
                Err(e) if self.opts.strict || e.is_io() => return Err(e),
                Err(e) => {
                    let loc = e.location().cloned().unwrap_or(Location::None);
                    self.report.skip(skip_reason(&e), loc, e.to_string());
                }
            }
        }
        Ok(None)
    }

    fn report(&self) -> &Report {
        &self.report
    }

    fn format(&self) -> Format {
        Format::KenshinArchive
    }
}
