#![no_main]
//! Fuzz target `roundtrip_generated`: see phrkit::internal::fuzzing::roundtrip_generated for what it checks.

libfuzzer_sys::fuzz_target!(|data: &[u8]| phrkit::internal::fuzzing::roundtrip_generated(data));
