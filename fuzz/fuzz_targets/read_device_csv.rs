#![no_main]
//! Fuzz target `read_device_csv`: see phrkit::internal::fuzzing::read_device_csv for what it checks.

libfuzzer_sys::fuzz_target!(|data: &[u8]| phrkit::internal::fuzzing::read_device_csv(data));
