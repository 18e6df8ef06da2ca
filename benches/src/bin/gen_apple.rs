//! `gen_apple <path> [megabytes]`: writes a deterministic synthetic export.xml (default 200 MB).

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let path = args.next().unwrap_or_else(|| "export.xml".into());
    let mb: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(200);
    let file = std::fs::File::create(&path)?;
    let n = phrkit_benches::gen_apple::generate(file, mb * 1024 * 1024)?;
    eprintln!("wrote {n} bytes to {path}");
    Ok(())
}
