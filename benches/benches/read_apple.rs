//! phrkit's Apple Health reader against a bare quick-xml scan of the same file (throughput, MB/s).
//!
//! The file is `$PHRKIT_APPLE_XML` if set, else a deterministic synthetic export of `$PHRKIT_APPLE_MB`
//! megabytes (default 200) generated once under `target/`. The bare scan tokenises and counts `Record`
//! start tags — the floor any reader pays; phrkit additionally parses dates, decimals, units, sources,
//! builds records and keeps the report.
//!
//! Two groups measure the same pair: `read_apple` by wall clock (criterion's default) and `read_apple_cpu`
//! by the benchmarking thread's CPU time ([`phrkit_benches::cpu_time`]), which a busy or virtual machine
//! does not inflate. The ratio phrkit / scan is what BENCHMARKS.md reports, from both.

use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::measurement::Measurement;
use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use phrkit::read::{open_path, ReadOptions};
use phrkit_benches::cpu_time::ThreadCpuTime;
use quick_xml::events::Event;

fn input() -> PathBuf {
    if let Ok(p) = std::env::var("PHRKIT_APPLE_XML") {
        return PathBuf::from(p);
    }
    let mb: u64 = std::env::var("PHRKIT_APPLE_MB")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(200);
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/bench-data");
    std::fs::create_dir_all(&dir).expect("bench data dir");
    let path = dir.join(format!("export-{mb}mb.xml"));
    if !path.exists() {
        let f = std::fs::File::create(&path).expect("create bench file");
        phrkit_benches::gen_apple::generate(f, mb * 1024 * 1024).expect("generate");
    }
    path
}

fn bare_scan(path: &Path) -> u64 {
    let f = std::fs::File::open(path).expect("open");
    let mut r = quick_xml::Reader::from_reader(BufReader::with_capacity(256 * 1024, f));
    let mut buf = Vec::with_capacity(4096);
    let mut n = 0;
    loop {
        match r.read_event_into(&mut buf) {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) if e.name().as_ref() == b"Record" => n += 1,
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("scan failed: {e}"),
        }
        buf.clear();
    }
    n
}

fn phrkit_read(path: &Path) -> u64 {
    let mut r = open_path(path, &ReadOptions::default()).expect("open");
    let mut n = 0;
    while r.next_record().expect("read").is_some() {
        n += 1;
    }
    n
}

fn bench_wall(c: &mut Criterion) {
    bench(c, "read_apple");
}

fn bench_cpu(c: &mut Criterion<ThreadCpuTime>) {
    bench(c, "read_apple_cpu");
}

fn bench<M: Measurement>(c: &mut Criterion<M>, group: &str) {
    let path = input();
    let size = std::fs::metadata(&path).expect("stat").len();
    let mut g = c.benchmark_group(group);
    g.throughput(Throughput::Bytes(size))
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(20));
    g.bench_function("quick-xml-scan", |b| b.iter(|| bare_scan(&path)));
    g.bench_function("phrkit", |b| b.iter(|| phrkit_read(&path)));
    g.finish();
}

criterion_group!(wall, bench_wall);
criterion_group! {
    name = cpu;
    config = Criterion::default().with_measurement(ThreadCpuTime);
    targets = bench_cpu
}
criterion_main!(wall, cpu);
