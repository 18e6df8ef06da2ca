//! `apple_scan <export.xml>`: the bare quick-xml floor — tokenise and count `Record` start tags — for
//! comparison with `apple_read` (throughput and, under `/usr/bin/time -v`, peak RSS).

use std::io::BufReader;

use quick_xml::events::Event;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: apple_scan <path>")?;
    let size = std::fs::metadata(&path)?.len();
    let start = std::time::Instant::now();
    let f = std::fs::File::open(&path)?;
    let mut r = quick_xml::Reader::from_reader(BufReader::with_capacity(256 * 1024, f));
    let mut buf = Vec::with_capacity(4096);
    let mut n = 0u64;
    loop {
        match r.read_event_into(&mut buf)? {
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == b"Record" => n += 1,
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "records={n} secs={secs:.2} MB/s={:.1}",
        size as f64 / 1e6 / secs
    );
    Ok(())
}
