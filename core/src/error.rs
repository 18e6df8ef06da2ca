//! Errors as data: what went wrong, where, and never with whose data.
//!
//! [`Error`] is a boxed [`ErrorKind`] so `Result<T, Error>` stays one pointer wide on hot paths. Every kind
//! that comes from input carries a [`Location`] (line/column, JSON pointer, CSV row, zip entry) and a typed
//! reason. Messages never contain values from the input: a location, a rule and a length are enough to find
//! the problem, and health data must not leak into logs.

use std::fmt;

use crate::record::RecordError;

/// Where in the input something happened.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Location {
    /// Nowhere in particular (whole input, or an API call).
    None,
    /// A byte offset.
    Byte(u64),
    /// A 1-based line and column.
    LineColumn {
        /// Line, from 1.
        line: u64,
        /// Column, from 1.
        column: u64,
    },
    /// A JSON pointer (RFC 6901), optionally on a line of NDJSON.
    JsonPointer {
        /// NDJSON line (1-based), if the input is NDJSON.
        line: Option<u64>,
        /// The pointer, e.g. `/entry/3/resource/valueQuantity`.
        pointer: String,
    },
    /// A CSV row (1-based, header is row 1) and optional field name.
    CsvRow {
        /// Row number.
        row: u64,
        /// Field (column header), if known.
        field: Option<String>,
    },
    /// An element path in XML (`/HealthData/Record[12]`), with its line when known.
    XmlPath {
        /// The path.
        path: String,
        /// Line, if known.
        line: Option<u64>,
    },
    /// Inside a zip entry.
    ZipEntry {
        /// Entry name.
        entry: String,
        /// Location inside the entry.
        inner: Box<Location>,
    },
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::None => f.write_str("(input)"),
            Location::Byte(b) => write!(f, "byte {b}"),
            Location::LineColumn { line, column } => write!(f, "{line}:{column}"),
            Location::JsonPointer {
                line: Some(l),
                pointer,
            } => write!(f, "line {l}#{pointer}"),
            Location::JsonPointer {
                line: None,
                pointer,
            } => write!(f, "#{pointer}"),
            Location::CsvRow {
                row,
                field: Some(field),
            } => write!(f, "row {row}, field {field}"),
            Location::CsvRow { row, field: None } => write!(f, "row {row}"),
            Location::XmlPath {
                path,
                line: Some(l),
            } => write!(f, "{path} (line {l})"),
            Location::XmlPath { path, line: None } => f.write_str(path),
            Location::ZipEntry { entry, inner } => write!(f, "{entry}!{inner}"),
        }
    }
}

/// A limit phrkit enforces on input (see `docs/robustness.md`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Limit {
    /// Nesting depth of JSON or XML.
    Depth,
    /// Bytes of one JSON document, NDJSON line or XML token.
    DocumentBytes,
    /// Bytes of one string value.
    StringBytes,
    /// Total decompressed bytes of an archive.
    ArchiveBytes,
    /// Compression ratio of an archive entry.
    CompressionRatio,
    /// Number of entries in an archive.
    ArchiveEntries,
    /// Number of items (entries, records) in one document.
    Items,
    /// Bytes of one token read from a stream before it is complete: an XML tag, text run or comment, a
    /// CSV line. Checked while reading, so a hostile single token is refused before it is held in memory.
    TokenBytes,
}

/// The error type of phrkit.
pub struct Error(Box<ErrorKind>);

