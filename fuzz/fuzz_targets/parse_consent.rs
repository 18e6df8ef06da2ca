#![no_main]
//! Fuzz target `parse_consent`: see phrkit::internal::fuzzing::parse_consent for what it checks.

libfuzzer_sys::fuzz_target!(|data: &[u8]| phrkit::internal::fuzzing::parse_consent(data));
