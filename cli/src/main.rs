//! `phrkit` — convert, inspect and validate personal health records from the command line.
//!
//! The CLI is a thin layer over the library: `args` is what was typed, `cmd/*` runs one subcommand each,
//! `exit_code` maps outcomes to documented exit codes.

mod args;
mod cmd;
mod exit_code;
mod progress;

use clap::Parser;

fn main() {
    let cli = args::Cli::parse();
    let code = match cmd::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("phrkit: error: {e}");
            exit_code::for_error(&e)
        }
    };
    std::process::exit(code);
}
