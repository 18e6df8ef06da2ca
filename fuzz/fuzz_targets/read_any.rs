#![no_main]
//! Fuzz target `read_any`: see phrkit::internal::fuzzing::read_any for what it checks.

libfuzzer_sys::fuzz_target!(|data: &[u8]| phrkit::internal::fuzzing::read_any(data));
