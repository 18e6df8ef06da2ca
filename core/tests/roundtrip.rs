//! Records → FHIR → records gives equal records, for every record kind, in every output container.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use phrkit::read::{read_slice, Format, ReadOptions};
use phrkit::record::arbitrary;
use phrkit::write::{to_vec, OutputFormat, WriteOptions};
use phrkit::Record;
use proptest::prelude::*;

fn round_trip(records: &[Record], format: OutputFormat) -> Vec<Record> {
    let bytes = to_vec(records, WriteOptions::new(format)).expect("write");
    let read_as = if format == OutputFormat::Ndjson {
        Format::FhirNdjson
    } else {
        Format::FhirJson
    };
    let opts = ReadOptions::strict().with_format(read_as);
    let ds = read_slice(&bytes, &opts)
        .unwrap_or_else(|e| panic!("read back failed: {e}\n{}", String::from_utf8_lossy(&bytes)));
    assert!(ds.report.is_balanced(), "{:?}", ds.report);
    assert!(
        ds.report.ignored_elements.is_empty(),
        "writer emitted elements the reader ignores: {:?}",
        ds.report.ignored_elements
    );
    ds.records
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn records_survive_ndjson(records in arbitrary::records()) {
        prop_assert_eq!(round_trip(&records, OutputFormat::Ndjson), records);
    }

    #[test]
    fn records_survive_collection_bundle(records in arbitrary::records()) {
        prop_assert_eq!(round_trip(&records, OutputFormat::BundleCollection), records);
    }

    #[test]
    fn records_survive_transaction_bundle(records in arbitrary::records()) {
        prop_assert_eq!(round_trip(&records, OutputFormat::BundleTransaction), records);
    }

    #[test]
    fn output_is_deterministic(records in arbitrary::records()) {
        let a = to_vec(&records, WriteOptions::new(OutputFormat::Ndjson)).unwrap();
        let b = to_vec(&records, WriteOptions::new(OutputFormat::Ndjson)).unwrap();
        prop_assert_eq!(a, b);
    }
}
