#![no_main]
//! Fuzz target `read_takeout_zip`: see phrkit::internal::fuzzing::read_takeout_zip for what it checks.

libfuzzer_sys::fuzz_target!(|data: &[u8]| phrkit::internal::fuzzing::read_takeout_zip(data));
