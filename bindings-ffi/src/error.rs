//! The one error type of the binding, and the guard that turns a Rust panic into it.
//!
//! Shape (bdk-ffi's error ADR): one flat enum, one variant per kind of failure, no nested error types, and
//! the same three fields on every variant so a caller can log `code` and `location` without matching:
//!
//! * `code` — a stable machine code (`depth`, `negative`, `not-found`, `panic` …) to branch on;
//! * `location` — where in the input (`line 3#/valueQuantity`, `row 7`), empty when not about input;
//! * `reason` — words for a developer. Like phrkit's own messages it never holds values from the input.
//!
//! Kotlin sees `PhrkitException.Format`, `PhrkitException.InvalidRecord` …; Swift sees `PhrkitError.format`.
//! A field cannot be called `message` (it would clash with `Throwable.message` in Kotlin), hence `reason`.

use std::panic::{catch_unwind, AssertUnwindSafe};

use phrkit::record::RecordError;
use phrkit::{ErrorKind, Limit};

/// Every failure a phrkit call can report to Kotlin or Swift.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum PhrkitError {
    /// Reading a file failed at the OS level (`code` is the I/O error kind: `not-found`, …).
    #[error("I/O error ({code}): {reason}")]
    Io {
        /// Stable code.
        code: String,
        /// Always empty for I/O errors.
        location: String,
        /// Explanation.
        reason: String,
    },
    /// The input is not valid in its format (`code` names the format).
    #[error("format error ({code}) at {location}: {reason}")]
    Format {
        /// Stable code.
        code: String,
        /// Where in the input.
        location: String,
        /// Explanation.
        reason: String,
    },
    /// An input limit was exceeded (`code` names the limit: `depth`, `document-bytes` …).
    #[error("limit exceeded ({code}) at {location}: {reason}")]
    LimitExceeded {
        /// Stable code.
        code: String,
        /// Where in the input.
        location: String,
        /// Explanation, with the maximum in force.
        reason: String,
    },
    /// A record broke an invariant (`code` names the rule: `negative`, `not-whole`, `end-before-start` …).
    #[error("invalid record ({code}) at {location}: {reason}")]
    InvalidRecord {
        /// Stable code.
        code: String,
        /// Where in the input.
        location: String,
        /// Explanation.
        reason: String,
    },
    /// The input's format was not recognised.
    #[error("unknown format ({code}): {reason}")]
    UnknownFormat {
        /// Stable code.
        code: String,
        /// Always empty.
        location: String,
        /// Explanation.
        reason: String,
    },
    /// Export refused by consent.
    #[error("consent denied ({code}): {reason}")]
    ConsentDenied {
        /// Stable code.
        code: String,
        /// Always empty.
        location: String,
        /// Explanation.
        reason: String,
    },
    /// A key problem (never carries key material).
    #[error("key error ({code}): {reason}")]
    Key {
        /// Stable code.
        code: String,
        /// Always empty.
        location: String,
        /// Explanation.
        reason: String,
    },
    /// A configuration (mapping, rules, consent) is invalid.
    #[error("configuration error ({code}) at {location}: {reason}")]
    Config {
        /// Stable code.
        code: String,
        /// Where in the configuration.
        location: String,
        /// Explanation.
        reason: String,
    },
    /// The API was called with arguments it does not accept (unknown format name, unknown kind …).
    #[error("API misuse ({code}): {reason}")]
    ApiMisuse {
        /// Stable code.
        code: String,
        /// Where, when the misuse is about one item of a list (`#/3`).
        location: String,
        /// Explanation.
        reason: String,
    },
    /// A bug inside phrkit (a Rust panic), caught before it could unwind into Kotlin or Swift.
    #[error("internal error ({code}): {reason}")]
    Internal {
        /// `panic`.
        code: String,
        /// Always empty.
        location: String,
        /// Explanation; a panic message is kept only when it is a fixed string from the code.
        reason: String,
    },
}

/// Result of every exported function.
pub type FfiResult<T> = Result<T, PhrkitError>;

