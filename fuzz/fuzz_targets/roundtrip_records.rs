#![no_main]
//! Fuzz target `roundtrip_records`: see phrkit::internal::fuzzing::roundtrip_records for what it checks.

libfuzzer_sys::fuzz_target!(|data: &[u8]| phrkit::internal::fuzzing::roundtrip_records(data));
