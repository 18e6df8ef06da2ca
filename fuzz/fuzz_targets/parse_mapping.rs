#![no_main]
//! Fuzz target `parse_mapping`: see phrkit::internal::fuzzing::parse_mapping for what it checks.

libfuzzer_sys::fuzz_target!(|data: &[u8]| phrkit::internal::fuzzing::parse_mapping(data));
