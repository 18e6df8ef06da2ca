#![no_main]
//! Fuzz target `read_health_connect`: see phrkit::internal::fuzzing::read_health_connect for what it checks.

libfuzzer_sys::fuzz_target!(|data: &[u8]| phrkit::internal::fuzzing::read_health_connect(data));
