//! Exit codes (documented in README.md):
//! 0 success; 1 input problems found (validate) or items skipped under --strict; 2 usage or I/O error;
//! 3 invalid input (format error); 4 a limit was exceeded; 5 consent denied; 6 key or configuration error.

use phrkit::{Error, ErrorKind};

/// Everything converted.
pub const OK: i32 = 0;
/// `validate` found problems.
pub const PROBLEMS: i32 = 1;

/// The exit code for a library error.
pub fn for_error(e: &Error) -> i32 {
    match e.kind() {
        ErrorKind::Io(_) | ErrorKind::ApiMisuse(_) => 2,
        ErrorKind::Format { .. }
        | ErrorKind::InvalidRecord { .. }
        | ErrorKind::UnknownFormat(_) => 3,
        ErrorKind::LimitExceeded { .. } => 4,
        ErrorKind::ConsentDenied(_) => 5,
        ErrorKind::Key(_) | ErrorKind::Config { .. } => 6,
        _ => 2,
    }
}
