//! `--dedup` / `--source-priority`: the deduplication stage between the reader and the writer.

use phrkit::policy::dedup::{self, DedupStrategy};
use phrkit::read::{Format, ReadOptions, RecordReader};
use phrkit::ErrorKind;

use super::input::Input;
use crate::args::Dedup;

/// The stage asked for on the command line.
pub enum DedupChoice {
    /// `keep-all`.
    KeepAll,
    /// `source-priority` with its patterns, highest first.
    SourcePriority(Vec<String>),
    /// `hc-priority`.
    HealthConnect,
    /// `max-per-bucket` with the bucket width in minutes.
    MaxPerBucket(u32),
}

impl DedupChoice {
    /// From the flags; `--source-priority` alone implies `--dedup source-priority`, and with another
    /// strategy it is a usage error (exit 2) rather than silently ignored.
    pub fn new(
        dedup: Option<Dedup>,
        list: Option<String>,
        bucket_minutes: u32,
    ) -> phrkit::Result<Option<DedupChoice>> {
        let patterns = || {
            list.as_deref()
                .unwrap_or("")
                .split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect()
        };
        Ok(match (dedup, &list) {
            (Some(Dedup::KeepAll | Dedup::HcPriority | Dedup::MaxPerBucket), Some(_)) => {
                return Err(usage(
                    "--source-priority goes with --dedup source-priority only",
                ))
            }
            (Some(Dedup::KeepAll), None) => Some(DedupChoice::KeepAll),
            (Some(Dedup::HcPriority), None) => Some(DedupChoice::HealthConnect),
            (Some(Dedup::MaxPerBucket), None) => Some(DedupChoice::MaxPerBucket(bucket_minutes)),
            (Some(Dedup::SourcePriority), _) | (None, Some(_)) => {
                Some(DedupChoice::SourcePriority(patterns()))
            }
            (None, None) => None,
        })
    }
}

fn usage(msg: &str) -> phrkit::Error {
    ErrorKind::ApiMisuse(msg.to_owned()).into()
}

/// The reader for the input: plain (one pass) without a stage, else pass 1 builds the interval index and
/// the returned reader is pass 2.
pub fn reader<'a>(
    input: &'a Input,
    opts: &ReadOptions,
    choice: Option<&DedupChoice>,
) -> phrkit::Result<Box<dyn RecordReader + 'a>> {
    let Some(choice) = choice else {
        return input.reader(opts);
    };
    let mut first = input.reader(opts)?;
    let strategy = match choice {
        DedupChoice::KeepAll => DedupStrategy::KeepAll,
        DedupChoice::MaxPerBucket(minutes) => DedupStrategy::MaxPerBucket { minutes: *minutes },
        DedupChoice::SourcePriority(p) if p.is_empty() => {
            return Err(usage("--source-priority needs at least one source pattern"))
        }
        DedupChoice::SourcePriority(p) => DedupStrategy::SourcePriority(p.clone()),
        DedupChoice::HealthConnect => {
            if first.format() != Format::HealthConnectZip {
                return Err(usage("--dedup hc-priority needs a Health Connect export"));
            }
            DedupStrategy::HealthConnectPriority(health_connect_priorities(input, opts)?)
        }
    };
    let index = dedup::build_index(first.as_mut(), &strategy)?;
    drop(first);
    Ok(Box::new(dedup::DedupReader::new(
        input.reader(opts)?,
        index,
        strategy,
    )))
}

fn health_connect_priorities(
    input: &Input,
    opts: &ReadOptions,
) -> phrkit::Result<dedup::HealthConnectPriorities> {
    use phrkit::read::health_connect::{read_priorities_path, read_priorities_slice};
    match input {
        Input::Path(p) => read_priorities_path(p, opts),
        Input::StdinBytes(b) => read_priorities_slice(b, opts),
        Input::Stdin => Err(phrkit::ErrorKind::ApiMisuse(
            "stdin must be made re-readable before a two-pass read".to_owned(),
        )
        .into()),
    }
}
