//! Benchmarks live in benches/; shared generators live here.

pub mod gen_apple;
