//! `apple_read <export.xml|export.zip>`: reads with phrkit and prints counts and throughput (used with
//! `/usr/bin/time -v` for peak RSS).

use phrkit::read::{open_path, ReadOptions};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: apple_read <path>")?;
    let size = std::fs::metadata(&path)?.len();
    let start = std::time::Instant::now();
    let mut reader = open_path(path.as_ref(), &ReadOptions::default())?;
    let mut records = 0u64;
    while reader.next_record()?.is_some() {
        records += 1;
    }
    let secs = start.elapsed().as_secs_f64();
    let r = reader.report();
    println!(
        "records={records} items={} converted={} skipped={} balanced={} secs={secs:.2} MB/s={:.1}",
        r.items_read,
        r.converted,
        r.skipped_total(),
        r.is_balanced(),
        size as f64 / 1e6 / secs
    );
    Ok(())
}
