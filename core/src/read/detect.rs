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
    /// Apple Health `export.xml` (root `HealthData`).
    AppleHealthXml,
    /// Apple Health `export.zip`: a zip holding a `HealthData` document (found by content, not name).
    AppleHealthZip,
    /// A home device's CSV export (blood pressure, body composition) matching a built-in preset.
    DeviceCsv,
}

impl Format {
    /// A short name for messages and the CLI.
    pub fn name(self) -> &'static str {
        match self {
            Format::FhirJson => "fhir-json",
            Format::FhirNdjson => "fhir-ndjson",
            Format::AppleHealthXml => "apple-health-xml",
            Format::AppleHealthZip => "apple-health-zip",
            Format::DeviceCsv => "device-csv",
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

/// Detects the format of an input from its (optional) file name and first bytes.
///
/// A zip archive is recognised only by its contents, which these bytes do not show: for zip input this
/// returns an `UnknownFormat` error, and [`super::open_path`] / [`super::open_slice`] look inside.
pub fn detect_format(name: Option<&str>, head: &[u8]) -> Result<Format> {
    let lower = name.map(str::to_ascii_lowercase).unwrap_or_default();
    let body = skip_bom_ws(head);
    if body.is_empty() {
        return Err(super::unknown_format("empty input"));
    }
    if is_zip(head) {
        return Err(super::unknown_format(
            "zip archive: its entries decide the format (use open_path or open_slice)",
        ));
    }
    if body[0] == b'<' && super::container::is_health_data(body) {
        return Ok(Format::AppleHealthXml);
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
    if super::device_csv::looks_like_device_csv(head) {
        return Ok(Format::DeviceCsv);
    }
    Err(super::unknown_format(
        "not a format phrkit recognises (expected FHIR JSON or NDJSON, or an Apple Health export)",
    ))
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
