//! One module per subcommand; `run` dispatches.

mod convert;
mod input;
mod inspect;
mod validate;

use crate::args::{Cli, Command};

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
        } => convert::run(
            &input,
            to,
            output.as_deref(),
            from,
            strict,
            oid_code_systems,
            report,
        ),
        Command::Inspect { input, from, json } => inspect::run(&input, from, json),
        Command::Validate { input, from } => validate::run(&input, from),
    }
}
