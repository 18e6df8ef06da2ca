//! Opening the input: a path, or `-` for stdin (read fully, bounded by the document limit).

use std::path::Path;

use phrkit::read::{open_path, open_slice, read_bounded, ReadOptions, RecordReader};

/// An opened input; stdin bytes are owned here so the reader can borrow them.
pub enum Input {
    /// A file path.
    Path(std::path::PathBuf),
    /// Bytes from stdin.
    Stdin(Vec<u8>),
}

impl Input {
    /// Opens `path` (`-` = stdin).
    pub fn open(path: &Path, opts: &ReadOptions) -> phrkit::Result<Input> {
        if path.as_os_str() == "-" {
            let bytes = read_bounded(std::io::stdin().lock(), opts.limits.max_document_bytes)?;
            Ok(Input::Stdin(bytes))
        } else {
            Ok(Input::Path(path.to_owned()))
        }
    }

    /// A record reader over the input.
    pub fn reader<'a>(&'a self, opts: &ReadOptions) -> phrkit::Result<Box<dyn RecordReader + 'a>> {
        match self {
            Input::Path(p) => open_path(p, opts),
            Input::Stdin(b) => open_slice(b, opts),
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
