//! CPU-time measurement of the pseudonymisation bench workloads, for shared machines where criterion's
//! wall-clock numbers are inflated by other processes. Prints CPU seconds of this (single-threaded)
//! process per phase, read from /proc/self/schedstat (Linux).
//!
//! Run: `cargo run --release -p phrkit-benches --example pseudonym_cpu`

use std::sync::Arc;

use chrono::{DateTime, Duration};
use phrkit::policy::pseudonymise::{
    Domain, Profile, PseudonymKey, PseudonymiseOptions, Pseudonymiser, Pseudonyms,
};
use phrkit::record::{
    Coding, Decimal, Effective, Kind, Measurement, Record, Source, Subject, Unit,
};
use phrkit::write::{export::pseudonymise_to_fhir, FhirWriter, OutputFormat, WriteOptions};

fn cpu_seconds() -> f64 {
    let s = std::fs::read_to_string("/proc/self/schedstat").unwrap_or_default();
    let ns: f64 = s
        .split_whitespace()
        .next()
        .and_then(|x| x.parse().ok())
        .unwrap_or(0.0);
    ns / 1e9
}

fn main() {
    let key = PseudonymKey::from_bytes(vec![42; 32]).expect("key");
    let p = Pseudonyms::new(&key, "").expect("keys");
    let n = 5_000_000u64;
    let t0 = cpu_seconds();
    let mut acc = 0u64;
    for i in 0..n {
        let s = p.pseudonym(Domain::InsuredId, "sys", &i.to_string());
        acc = acc.wrapping_add(s.len() as u64);
    }
    let dt = cpu_seconds() - t0;
    println!(
        "pseudonyms (hex): {n} in {dt:.2} CPU s = {:.2} M/s per core (check {acc})",
        n as f64 / dt / 1e6
    );

    let start = DateTime::parse_from_rfc3339("2025-01-01T00:00:00+09:00").expect("time");
    let src = Arc::new(Source {
        name: Some("Hanako's iPhone".into()),
        ..Source::default()
    });
    let mut recs = vec![Record::from(Subject {
        identifiers: vec![Coding::new("urn:example:patient", "PT-1")],
        ..Subject::default()
    })];
    let m = 1_000_000usize;
    for i in 0..m {
        let t = start + Duration::minutes(i as i64);
        let x = Measurement::quantity(
            Kind::Steps,
            Effective::Instant(t),
            Decimal::from(i % 200),
            Unit::Steps,
        )
        .expect("valid")
        .with_source(src.clone());
        recs.push(x.into());
    }
    let opts = WriteOptions::new(OutputFormat::Ndjson);
    let t0 = cpu_seconds();
    let mut w = FhirWriter::new(std::io::sink(), opts);
    for r in &recs {
        w.write(r).expect("write");
    }
    let plain_report = w.finish().expect("finish").0;
    let plain = cpu_seconds() - t0;
    let t0 = cpu_seconds();
    let date = chrono::NaiveDate::from_ymd_opt(2025, 6, 1).expect("date");
    let mut ps = Pseudonymiser::new(&key, Profile::Pseudonymised, PseudonymiseOptions::new(date))
        .expect("p");
    let (pr, _) =
        pseudonymise_to_fhir(recs.iter().cloned(), &mut ps, opts, std::io::sink()).expect("write");
    let pseudo = cpu_seconds() - t0;
    println!(
        "convert 1M observations: plain {plain:.2} CPU s ({} resources), pseudonymised {pseudo:.2} CPU s ({} resources), overhead {:.1} %",
        plain_report.converted,
        pr.converted,
        (pseudo / plain - 1.0) * 100.0
    );
}
