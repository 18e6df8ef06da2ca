#![no_main]
//! Fuzz target `parse_pseudonymise_rules`: see phrkit::internal::fuzzing::parse_pseudonymise_rules for what it checks.

libfuzzer_sys::fuzz_target!(|data: &[u8]| phrkit::internal::fuzzing::parse_pseudonymise_rules(data));
