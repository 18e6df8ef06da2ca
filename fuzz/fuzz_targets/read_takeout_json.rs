#![no_main]
//! Fuzz target `read_takeout_json`: see phrkit::internal::fuzzing::read_takeout_json for what it checks.

libfuzzer_sys::fuzz_target!(|data: &[u8]| phrkit::internal::fuzzing::read_takeout_json(data));
