//! Format detection from a file name and the first bytes, never from the name alone.

use crate::error::Result;

/// Input formats phrkit reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Format {
    /// One FHIR JSON document: a Bundle or a single resource.
    FhirJson,
    /// FHIR NDJSON: one resource per line.
    FhirNdjson,
    /// One 特定健診 `hc08` CDA R2 document (one person's checkup).
    KenshinCdaXml,
    /// The 特定健診 delivery archive (ZIP with `ix08_V08.xml` and `DATA/h…xml`).
    KenshinArchive,
    /// マイナポータル 医療費通知情報 CSV download (UTF-8, UTF-8 with BOM or Shift_JIS).
    MynaExpenseCsv,
    /// A payload read through a declarative mapping file (`docs/mapping.md`); never detected, because the
    /// mapping decides what the input means.
    Mapped,
    /// Apple Health `export.xml` (root `HealthData`).
    AppleHealthXml,
    /// Apple Health `export.zip`: a zip holding a `HealthData` document (found by content, not name).
    AppleHealthZip,
    /// A home device's CSV export (blood pressure, body composition) matching a built-in preset.
    DeviceCsv,
    /// A Google Takeout JSON file: Google Fit `"Data Points"` or a Fitbit legacy array (`dateTime` entries,
    /// weight logs or sleep logs).
    TakeoutJson,
    /// Android Health Connect scheduled export: `Health Connect.zip` holding `health_connect_export.db`, or
    /// the SQLite database itself (needs the `health-connect` feature).
    HealthConnectZip,
    /// A Google Takeout zip: every Google Fit / Fitbit JSON file in it, recognised by content (Takeout
    /// folder names are localised).
    TakeoutZip,
}

impl Format {
    /// Every format, in a stable order (bindings and the CLI list them from here).
    pub const ALL: [Format; 12] = [
        Format::FhirJson,
        Format::FhirNdjson,
        Format::AppleHealthXml,
        Format::AppleHealthZip,
        Format::DeviceCsv,
        Format::TakeoutJson,
        Format::TakeoutZip,
        Format::HealthConnectZip,
        Format::KenshinCdaXml,
        Format::KenshinArchive,
        Format::MynaExpenseCsv,
        Format::Mapped,
    ];

    /// Inverse of [`Format::name`].
    pub fn from_name(name: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.name() == name)
    }

    /// A short name for messages and the CLI.
    pub fn name(self) -> &'static str {
        match self {
            Format::FhirJson => "fhir-json",
            Format::FhirNdjson => "fhir-ndjson",
            Format::KenshinCdaXml => "kenshin-cda-xml",
            Format::KenshinArchive => "kenshin-archive",
            Format::MynaExpenseCsv => "myna-expense-csv",
            Format::Mapped => "mapped",
            Format::AppleHealthXml => "apple-health-xml",
            Format::AppleHealthZip => "apple-health-zip",
            Format::DeviceCsv => "device-csv",
            Format::TakeoutJson => "takeout-json",
            Format::TakeoutZip => "takeout-zip",
            Format::HealthConnectZip => "health-connect",
        }
    }
}

fn skip_bom_ws(bytes: &[u8]) -> &[u8] {
    let b = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    &b[start..]
}

/// Whether the bytes start like a zip archive (local file header magic). What the archive holds decides
/// its format: [`super::open_path`] / [`super::open_slice`] look inside.
pub fn is_zip(head: &[u8]) -> bool {
    head.starts_with(b"PK\x03\x04")
}

/// Whether the bytes start like an SQLite database (the only SQLite input phrkit reads is Health
/// Connect's export).
pub fn is_sqlite(head: &[u8]) -> bool {
    head.starts_with(b"SQLite format 3\0")
}

/// Whether a zip's first local header names Health Connect's database (scheduled exports hold one entry).
pub(crate) fn looks_like_health_connect_zip(head: &[u8]) -> bool {
    memchr::memmem::find(head, super::health_connect_db_name()).is_some()
}

