//! Opening the input: a path, or `-` for stdin (streamed like any reader: `phrkit::read::open_reader`).

use std::path::Path;

use phrkit::read::{open_path, open_reader, ReadOptions, RecordReader};

/// An input to open.
pub enum Input {
    /// A file path.
    Path(std::path::PathBuf),
    /// Standard input, read once.
    Stdin,
}

impl Input {
    /// Opens `path` (`-` = stdin).
    pub fn open(path: &Path, _opts: &ReadOptions) -> phrkit::Result<Input> {
        if path.as_os_str() == "-" {
            Ok(Input::Stdin)
        } else {
            Ok(Input::Path(path.to_owned()))
        }
    }

    /// A record reader over the input.
    pub fn reader<'a>(&'a self, opts: &ReadOptions) -> phrkit::Result<Box<dyn RecordReader + 'a>> {
        match self {
            Input::Path(p) => open_path(p, opts),
            Input::Stdin => open_reader(std::io::stdin().lock(), None, opts),
        }
    }
}

/// Read options from the common flags.
pub fn options(from: Option<crate::args::From>, strict: bool) -> ReadOptions {
    let opts = ReadOptions::default().with_strict(strict);
    match from {
        Some(f) => opts.with_format(f.format()),
        None => opts,
    }
}
