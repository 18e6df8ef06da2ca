//! `phrkit convert`: stream records from the input into a FHIR writer.

use std::io::Write;
use std::path::Path;

use phrkit::fhir::CodeSystemStyle;
use phrkit::write::{FhirWriter, OutputFormat, WriteOptions};

use super::input::{options, Input};
use crate::args::{ConsentArgs, From, To};

/// What `convert` was asked to do.
pub struct Options {
    /// Output format.
    pub to: To,
    /// Forced input format.
    pub from: Option<From>,
    /// Stop at the first invalid item.
    pub strict: bool,
    /// JP Core 1.1.2 OID code systems.
    pub oid: bool,
    /// Print the read report as JSON.
    pub print_report: bool,
    /// The deduplication stage, if asked for.
    pub dedup: Option<super::dedup_args::DedupChoice>,
}

/// The output stream: a file, or stdout for `-` / absent.
pub fn output_stream(output: Option<&Path>) -> phrkit::Result<Box<dyn Write>> {
    Ok(match output {
        Some(p) if p.as_os_str() != "-" => Box::new(std::fs::File::create(p)?),
        _ => Box::new(std::io::stdout().lock()),
    })
}

/// Writer options for an output format.
pub fn write_options(to: To, oid: bool) -> WriteOptions {
    let format = match to {
        To::FhirNdjson => OutputFormat::Ndjson,
        To::FhirJson => OutputFormat::BundleCollection,
        To::FhirTransaction => OutputFormat::BundleTransaction,
    };
    let mut wopts = WriteOptions::new(format);
    if oid {
        wopts.code_systems = CodeSystemStyle::Oid;
    }
    wopts
}

/// Runs the conversion; returns the exit code.
pub fn run(
    input: &Path,
    output: Option<&Path>,
    o: &Options,
    consent: &ConsentArgs,
) -> phrkit::Result<i32> {
    let opts = options(o.from, o.strict);
    let mut input = Input::open(input);
    if o.dedup.is_some() {
        // Deduplication reads twice (an index, then the records): stdin is held in memory for it.
        input = input.rereadable(&opts)?;
    }
    let mut reader = super::dedup_args::reader(&input, &opts, o.dedup.as_ref())?;
    let out = output_stream(output)?;
    let wopts = write_options(o.to, o.oid);
    if consent.is_set() {
        return run_consented(reader.as_mut(), out, wopts, consent);
    }
    let print_report = o.print_report;
    let mut writer = FhirWriter::new(std::io::BufWriter::with_capacity(256 * 1024, out), wopts);
    let bar = crate::progress::records_bar();
    while let Some(record) = reader.next_record()? {
        writer.write(&record)?;
        bar.inc(1);
    }
    bar.finish_and_clear();
    let (written, _) = writer.finish()?;
    let report = reader.report();
    eprintln!(
        "phrkit: read {} items ({}), converted {}, skipped {}; wrote {} resources",
        report.items_read,
        reader.format().name(),
        report.converted,
        report.skipped_total(),
        written.converted
    );
    for (reason, n) in &report.skipped {
        eprintln!("phrkit:   skipped {n} × {reason}");
    }
    for (kind, n) in &report.duplicates {
        eprintln!("phrkit:   duplicates from several sources: {n} × {kind}");
    }
    if print_report {
        eprintln!(
            "{}",
            serde_json::to_string_pretty(report).unwrap_or_default()
        );
    }
    Ok(crate::exit_code::OK)
}

/// A conversion checked against recorded consent: denied records are left out and counted, the output
/// carries the Consent and a Provenance, and the AuditEvent goes to `--audit`.
fn run_consented(
    reader: &mut dyn phrkit::read::RecordReader,
    out: Box<dyn Write>,
    wopts: WriteOptions,
    consent: &ConsentArgs,
) -> phrkit::Result<i32> {
    let ctx = super::policy_args::context(consent)?;
    let mut writer =
        phrkit::write::export::ConsentedWriter::new(std::io::BufWriter::new(out), wopts, &ctx)?;
    while let Some(record) = reader.next_record()? {
        writer.write(&record)?;
    }
    let (summary, _) = writer.finish()?;
    let permitted: u64 = summary.tally.permitted.values().sum();
    let denied: u64 = summary.tally.denied.values().sum();
    eprintln!(
        "phrkit: read {} items; consent permitted {permitted}, denied {denied}",
        reader.report().items_read
    );
    for (rule, n) in &summary.tally.denied {
        eprintln!("phrkit:   denied {n} × {rule}");
    }
    if let Some(path) = &consent.audit {
        std::fs::write(
            path,
            serde_json::to_vec_pretty(&summary.audit_event).unwrap_or_default(),
        )?;
    }
    Ok(crate::exit_code::OK)
}