/// Detects the format of an input from its (optional) file name and first bytes.
///
/// A zip archive is recognised only by its contents, which these bytes do not show: for zip input this
/// returns an `UnknownFormat` error, and [`super::open_path`] / [`super::open_slice`] look inside.
pub fn detect_format(name: Option<&str>, head: &[u8]) -> Result<Format> {
    let lower = name.map(str::to_ascii_lowercase).unwrap_or_default();
    if is_zip(head) {
        return if looks_like_kenshin_archive(&lower, head) {
            Ok(Format::KenshinArchive)
        } else if looks_like_health_connect_zip(head) {
            Ok(Format::HealthConnectZip)
        } else if looks_like_takeout_zip(&lower, head) {
            Ok(Format::TakeoutZip)
        } else {
            Err(super::unknown_format(
                "zip archive: its entries decide the format (use open_path or open_slice)",
            ))
        };
    }
    if is_sqlite(head) {
        return Ok(Format::HealthConnectZip);
    }
    let body = skip_bom_ws(head);
    if body.is_empty() {
        return Err(super::unknown_format("empty input"));
    }
    if body[0] == b'"' && looks_like_myna_expense_csv(body) {
        return Ok(Format::MynaExpenseCsv);
    }
    if body[0] == b'<' && super::container::is_health_data(body) {
        return Ok(Format::AppleHealthXml);
    }
    if super::takeout::looks_like_takeout(body) {
        return Ok(Format::TakeoutJson);
    }
    if body[0] == b'{' {
        if lower.ends_with(".ndjson") || lower.ends_with(".jsonl") {
            return Ok(Format::FhirNdjson);
        }
        if lower.ends_with(".json") {
            return Ok(Format::FhirJson);
        }
        // No telling name: NDJSON if a second object starts after the first line.
        return Ok(if looks_like_ndjson(body) {
            Format::FhirNdjson
        } else {
            Format::FhirJson
        });
    }
    if body[0] == b'<' && memchr::memmem::find(body, b"ClinicalDocument").is_some() {
        return Ok(Format::KenshinCdaXml);
    }
    if super::device_csv::looks_like_device_csv(head) {
        return Ok(Format::DeviceCsv);
    }
    Err(super::unknown_format(
        "not a format phrkit recognises (expected FHIR JSON or NDJSON, an Apple Health export, a device CSV, 特定健診 CDA XML or archive, or a マイナポータル 医療費通知 CSV)",
    ))
}

/// A zip is a Google Takeout archive when its name follows Takeout's `takeout-….zip` or its first local
/// header names an entry under `Takeout/` (the top folder; sub-folders are localised). A hint only: the
/// reader still recognises each file by content.
pub(crate) fn looks_like_takeout_zip(lower_name: &str, head: &[u8]) -> bool {
    let file = lower_name.rsplit('/').next().unwrap_or("");
    (file.starts_with("takeout") && file.ends_with(".zip"))
        || head
            .get(30..)
            .is_some_and(|rest| rest.starts_with(b"Takeout/"))
}

/// A ZIP is a 特定健診 archive when its name follows `<10>_<8>_<9>_<1>.zip` (spec §2.2) or its first
/// local headers name the index or a `DATA/` person file.
pub(crate) fn looks_like_kenshin_archive(lower_name: &str, head: &[u8]) -> bool {
    let stem = lower_name.rsplit('/').next().unwrap_or("");
    let by_name = stem.strip_suffix(".zip").is_some_and(|s| {
        let parts: Vec<&str> = s.split('_').collect();
        parts.len() == 4
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    });
    by_name
        || memchr::memmem::find(head, b"ix08").is_some()
        || memchr::memmem::find(head, b"DATA/h").is_some()
}

/// By content, not name: a quoted CSV whose head holds a 医療費通知 heading, in UTF-8 or Shift_JIS bytes.
fn looks_like_myna_expense_csv(body: &[u8]) -> bool {
    super::myna_portal::expense_csv::MARKERS.iter().any(|m| {
        let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode(m);
        memchr::memmem::find(body, m.as_bytes()).is_some()
            || memchr::memmem::find(body, &sjis).is_some()
    })
}

fn looks_like_ndjson(body: &[u8]) -> bool {
    // A pretty-printed document has a newline inside its first object; NDJSON has a complete object per
    // line. Check whether the first line is a complete object.
    let first_line = body.split(|&b| b == b'\n').next().unwrap_or(body);
    let trimmed = first_line.trim_ascii_end();
    trimmed.ends_with(b"}")
        && serde_json::from_slice::<serde::de::IgnoredAny>(trimmed).is_ok()
        && body.len() > first_line.len() + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_format_is_listed_once_and_named_uniquely() {
        for f in Format::ALL {
            assert_eq!(Format::from_name(f.name()), Some(f));
        }
        assert_eq!(Format::from_name("nonsense"), None);
    }
}
