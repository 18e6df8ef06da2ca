//! `phrkit consent check`: validate a FHIR Consent; with an input, show what it permits and denies.

use std::path::Path;

use phrkit::policy::consent::{ConsentSet, Recipient};
use phrkit::policy::enforce::{ConsentFilter, ExportContext};

use super::input::{options, Input};
use super::policy_args::{at, load_consent, purpose};

/// Runs the check; returns the exit code (0 valid; with input, 0 when anything is permitted, 1 when all
/// is denied).
pub fn check(
    consent: &Path,
    input: Option<&Path>,
    recipient: &str,
    purpose_s: &str,
    at_s: Option<&str>,
) -> phrkit::Result<i32> {
    let policy = load_consent(consent)?;
    println!(
        "consent: valid ({} top-level provision rules)",
        policy.provision.as_ref().map_or(0, |p| p.provision.len())
    );
    let Some(input) = input else {
        return Ok(crate::exit_code::OK);
    };
    let ctx = ExportContext::new(
        ConsentSet::new(vec![policy]),
        Recipient::to(recipient),
        purpose(purpose_s)?,
        at(at_s)?,
    );
    let ropts = options(None, false);
    let input = Input::open(input);
    let mut reader = input.reader(&ropts)?;
    let mut filter = ConsentFilter::new(&ctx)?;
    while let Some(r) = reader.next_record()? {
        filter.admit(&r);
    }
    let (_, tally) = filter.finish();
    for (t, n) in &tally.permitted {
        println!("permitted: {n} × {t}");
    }
    for (rule, n) in &tally.denied {
        println!("denied: {n} × {rule}");
    }
    Ok(if tally.permitted.values().sum::<u64>() > 0 {
        crate::exit_code::OK
    } else {
        crate::exit_code::PROBLEMS
    })
}
