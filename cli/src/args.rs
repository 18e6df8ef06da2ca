//! Command-line arguments: what was typed, before any validation of meaning.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// Personal health records ↔ HL7 FHIR R4 (JP Core), with consent and pseudonymisation.
#[derive(Parser, Debug)]
#[command(name = "phrkit", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Convert an input file to FHIR (`-` reads stdin).
    Convert {
        /// Input file, or `-` for stdin.
        input: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = To::FhirNdjson)]
        to: To,
        /// Output file (`-` or absent: stdout).
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Input format (detected when absent).
        #[arg(long, value_enum)]
        from: Option<From>,
        /// Stop at the first invalid item instead of counting it as skipped.
        #[arg(long)]
        strict: bool,
        /// Emit JP Core 1.1.2 OID code-system URIs instead of the http forms.
        #[arg(long)]
        oid_code_systems: bool,
        /// Print the conversion report as JSON on stderr.
        #[arg(long)]
        report: bool,
    },
    /// Summarise an input: counts per type, time range, sources, problems.
    Inspect {
        /// Input file, or `-` for stdin.
        input: PathBuf,
        /// Input format (detected when absent).
        #[arg(long, value_enum)]
        from: Option<From>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Check an input strictly: exit 0 when every item converts, 1 otherwise, listing each problem.
    Validate {
        /// Input file, or `-` for stdin.
        input: PathBuf,
        /// Input format (detected when absent).
        #[arg(long, value_enum)]
        from: Option<From>,
    },
}

/// Output formats (the variant names are the CLI spellings: `fhir-ndjson` …).
#[allow(clippy::enum_variant_names)]
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum To {
    /// FHIR NDJSON, one resource per line.
    FhirNdjson,
    /// A FHIR `collection` Bundle.
    FhirJson,
    /// A FHIR `transaction` Bundle with conditional creates.
    FhirTransaction,
}

/// Input formats that can be forced.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum From {
    /// A FHIR JSON document (Bundle or resource).
    FhirJson,
    /// FHIR NDJSON.
    FhirNdjson,
}

impl From {
    /// The library format.
    pub fn format(self) -> phrkit::Format {
        match self {
            From::FhirJson => phrkit::Format::FhirJson,
            From::FhirNdjson => phrkit::Format::FhirNdjson,
        }
    }
}
