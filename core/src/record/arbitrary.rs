//! proptest strategies for every record kind (feature `arbitrary`), shared by round-trip tests and fuzzing.
