//! A progress bar on stderr when it is a terminal; nothing when piped (scripts see clean output).

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};

/// A spinner counting records, or a hidden bar when stderr is not a terminal.
pub fn records_bar() -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner();
    if let Ok(style) = ProgressStyle::with_template("{spinner} {pos} records {per_sec} {elapsed}") {
        bar.set_style(style);
    }
    bar
}
