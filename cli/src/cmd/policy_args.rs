//! Turning consent flags into the library's export context.

use std::path::Path;

use phrkit::policy::consent::{ConsentSet, Recipient};
use phrkit::policy::enforce::{ConsentMode, ExportContext};
use phrkit::record::{Coding, Timestamp};
use phrkit::{Error, ErrorKind, Location};

use crate::args::ConsentArgs;

fn config_error(reason: impl Into<String>) -> Error {
    ErrorKind::Config {
        location: Location::None,
        reason: reason.into(),
    }
    .into()
}

/// `SYSTEM|CODE` → a coding.
pub fn purpose(s: &str) -> phrkit::Result<Coding> {
    match s.rsplit_once('|') {
        Some((system, code)) if !system.is_empty() && !code.is_empty() => {
            Ok(Coding::new(system, code))
        }
        _ => Err(config_error("--purpose must be SYSTEM|CODE")),
    }
}

/// `--at` or now.
pub fn at(s: Option<&str>) -> phrkit::Result<Timestamp> {
    match s {
        Some(s) => chrono::DateTime::parse_from_rfc3339(s)
            .map_err(|_| config_error("--at must be an RFC 3339 date-time")),
        None => {
            Ok(chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now()).fixed_offset())
        }
    }
}

/// Reads one FHIR Consent file (bounded, JSON tokens checked while read).
pub fn load_consent(path: &Path) -> phrkit::Result<phrkit::policy::consent::ConsentPolicy> {
    phrkit::fhir::consent::read_consent(std::fs::File::open(path)?)
}

/// The export context from the flags.
pub fn context(args: &ConsentArgs) -> phrkit::Result<ExportContext> {
    let consents = args
        .consents
        .iter()
        .map(|p| load_consent(p))
        .collect::<phrkit::Result<Vec<_>>>()?;
    let recipient = match (&args.recipient, args.danger_local_no_consent) {
        (Some(r), _) => Recipient::to(r),
        (None, true) => Recipient::to("Patient/self"),
        (None, false) => {
            return Err(config_error(
                "--recipient is required for a consented export",
            ))
        }
    };
    let purpose = match (&args.purpose, args.danger_local_no_consent) {
        (Some(p), _) => purpose(p)?,
        (None, true) => Coding::new(
            "http://terminology.hl7.org/CodeSystem/v3-ActReason",
            "PATRQT",
        ),
        (None, false) => return Err(config_error("--purpose is required for a consented export")),
    };
    let mut ctx = ExportContext::new(
        ConsentSet::new(consents),
        recipient,
        purpose,
        at(args.at.as_deref())?,
    );
    if args.danger_local_no_consent {
        ctx.mode = ConsentMode::DangerLocalNoConsent;
    }
    Ok(ctx)
}
