//! Records → FHIR NDJSON and FHIR NDJSON → records, with `serde_json::Value` parsing of the same bytes as
//! the reference ceiling. Throughput is in Observations (elements) and bytes.
//!
//! Run: `cargo bench -p phrkit-benches --bench fhir`

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use phrkit::read::{read_slice, Format, ReadOptions};
use phrkit::write::{to_vec, OutputFormat, WriteOptions};
use phrkit_benches::vital_sign_records;

const N: usize = 100_000;

fn bench(c: &mut Criterion) {
    let records = vital_sign_records(N);
    let ndjson = to_vec(&records, WriteOptions::new(OutputFormat::Ndjson)).unwrap_or_default();
    let observations = ndjson
        .split(|&b| b == b'\n')
        .filter(|l| l.starts_with(b"{\"resourceType\":\"Observation\""))
        .count() as u64;
    eprintln!(
        "input: {observations} Observations, {} bytes of NDJSON",
        ndjson.len()
    );

    let mut g = c.benchmark_group("fhir_write");
    g.sample_size(10);
    g.throughput(Throughput::Elements(observations));
    g.bench_function("records_to_ndjson", |b| {
        b.iter(|| to_vec(black_box(&records), WriteOptions::new(OutputFormat::Ndjson)))
    });
    g.finish();

    let mut g = c.benchmark_group("fhir_read");
    g.sample_size(10);
    g.throughput(Throughput::Elements(observations));
    let opts = ReadOptions::default().with_format(Format::FhirNdjson);
    g.bench_function("ndjson_to_records", |b| {
        b.iter(|| read_slice(black_box(&ndjson), &opts).map(|d| d.records.len()))
    });
    g.bench_function("serde_json_value_ceiling", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for line in black_box(&ndjson)
                .split(|&b| b == b'\n')
                .filter(|l| !l.is_empty())
            {
                if let Ok(v) = serde_json::from_slice::<serde_json::Value>(line) {
                    n += v.as_object().map_or(0, |o| o.len());
                }
            }
            n
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
