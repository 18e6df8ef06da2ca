//! Opening the input: a path, or `-` for stdin (streamed like any reader: `phrkit::read::open_reader`).

use std::path::Path;

use phrkit::read::{open_path, open_reader, open_slice, read_bounded, ReadOptions, RecordReader};

/// An input to open.
pub enum Input {
    /// A file path.
    Path(std::path::PathBuf),
    /// Standard input, streamed (read once).
    Stdin,
    /// Standard input held in memory (bounded by the document limit), for commands that read twice.
    StdinBytes(Vec<u8>),
}

impl Input {
    /// Opens `path` (`-` = stdin).
    pub fn open(path: &Path) -> Input {
        if path.as_os_str() == "-" {
            Input::Stdin
        } else {
            Input::Path(path.to_owned())
        }
    }

    /// The same input, readable more than once: stdin is read into memory (bounded).
    pub fn rereadable(self, opts: &ReadOptions) -> phrkit::Result<Input> {
        match self {
            Input::Stdin => {
                let bytes = read_bounded(std::io::stdin().lock(), opts.limits.max_document_bytes)?;
                Ok(Input::StdinBytes(bytes))
            }
            other => Ok(other),
        }
    }

    /// A record reader over the input.
    pub fn reader<'a>(&'a self, opts: &ReadOptions) -> phrkit::Result<Box<dyn RecordReader + 'a>> {
        match self {
            Input::Path(p) => open_path(p, opts),
            Input::Stdin => open_reader(std::io::stdin().lock(), None, opts),
            Input::StdinBytes(b) => open_slice(b, opts),
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
