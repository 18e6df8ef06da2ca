//! A declarative mapping layer: a JSON mapping file says which keys of a JSON payload (or which columns of
//! a CSV table) become which fields of medication, immunization, expense and subject records.
//!
//! Why: the マイナポータル API payload formats are handed only to approved operators (`mynaportal.md` §5).
//! The core ships no guess at them; an operator writes a mapping file for the real format and reads it
//! with phrkit without forking. The language is documented in `docs/mapping.md` with a worked example.
//!
//! A [`Mapping`] is validated completely when loaded (unknown record types or fields, fields with no or
//! two sources, record types missing what their constructor needs) and reports errors as
//! [`crate::ErrorKind::Config`] with the JSON pointer of the offending key. Reading then never fails
//! because of the mapping, only because of the data, per item, with the item's location.

mod apply;
mod build;
mod conformance;
pub mod spec;
mod validate;

use std::path::Path;

use crate::read::guarded;

use crate::error::{Error, ErrorKind, Location, Result};
use crate::read::{Buffered, Dataset, ReadOptions, RecordReader};

pub use conformance::Conformance;
pub use spec::{AdapterIdentity, MappingFile, MAPPING_LANGUAGE_VERSION};

/// Maximum size of a mapping file (a mapping is configuration, not data).
pub const MAX_MAPPING_BYTES: u64 = 1024 * 1024;

/// A loaded, validated mapping.
#[derive(Clone, Debug)]
pub struct Mapping {
    file: MappingFile,
}

pub(crate) fn config_error(pointer: impl Into<String>, reason: impl Into<String>) -> Error {
    ErrorKind::Config {
        location: Location::JsonPointer {
            line: None,
            pointer: pointer.into(),
        },
        reason: reason.into(),
    }
    .into()
}

impl Mapping {
    /// Loads and validates a mapping file (JSON).
    pub fn from_json(bytes: &[u8]) -> Result<Mapping> {
        if bytes.len() as u64 > MAX_MAPPING_BYTES {
            return Err(Error::limit(
                crate::error::Limit::DocumentBytes,
                MAX_MAPPING_BYTES,
                Location::None,
            ));
        }
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let mut de = serde_json::Deserializer::from_slice(bytes);
        let file: MappingFile = serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let pointer = path_to_pointer(&e.path().to_string());
            config_error(pointer, describe_serde(e.inner()))
        })?;
        de.end().map_err(|e| config_error("", describe_serde(&e)))?;
        validate::validate(&file)?;
        Ok(Mapping { file })
    }

    /// Loads and validates a mapping file from disk.
    pub fn from_path(path: impl AsRef<Path>) -> Result<Mapping> {
        Mapping::from_reader(std::fs::File::open(path)?)
    }

    /// Loads and validates a mapping file from a stream (at most [`MAX_MAPPING_BYTES`], JSON tokens
    /// checked while it is read).
    pub fn from_reader(r: impl std::io::Read) -> Result<Mapping> {
        let rule = guarded::TokenRule::Json(crate::fhir::JsonLimits::default());
        Mapping::from_json(&guarded::read_document(r, MAX_MAPPING_BYTES, rule)?)
    }

    /// Who made this mapping and for what payload.
    pub fn adapter(&self) -> &AdapterIdentity {
        &self.file.adapter
    }

    /// Opens a reader over a payload.
    pub fn open_slice(&self, bytes: &[u8], opts: &ReadOptions) -> Result<Box<dyn RecordReader>> {
        let reader: Buffered = apply::read(&self.file, bytes, opts)?;
        Ok(Box::new(reader))
    }

    /// Reads a payload file into a [`Dataset`], refusing more than `Limits::max_document_bytes`.
    pub fn read_path(&self, path: impl AsRef<Path>, opts: &ReadOptions) -> Result<Dataset> {
        self.read_reader(std::fs::File::open(path)?, opts)
    }

    /// Reads a payload stream into a [`Dataset`]: at most `Limits::max_document_bytes`, with JSON strings
    /// and nesting (JSON payloads) or line lengths (CSV payloads) checked while it is read.
    pub fn read_reader(&self, r: impl std::io::Read, opts: &ReadOptions) -> Result<Dataset> {
        let limits = &opts.limits;
        let rule = match self.file.input {
            spec::InputSpec::Json => guarded::TokenRule::Json(limits.json),
            spec::InputSpec::Csv { .. } => guarded::TokenRule::Lines {
                max_line_bytes: limits.max_token_bytes,
            },
        };
        let bytes = guarded::read_document(r, limits.max_document_bytes, rule)?;
        self.read_slice(&bytes, opts)
    }

    /// Reads a whole payload into a [`Dataset`].
    pub fn read_slice(&self, bytes: &[u8], opts: &ReadOptions) -> Result<Dataset> {
        let mut r = self.open_slice(bytes, opts)?;
        Dataset::from_reader(r.as_mut())
    }
}

/// serde_path_to_error paths (`records[0].fields.x`) → JSON pointers (`/records/0/fields/x`).
fn path_to_pointer(path: &str) -> String {
    if path == "." || path.is_empty() {
        return String::new();
    }
    let mut out = String::new();
    for seg in path.split('.') {
        for part in seg.split('[') {
            let part = part.trim_end_matches(']');
            if part.is_empty() || part == "?" {
                continue;
            }
            out.push('/');
            out.push_str(&part.replace('~', "~0").replace('/', "~1"));
        }
    }
    out
}

fn describe_serde(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    match e.classify() {
        Category::Syntax => format!("malformed JSON at line {} column {}", e.line(), e.column()),
        Category::Eof => "unexpected end of JSON".to_owned(),
        Category::Io => "I/O error".to_owned(),
        // A mapping file is configuration, not personal data: serde's message (which names the unknown or
        // missing key and the expected type) is what the operator needs.
        Category::Data => e
            .to_string()
            .split(" at line")
            .next()
            .unwrap_or("invalid value")
            .to_owned(),
    }
}
