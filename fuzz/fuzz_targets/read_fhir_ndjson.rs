#![no_main]
//! Fuzz target `read_fhir_ndjson`: see phrkit::internal::fuzzing::read_fhir_ndjson for what it checks.

libfuzzer_sys::fuzz_target!(|data: &[u8]| phrkit::internal::fuzzing::read_fhir_ndjson(data));
