//! One module per subcommand; `run` dispatches.

mod consent;
mod convert;
mod dedup_args;
mod input;
mod inspect;
mod policy_args;
mod pseudonymise;
mod validate;

use crate::args::{Cli, Command, ConsentCommand};

/// Runs the parsed command and returns the exit code.
pub fn run(cli: Cli) -> phrkit::Result<i32> {
    match cli.command {
        Command::Convert {
            input,
            to,
            output,
            from,
            strict,
            oid_code_systems,
            report,
            dedup,
            source_priority,
            bucket_minutes,
            consent,
        } => {
            let opts = convert::Options {
                to,
                from,
                strict,
                oid: oid_code_systems,
                print_report: report,
                dedup: dedup_args::DedupChoice::new(dedup, source_priority, bucket_minutes)?,
            };
            convert::run(&input, output.as_deref(), &opts, &consent)
        }
        Command::Inspect { input, from, json } => inspect::run(&input, from, json),
        Command::Validate { input, from } => validate::run(&input, from),
        Command::Pseudonymise {
            input,
            profile,
            key_file,
            key_env,
            k,
            to,
            output,
            report,
            from,
        } => {
            let key = pseudonymise::KeySource {
                file: key_file,
                env: key_env,
            };
            pseudonymise::run(
                &input,
                &profile,
                &key,
                k,
                to,
                output.as_deref(),
                report.as_deref(),
                from,
            )
        }
        Command::Consent {
            command:
                ConsentCommand::Check {
                    consent,
                    input,
                    recipient,
                    purpose,
                    at,
                },
        } => consent::check(
            &consent,
            input.as_deref(),
            &recipient,
            &purpose,
            at.as_deref(),
        ),
    }
}