/// What went wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Reading or writing failed at the OS level.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// The input is not valid in its format (stream-fatal).
    #[error("{format} at {location}: {reason}")]
    Format {
        /// The format being read (`FHIR JSON`, `Apple Health XML`, …).
        format: &'static str,
        /// Where.
        location: Location,
        /// Why, without values from the input.
        reason: String,
    },
    /// An input limit was exceeded.
    #[error("limit exceeded at {location}: {limit:?} (maximum {max})")]
    LimitExceeded {
        /// Which limit.
        limit: Limit,
        /// The maximum in force.
        max: u64,
        /// Where.
        location: Location,
    },
    /// A record broke an invariant.
    #[error("invalid record at {location}: {reason}")]
    InvalidRecord {
        /// Where.
        location: Location,
        /// Which rule.
        reason: RecordError,
    },
    /// The input's format could not be recognised.
    #[error("unrecognised input format: {0}")]
    UnknownFormat(String),
    /// Export refused: no consent permits it.
    #[error("consent denied: {0}")]
    ConsentDenied(String),
    /// A key problem (too short, unreadable). Never carries key material.
    #[error("key error: {0}")]
    Key(String),
    /// A configuration file (mapping, rules, consent) is invalid.
    #[error("configuration error at {location}: {reason}")]
    Config {
        /// Where in the configuration.
        location: Location,
        /// Why.
        reason: String,
    },
    /// The API was used in a way it does not allow.
    #[error("API misuse: {0}")]
    ApiMisuse(String),
}

impl ErrorKind {
    /// A stable machine code for the kind, shared by the CLI and every binding (`format`,
    /// `limit-exceeded`, `invalid-record`, …).
    pub fn code(&self) -> &'static str {
        match self {
            ErrorKind::Io(_) => "io",
            ErrorKind::Format { .. } => "format",
            ErrorKind::LimitExceeded { .. } => "limit-exceeded",
            ErrorKind::InvalidRecord { .. } => "invalid-record",
            ErrorKind::UnknownFormat(_) => "unknown-format",
            ErrorKind::ConsentDenied(_) => "consent-denied",
            ErrorKind::Key(_) => "key",
            ErrorKind::Config { .. } => "config",
            ErrorKind::ApiMisuse(_) => "api-misuse",
        }
    }
}

impl Error {
    /// The kind of error.
    pub fn kind(&self) -> &ErrorKind {
        &self.0
    }

    /// Consumes the error, returning its kind.
    pub fn into_kind(self) -> ErrorKind {
        *self.0
    }

    /// Where in the input the error happened, if it came from input.
    pub fn location(&self) -> Option<&Location> {
        match &*self.0 {
            ErrorKind::Format { location, .. }
            | ErrorKind::LimitExceeded { location, .. }
            | ErrorKind::InvalidRecord { location, .. }
            | ErrorKind::Config { location, .. } => Some(location),
            _ => None,
        }
    }

    /// True for OS-level I/O errors.
    pub fn is_io(&self) -> bool {
        matches!(&*self.0, ErrorKind::Io(_))
    }

    /// A format error.
    pub fn format(format: &'static str, location: Location, reason: impl Into<String>) -> Error {
        ErrorKind::Format {
            format,
            location,
            reason: reason.into(),
        }
        .into()
    }

    /// A limit error.
    pub fn limit(limit: Limit, max: u64, location: Location) -> Error {
        ErrorKind::LimitExceeded {
            limit,
            max,
            location,
        }
        .into()
    }

    /// An invalid-record error.
    pub fn invalid_record(location: Location, reason: RecordError) -> Error {
        ErrorKind::InvalidRecord { location, reason }.into()
    }

    /// Wraps the location of this error inside a zip entry.
    pub fn in_zip_entry(self, entry: &str) -> Error {
        let mut kind = self.into_kind();
        match &mut kind {
            ErrorKind::Format { location, .. }
            | ErrorKind::LimitExceeded { location, .. }
            | ErrorKind::InvalidRecord { location, .. } => {
                let inner = std::mem::replace(location, Location::None);
                *location = Location::ZipEntry {
                    entry: entry.to_owned(),
                    inner: Box::new(inner),
                };
            }
            _ => {}
        }
        kind.into()
    }
}

impl From<ErrorKind> for Error {
    fn from(kind: ErrorKind) -> Error {
        Error(Box::new(kind))
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Error {
        ErrorKind::Io(e).into()
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(&*self.0)
    }
}

/// `Result` with phrkit's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
