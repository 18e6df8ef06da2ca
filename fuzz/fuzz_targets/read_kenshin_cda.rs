#![no_main]
//! Fuzz target `read_kenshin_cda`: see phrkit::internal::fuzzing::read_kenshin_cda for what it checks.

libfuzzer_sys::fuzz_target!(|data: &[u8]| phrkit::internal::fuzzing::read_kenshin_cda(data));
