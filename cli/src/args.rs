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
        #[arg(long, value_parser = parse_format)]
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
        /// Duplicates from several sources for the same time: `keep-all` counts them and keeps every
        /// record, `source-priority` keeps the highest-ranked source (see --source-priority), `hc-priority`
        /// follows the app priority stored in a Health Connect export, `max-per-bucket` keeps per time
        /// bucket the source with the largest total of steps, distance, energy or flights. Reads the input
        /// twice.
        #[arg(long, value_enum)]
        dedup: Option<Dedup>,
        /// Source priority, highest first, comma-separated (`"Apple Watch,iPhone"`): a pattern matches a
        /// source whose name contains it or whose device name or model equals it. Implies
        /// `--dedup source-priority`.
        #[arg(long, value_name = "LIST", required_if_eq("dedup", "source-priority"))]
        source_priority: Option<String>,
        /// Bucket width in minutes for `--dedup max-per-bucket`.
        #[arg(long, value_name = "MINUTES", default_value_t = 60, value_parser = clap::value_parser!(u32).range(1..))]
        bucket_minutes: u32,
        /// Consent checks for exports to a third party.
        #[command(flatten)]
        consent: ConsentArgs,
    },
    /// Pseudonymise (仮名加工) or anonymise (匿名加工) an input and write FHIR.
    Pseudonymise {
        /// Input file, or `-` for stdin.
        input: PathBuf,
        /// `pseudonymised`, `anonymised`, or a rules file (TOML or JSON).
        #[arg(long, default_value = "pseudonymised")]
        profile: String,
        /// File holding the pseudonym key (at least 32 bytes; never written anywhere).
        #[arg(long, value_name = "KEY")]
        key_file: Option<PathBuf>,
        /// Environment variable holding the key instead of a file.
        #[arg(long, value_name = "VAR")]
        key_env: Option<String>,
        /// k for the anonymised profile's k-anonymity check.
        #[arg(long, default_value_t = 5)]
        k: usize,
        /// Output format.
        #[arg(long, value_enum, default_value_t = To::FhirNdjson)]
        to: To,
        /// Output file (`-` or absent: stdout).
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Write the change report (JSON; no identifier values) here.
        #[arg(long, value_name = "REPORT.json")]
        report: Option<PathBuf>,
        /// Input format (detected when absent).
        #[arg(long, value_parser = parse_format)]
        from: Option<From>,
    },
    /// Consent tools.
    Consent {
        /// What to do.
        #[command(subcommand)]
        command: ConsentCommand,
    },
    /// Summarise an input: counts per type, time range, sources, problems.
    Inspect {
        /// Input file, or `-` for stdin.
        input: PathBuf,
        /// Input format (detected when absent).
        #[arg(long, value_parser = parse_format)]
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
        #[arg(long, value_parser = parse_format)]
        from: Option<From>,
    },
}

/// `phrkit consent …` subcommands.
#[derive(Subcommand, Debug)]
pub enum ConsentCommand {
    /// Validate a FHIR Consent and, given an input, show what it would permit for a recipient and purpose.
    Check {
        /// The FHIR Consent (JSON).
        consent: PathBuf,
        /// An input whose records are checked (optional).
        input: Option<PathBuf>,
        /// Who would receive the data.
        #[arg(long)]
        recipient: String,
        /// Purpose of use as `SYSTEM|CODE`.
        #[arg(long)]
        purpose: String,
        /// When (RFC 3339); default now.
        #[arg(long)]
        at: Option<String>,
    },
}

/// Deduplication strategies (`--dedup`).
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dedup {
    /// Count duplicates per type, keep every record.
    KeepAll,
    /// Keep the record of the highest-ranked source of `--source-priority` where sources overlap.
    SourcePriority,
    /// Keep the record of the app Health Connect ranks highest for the data category.
    HcPriority,
    /// Per time bucket, keep the source with the largest total of a cumulative kind.
    MaxPerBucket,
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

/// An input format forced by name (`--from apple-health-zip`); every name of `phrkit::Format::ALL`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct From(pub phrkit::Format);

impl From {
    /// The library format.
    pub fn format(self) -> phrkit::Format {
        self.0
    }
}

/// Parses a format name for clap, listing the valid names on error.
pub fn parse_format(s: &str) -> Result<From, String> {
    phrkit::Format::from_name(s).map(From).ok_or_else(|| {
        let names: Vec<&str> = phrkit::Format::ALL.iter().map(|f| f.name()).collect();
        format!("unknown format; one of: {}", names.join(", "))
    })
}

/// Consent flags shared by `convert` and `pseudonymise`: export to a third party under recorded consent.
#[derive(clap::Args, Debug, Default)]
pub struct ConsentArgs {
    /// FHIR Consent resource(s) (JSON) recorded for the person; repeat for several.
    #[arg(long = "consent", value_name = "CONSENT.json")]
    pub consents: Vec<PathBuf>,
    /// Who receives the output (`Organization/research-partner`); required with --consent.
    #[arg(long)]
    pub recipient: Option<String>,
    /// Purpose of use as `SYSTEM|CODE` (e.g. `http://terminology.hl7.org/CodeSystem/v3-ActReason|HRESCH`).
    #[arg(long)]
    pub purpose: Option<String>,
    /// When the export happens (RFC 3339); default now.
    #[arg(long)]
    pub at: Option<String>,
    /// Skip consent for data that stays with the person or their own device. Never for third parties.
    #[arg(long)]
    pub danger_local_no_consent: bool,
    /// Write the export's FHIR AuditEvent (JSON) here.
    #[arg(long, value_name = "AUDIT.json")]
    pub audit: Option<PathBuf>,
}

impl ConsentArgs {
    /// Whether any consent flag was given (the export is then checked).
    pub fn is_set(&self) -> bool {
        !self.consents.is_empty()
            || self.recipient.is_some()
            || self.purpose.is_some()
            || self.danger_local_no_consent
    }
}
