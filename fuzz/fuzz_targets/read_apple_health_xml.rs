#![no_main]
//! Fuzz target `read_apple_health_xml`: see phrkit::internal::fuzzing::read_apple_health_xml for what it checks.

libfuzzer_sys::fuzz_target!(|data: &[u8]| phrkit::internal::fuzzing::read_apple_health_xml(data));
