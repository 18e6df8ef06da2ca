//! Entry points for tooling outside the public API (fuzz targets and their regression tests).
//!
//! Hidden from the docs and exempt from semver: nothing here is for library users.

pub mod fuzzing;