impl PhrkitError {
    /// An `ApiMisuse` error.
    pub(crate) fn misuse(code: &str, location: String, reason: impl Into<String>) -> PhrkitError {
        PhrkitError::ApiMisuse {
            code: code.to_owned(),
            location,
            reason: reason.into(),
        }
    }

    /// An `InvalidRecord` error from a core record rule.
    pub(crate) fn record(location: String, e: &RecordError) -> PhrkitError {
        PhrkitError::InvalidRecord {
            code: record_error_code(e).to_owned(),
            location,
            reason: e.to_string(),
        }
    }
}

impl From<phrkit::Error> for PhrkitError {
    fn from(e: phrkit::Error) -> PhrkitError {
        let location = e.location().map(ToString::to_string).unwrap_or_default();
        let reason = e.to_string();
        // The core's stable code of the kind, for the variants that have no finer code of their own.
        let code = e.kind().code().to_owned();
        match e.into_kind() {
            ErrorKind::Io(io) => PhrkitError::Io {
                code: kebab(&format!("{:?}", io.kind())),
                location,
                reason,
            },
            ErrorKind::Format { format, .. } => PhrkitError::Format {
                code: kebab(format),
                location,
                reason,
            },
            ErrorKind::LimitExceeded { limit, .. } => PhrkitError::LimitExceeded {
                code: limit_code(limit).to_owned(),
                location,
                reason,
            },
            ErrorKind::InvalidRecord { reason: rule, .. } => PhrkitError::InvalidRecord {
                code: record_error_code(&rule).to_owned(),
                location,
                reason,
            },
            ErrorKind::UnknownFormat(_) => PhrkitError::UnknownFormat {
                code,
                location,
                reason,
            },
            ErrorKind::ConsentDenied(_) => PhrkitError::ConsentDenied {
                code,
                location,
                reason,
            },
            ErrorKind::Key(_) => PhrkitError::Key {
                code,
                location,
                reason,
            },
            ErrorKind::Config { .. } => PhrkitError::Config {
                code,
                location,
                reason,
            },
            ErrorKind::ApiMisuse(_) => PhrkitError::ApiMisuse {
                code,
                location,
                reason,
            },
            // ErrorKind is #[non_exhaustive]: a kind added to the core later still crosses the FFI, as the
            // closest generic variant, until the binding gives it its own.
            _ => PhrkitError::Internal {
                code: "unmapped-error-kind".into(),
                location,
                reason,
            },
        }
    }
}

/// `NotFound` → `not-found`, `FHIR JSON` → `fhir-json`.
fn kebab(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 4);
    let mut prev_lower = false;
    for c in s.chars() {
        if c.is_ascii_uppercase() && prev_lower {
            out.push('-');
        }
        if c == ' ' || c == '_' {
            out.push('-');
            prev_lower = false;
            continue;
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        out.push(c.to_ascii_lowercase());
    }
    out
}

fn limit_code(limit: Limit) -> &'static str {
    match limit {
        Limit::Depth => "depth",
        Limit::DocumentBytes => "document-bytes",
        Limit::StringBytes => "string-bytes",
        Limit::ArchiveBytes => "archive-bytes",
        Limit::CompressionRatio => "compression-ratio",
        Limit::ArchiveEntries => "archive-entries",
        Limit::Items => "items",
        Limit::TokenBytes => "token-bytes",
        _ => "other-limit",
    }
}

/// The stable code of a record rule (also used as the skip reason of a sample).
pub(crate) fn record_error_code(e: &RecordError) -> &'static str {
    match e {
        RecordError::EndBeforeStart => "end-before-start",
        RecordError::SystolicBelowDiastolic => "systolic-below-diastolic",
        RecordError::Negative { .. } => "negative",
        RecordError::NotWhole { .. } => "not-whole",
        RecordError::AboveMaximum { .. } => "above-maximum",
        RecordError::UnknownUnit { .. } => "unknown-unit",
        RecordError::WrongShape { .. } => "wrong-shape",
        RecordError::SleepStageOutsideSession => "sleep-stage-outside-session",
        RecordError::MalformedIdentifier { .. } => "malformed-identifier",
        RecordError::Empty { .. } => "empty",
        _ => "invalid-record",
    }
}

