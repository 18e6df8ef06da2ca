//! Measures the 医療費通知 CSV reader and the mapping layer on generated synthetic input.
//! Run: `cargo run --release -p phrkit --example myna_throughput`

#![allow(clippy::expect_used)]

use std::time::Instant;

use phrkit::read::mapping::Mapping;
use phrkit::read::{read_slice, ReadOptions};

fn expense_csv(records: usize) -> Vec<u8> {
    let mut s = String::from(
        "\"わたしの情報\"\n\"医療費通知情報\"\n\n\"項目名\",\"内容\"\n\"医療費情報明細\"\n",
    );
    for i in 0..records {
        let month = i % 12 + 1;
        s.push_str(&format!(
            "\"診療年月\",\"2025年{month}月\"\n\"診療区分\",\"医科外来\"\n\"日数\",\"1\"\n\"医療機関等名称\",\"サンプル内科{i}\"\n\"医療費の総額（円）\",\"4,120\"\n\"保険者の負担額（円）\",\"2,884\"\n\"その他の公費の負担額（円）\",\"0\"\n\"窓口相当負担額（円）\",\"1,236\"\n"
        ));
    }
    s.into_bytes()
}

fn medication_json(records: usize) -> Vec<u8> {
    let items: Vec<String> = (0..records)
        .map(|i| {
            format!(
                r#"{{"date":"2025-03-02","code_type":"HOT9","code":"103835401","name":"薬{i}","qty":"21","unit":"錠","days":"7","pharmacy":{{"code":"1341234567","name":"サンプル薬局"}}}}"#
            )
        })
        .collect();
    format!(r#"{{"patient":{{}},"medications":[{}]}}"#, items.join(",")).into_bytes()
}

fn main() {
    let mut opts = ReadOptions::default();
    opts.strict = true;
    let csv = expense_csv(100_000);
    let t = Instant::now();
    let ds = read_slice(&csv, &opts).expect("csv");
    let dt = t.elapsed().as_secs_f64();
    println!(
        "expense CSV: {} records, {:.1} MB in {:.3} s = {:.0} records/s, {:.1} MB/s",
        ds.report.converted,
        csv.len() as f64 / 1e6,
        dt,
        ds.report.converted as f64 / dt,
        csv.len() as f64 / 1e6 / dt
    );
    let sjis = encoding_rs::SHIFT_JIS
        .encode(std::str::from_utf8(&csv).expect("utf8"))
        .0
        .into_owned();
    let t = Instant::now();
    let ds = read_slice(&sjis, &opts).expect("sjis");
    let dt = t.elapsed().as_secs_f64();
    println!(
        "expense CSV (Shift_JIS): {} records in {:.3} s = {:.0} records/s",
        ds.report.converted,
        dt,
        ds.report.converted as f64 / dt
    );

    let mapping_path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fixtures/myna_portal/medication_mapping.json"
    );
    let mapping = Mapping::from_path(mapping_path).expect("mapping");
    let json = medication_json(100_000);
    let t = Instant::now();
    let ds = mapping.read_slice(&json, &opts).expect("json");
    let dt = t.elapsed().as_secs_f64();
    println!(
        "mapped JSON: {} records, {:.1} MB in {:.3} s = {:.0} records/s",
        ds.report.converted,
        json.len() as f64 / 1e6,
        dt,
        ds.report.converted as f64 / dt
    );
    let t = Instant::now();
    let out =
        phrkit::write::to_vec(&ds.records, phrkit::write::WriteOptions::default()).expect("write");
    let dt = t.elapsed().as_secs_f64();
    println!(
        "FHIR NDJSON write: {} records, {:.1} MB in {:.3} s = {:.0} records/s",
        ds.records.len(),
        out.len() as f64 / 1e6,
        dt,
        ds.records.len() as f64 / dt
    );
}
