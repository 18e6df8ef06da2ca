//! Pseudonymisation throughput (issue 6).
//!
//! - `pseudonym/hmac-hex`: keyed pseudonyms per second on one core (target ≥ 2 M/s).
//! - `convert-1M/*`: 1 million step-count observations to NDJSON, plain vs pseudonymised (target ≤ 20 %
//!   overhead). The pseudonymised variant includes cloning each record, because `Pseudonymiser::apply`
//!   takes records by value as a reader would hand them over.
//!
//! Run: `cargo bench -p phrkit-benches --bench pseudonymise`. Synthetic data generated below.

use std::hint::black_box;
use std::sync::Arc;

use chrono::{DateTime, Duration};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use phrkit::policy::pseudonymise::{
    Domain, Profile, PseudonymKey, PseudonymiseOptions, Pseudonymiser, Pseudonyms,
};
use phrkit::record::{
    Coding, Decimal, Effective, Kind, Measurement, PersonName, Record, Source, Subject, Unit,
};
use phrkit::write::{export::pseudonymise_to_fhir, FhirWriter, OutputFormat, WriteOptions};

fn key() -> PseudonymKey {
    PseudonymKey::from_bytes(vec![42; 32]).expect("32-byte key")
}

fn bench_pseudonyms(c: &mut Criterion) {
    let p = Pseudonyms::new(&key(), "").expect("keys");
    let inputs: Vec<String> = (0..1000)
        .map(|i| format!("{:08}", 10_000_000 + i))
        .collect();
    let mut g = c.benchmark_group("pseudonym");
    g.throughput(Throughput::Elements(inputs.len() as u64));
    g.bench_function("hmac-hex", |b| {
        b.iter(|| {
            for v in &inputs {
                black_box(p.pseudonym(Domain::InsuredId, "sys", v));
            }
        })
    });
    g.bench_function("hmac-bytes", |b| {
        b.iter(|| {
            for v in &inputs {
                black_box(p.pseudonym_bytes(Domain::InsuredId, "sys", v));
            }
        })
    });
    g.finish();
}

const N: usize = 1_000_000;

fn records() -> Vec<Record> {
    let start = DateTime::parse_from_rfc3339("2025-01-01T00:00:00+09:00").expect("time");
    let src = Arc::new(Source {
        name: Some("Hanako's iPhone".into()),
        ..Source::default()
    });
    let mut v = Vec::with_capacity(N + 1);
    v.push(Record::from(Subject {
        identifiers: vec![Coding::new("urn:example:patient", "PT-1")],
        name_kanji: Some(PersonName::from_parts("架空", "花子")),
        ..Subject::default()
    }));
    for i in 0..N {
        let t = start + Duration::minutes(i as i64);
        let m = Measurement::quantity(
            Kind::Steps,
            Effective::Instant(t),
            Decimal::from(i % 200),
            Unit::Steps,
        )
        .expect("valid")
        .with_source(src.clone());
        v.push(m.into());
    }
    v
}

fn bench_convert(c: &mut Criterion) {
    let recs = records();
    let opts = WriteOptions::new(OutputFormat::Ndjson);
    let mut g = c.benchmark_group("convert-1M");
    g.sample_size(10);
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function("plain", |b| {
        b.iter(|| {
            let mut w = FhirWriter::new(std::io::sink(), opts);
            for r in &recs {
                w.write(r).expect("write");
            }
            black_box(w.finish().expect("finish").0)
        })
    });
    g.bench_function("pseudonymised", |b| {
        b.iter(|| {
            let date = chrono::NaiveDate::from_ymd_opt(2025, 6, 1).expect("date");
            let mut p = Pseudonymiser::new(
                &key(),
                Profile::Pseudonymised,
                PseudonymiseOptions::new(date),
            )
            .expect("pseudonymiser");
            let out = pseudonymise_to_fhir(recs.iter().cloned(), &mut p, opts, std::io::sink())
                .expect("write");
            black_box(out.0)
        })
    });
    g.finish();
}

criterion_group!(benches, bench_pseudonyms, bench_convert);
criterion_main!(benches);