/// Runs one exported call, turning a panic into [`PhrkitError::Internal`].
///
/// uniffi would also catch the panic, but as an untyped internal exception; catching it here makes it one
/// more case of the error every function already declares. Only a `&'static str` payload (a literal in the
/// code) is kept: a formatted panic message could contain values from the input.
pub(crate) fn guard<T>(f: impl FnOnce() -> FfiResult<T>) -> FfiResult<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(payload) => {
            let detail = payload.downcast_ref::<&'static str>().copied();
            Err(PhrkitError::Internal {
                code: "panic".into(),
                location: String::new(),
                reason: match detail {
                    Some(d) => format!("a bug in phrkit (Rust panic: {d}); please report it"),
                    None => "a bug in phrkit (Rust panic); please report it".into(),
                },
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use phrkit::Location;

    #[test]
    fn kebab_cases_io_kinds_and_format_names() {
        assert_eq!(kebab("NotFound"), "not-found");
        assert_eq!(kebab("FHIR JSON"), "fhir-json");
        assert_eq!(kebab("Apple Health XML"), "apple-health-xml");
    }

    #[test]
    fn every_core_kind_maps_to_its_variant_with_code_and_location() {
        let loc = Location::CsvRow {
            row: 7,
            field: None,
        };
        let e: PhrkitError =
            phrkit::Error::format("FHIR JSON", loc.clone(), "not an object").into();
        assert_eq!(
            e,
            PhrkitError::Format {
                code: "fhir-json".into(),
                location: "row 7".into(),
                reason: "FHIR JSON at row 7: not an object".into()
            }
        );
        let e: PhrkitError = phrkit::Error::limit(Limit::Depth, 32, loc.clone()).into();
        assert!(
            matches!(e, PhrkitError::LimitExceeded { ref code, ref location, .. }
            if code == "depth" && location == "row 7")
        );
        let e: PhrkitError =
            phrkit::Error::invalid_record(loc, RecordError::SystolicBelowDiastolic).into();
        assert!(matches!(e, PhrkitError::InvalidRecord { ref code, .. }
            if code == "systolic-below-diastolic"));
        let kinds = [
            (
                ErrorKind::ConsentDenied("no consent".into()),
                "consent-denied",
            ),
            (ErrorKind::Key("short".into()), "key"),
            (
                ErrorKind::Config {
                    location: Location::None,
                    reason: "bad".into(),
                },
                "config",
            ),
            (ErrorKind::ApiMisuse("x".into()), "api-misuse"),
            (ErrorKind::UnknownFormat("x".into()), "unknown-format"),
        ];
        for (kind, code) in kinds {
            let e: PhrkitError = phrkit::Error::from(kind).into();
            let got = match &e {
                PhrkitError::ConsentDenied { code, .. }
                | PhrkitError::Key { code, .. }
                | PhrkitError::Config { code, .. }
                | PhrkitError::ApiMisuse { code, .. }
                | PhrkitError::UnknownFormat { code, .. } => code.clone(),
                other => panic!("unexpected {other:?}"),
            };
            assert_eq!(got, code);
        }
        let io = std::io::Error::from(std::io::ErrorKind::NotFound);
        let e: PhrkitError = phrkit::Error::from(io).into();
        assert!(matches!(e, PhrkitError::Io { ref code, .. } if code == "not-found"));
    }

    #[test]
    fn guard_turns_a_panic_into_internal_and_drops_formatted_messages() {
        let e = guard::<()>(|| panic!("fixed text")).unwrap_err();
        assert!(
            matches!(e, PhrkitError::Internal { ref code, ref reason, .. }
            if code == "panic" && reason.contains("fixed text"))
        );
        let secret = 12345;
        let e = guard::<()>(|| panic!("value {secret}")).unwrap_err();
        assert!(matches!(e, PhrkitError::Internal { ref reason, .. } if !reason.contains("12345")));
        assert_eq!(guard(|| Ok(3)), Ok(3));
    }
}
