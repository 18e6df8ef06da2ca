//! `phrkit pseudonymise`: 仮名加工 (keyed pseudonyms) or 匿名加工 (anonymised, k-anonymous) FHIR output.
//!
//! The key comes from a file or an environment variable and is never printed; the change report records
//! the key id and counts per field and method, never values.

use std::path::{Path, PathBuf};

use phrkit::policy::pseudonymise::{
    anonymise, AnonymiseOptions, Profile, PseudonymKey, PseudonymiseOptions, Pseudonymiser, RuleSet,
};
use phrkit::write::export::LabelledWriter;
use phrkit::ErrorKind;

use super::convert::{output_stream, write_options};
use super::input::{options, Input};
use crate::args::{From, To};

/// Where the key comes from.
pub struct KeySource {
    /// A key file.
    pub file: Option<PathBuf>,
    /// An environment variable.
    pub env: Option<String>,
}

impl KeySource {
    fn load(&self) -> phrkit::Result<PseudonymKey> {
        match (&self.file, &self.env) {
            (Some(f), None) => PseudonymKey::from_file(f),
            (None, Some(v)) => PseudonymKey::from_env(v),
            _ => Err(ErrorKind::Key("give exactly one of --key-file or --key-env".into()).into()),
        }
    }
}

fn today() -> chrono::NaiveDate {
    chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now()).date_naive()
}

/// Runs pseudonymisation; returns the exit code.
#[allow(clippy::too_many_arguments)]
pub fn run(
    input: &Path,
    profile: &str,
    key: &KeySource,
    k: usize,
    to: To,
    output: Option<&Path>,
    report_path: Option<&Path>,
    from: Option<From>,
) -> phrkit::Result<i32> {
    let ropts = options(from, false);
    let input = Input::open(input);
    let mut reader = input.reader(&ropts)?;
    let wopts = write_options(to, false);
    let out = std::io::BufWriter::new(output_stream(output)?);
    let fields = PseudonymiseOptions::new(today());
    let report_json = if Profile::from_name(profile) == Some(Profile::Anonymised) {
        // Anonymisation needs the whole dataset (outlier coding, k-anonymity) and a throw-away key.
        let mut records = Vec::new();
        while let Some(r) = reader.next_record()? {
            records.push(r);
        }
        let mut aopts = AnonymiseOptions::new(fields);
        aopts.k = k;
        let (items, change) = anonymise(records, &aopts)?;
        phrkit::write::export::write_labelled(items, wopts, out)?;
        change.to_json()
    } else {
        let key = key.load()?;
        let mut p = match Profile::from_name(profile) {
            Some(prof) => Pseudonymiser::new(&key, prof, fields)?,
            None => {
                Pseudonymiser::with_rules(&key, RuleSet::from_path(Path::new(profile))?, fields)?
            }
        };
        drop(key);
        let mut w = LabelledWriter::new(out, wopts);
        while let Some(r) = reader.next_record()? {
            if let Some(l) = p.apply(r)? {
                w.write(&l)?;
            }
        }
        w.finish()?;
        p.report().to_json()
    };
    eprintln!(
        "phrkit: pseudonymised {} items with profile {profile}",
        reader.report().items_read
    );
    match report_path {
        Some(p) => std::fs::write(p, report_json)?,
        None => eprintln!("{report_json}"),
    }
    Ok(crate::exit_code::OK)
}
