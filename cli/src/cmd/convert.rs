//! `phrkit convert`: stream records from the input into a FHIR writer.

use std::io::Write;
use std::path::Path;

use phrkit::fhir::CodeSystemStyle;
use phrkit::write::{FhirWriter, OutputFormat, WriteOptions};

use super::input::{options, Input};
use crate::args::{From, To};

/// Runs the conversion; returns the exit code.
pub fn run(
    input: &Path,
    to: To,
    output: Option<&Path>,
    from: Option<From>,
    strict: bool,
    oid: bool,
    print_report: bool,
) -> phrkit::Result<i32> {
    let opts = options(from, strict);
    let input = Input::open(input, &opts)?;
    let mut reader = input.reader(&opts)?;
    let out: Box<dyn Write> = match output {
        Some(p) if p.as_os_str() != "-" => Box::new(std::fs::File::create(p)?),
        _ => Box::new(std::io::stdout().lock()),
    };
    let format = match to {
        To::FhirNdjson => OutputFormat::Ndjson,
        To::FhirJson => OutputFormat::BundleCollection,
        To::FhirTransaction => OutputFormat::BundleTransaction,
    };
    let mut wopts = WriteOptions::new(format);
    if oid {
        wopts.code_systems = CodeSystemStyle::Oid;
    }
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
    if print_report {
        eprintln!(
            "{}",
            serde_json::to_string_pretty(report).unwrap_or_default()
        );
    }
    Ok(crate::exit_code::OK)
}
