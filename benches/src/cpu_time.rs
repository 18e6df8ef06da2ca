//! A criterion measurement of the CPU time the benchmarking thread spends (user + system), read from
//! `/proc/thread-self/schedstat` (Linux, nanoseconds).
//!
//! Wall-clock time on a shared or virtual machine includes time the thread waited for a CPU; comparing two
//! readers by wall clock then compares how busy the machine was during each. CPU time counts only the work
//! done, kernel copies included, so two readers measured in the same run compare fairly. Elsewhere than
//! Linux (no schedstat) the measurement falls back to wall-clock time and says so once.

use std::sync::Once;
use std::time::Instant;

use criterion::measurement::{Measurement, ValueFormatter};
use criterion::Throughput;

/// CPU time of the current thread, in nanoseconds.
pub struct ThreadCpuTime;

/// The thread's CPU time so far, if the kernel reports it.
fn schedstat_ns() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    s.split_whitespace().next()?.parse().ok()
}

/// A start point: CPU time if available, else wall-clock time.
pub enum Start {
    Cpu(u64),
    Wall(Instant),
}

static FALLBACK: Once = Once::new();

impl Measurement for ThreadCpuTime {
    type Intermediate = Start;
    type Value = u64;

    fn start(&self) -> Start {
        match schedstat_ns() {
            Some(ns) => Start::Cpu(ns),
            None => {
                FALLBACK.call_once(|| {
                    eprintln!("no /proc/thread-self/schedstat: measuring wall-clock time instead")
                });
                Start::Wall(Instant::now())
            }
        }
    }

    fn end(&self, start: Start) -> u64 {
        match start {
            Start::Cpu(ns) => schedstat_ns().map_or(0, |now| now.saturating_sub(ns)),
            Start::Wall(t) => u64::try_from(t.elapsed().as_nanos()).unwrap_or(u64::MAX),
        }
    }

    fn add(&self, a: &u64, b: &u64) -> u64 {
        a + b
    }

    fn zero(&self) -> u64 {
        0
    }

    fn to_f64(&self, v: &u64) -> f64 {
        *v as f64
    }

    fn formatter(&self) -> &dyn ValueFormatter {
        &CpuFormatter
    }
}

/// Formats nanoseconds of CPU time (`cpu ms`) and throughput per CPU second.
struct CpuFormatter;

impl ValueFormatter for CpuFormatter {
    fn scale_values(&self, typical: f64, values: &mut [f64]) -> &'static str {
        let (factor, unit) = if typical < 1e3 {
            (1.0, "ns cpu")
        } else if typical < 1e6 {
            (1e-3, "µs cpu")
        } else if typical < 1e9 {
            (1e-6, "ms cpu")
        } else {
            (1e-9, "s cpu")
        };
        for v in values {
            *v *= factor;
        }
        unit
    }

    fn scale_throughputs(&self, _typical: f64, t: &Throughput, values: &mut [f64]) -> &'static str {
        let (per_iter, unit, factor) = match *t {
            Throughput::Bytes(b) | Throughput::BytesDecimal(b) => {
                (b as f64, "MiB/cpu-s", 1.0 / (1024.0 * 1024.0))
            }
            Throughput::Elements(e) => (e as f64, "elem/cpu-s", 1.0),
        };
        for v in values {
            *v = per_iter * 1e9 / *v * factor;
        }
        unit
    }

    fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
        "ns"
    }
}
