#![no_main]
//! Fuzz target `read_kenshin_archive`: see phrkit::internal::fuzzing::read_kenshin_archive for what it checks.

libfuzzer_sys::fuzz_target!(|data: &[u8]| phrkit::internal::fuzzing::read_kenshin_archive(data));
