//! The `phrkit` binary on fixtures: stdout, stderr and exit codes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn phrkit(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_phrkit"))
        .args(args)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(bytes) = stdin {
        input.write_all(bytes).unwrap();
    }
    drop(input);
    child.wait_with_output().unwrap()
}

#[test]
fn converts_ndjson_to_a_collection_bundle() {
    let out = phrkit(
        &[
            "convert",
            "fixtures/golden/bloodPressure.ndjson",
            "--to",
            "fhir-json",
        ],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bundle: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(bundle["type"], "collection");
    assert_eq!(bundle["entry"].as_array().unwrap().len(), 3);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("converted 3, skipped 0"), "{stderr}");
}

#[test]
fn reads_stdin_and_round_trips_to_identical_ndjson() {
    let input = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fixtures/golden/sleepEpisode.ndjson"
    ))
    .unwrap();
    let out = phrkit(&["convert", "-", "--to", "fhir-ndjson"], Some(&input));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        out.stdout, input,
        "re-encoding our own output must be byte-identical"
    );
}

#[test]
fn inspect_prints_counts_per_type() {
    let out = phrkit(&["inspect", "fixtures/golden/stepCount.ndjson"], None);
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("stepCount"), "{stdout}");
    assert!(stdout.contains("subjects: 1"), "{stdout}");
    assert!(
        !stdout.contains("見本"),
        "inspect must not print personal data"
    );
}

#[test]
fn validate_exits_1_and_lists_problems_for_bad_input() {
    let bad = b"{\"resourceType\":\"Observation\",\"status\":\"nonsense\"}\n";
    let out = phrkit(&["validate", "-", "--from", "fhir-ndjson"], Some(bad));
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("line 1#/status"), "{stdout}");
}

#[test]
fn strict_convert_of_invalid_input_exits_3_with_a_located_error() {
    let bad = b"{\"resourceType\":\"Spaceship\"}";
    let out = phrkit(&["convert", "-", "--strict"], Some(bad));
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("#/resourceType"));
}

#[test]
fn unrecognised_input_exits_3() {
    let out = phrkit(&["inspect", "-"], Some(b"hello"));
    assert_eq!(out.status.code(), Some(3));
}

fn temp_path(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("phrkit-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

#[test]
fn pseudonymise_removes_names_and_keeps_the_key_out_of_every_output() {
    let key = temp_path("key");
    std::fs::write(&key, "0123456789abcdef0123456789abcdef-synthetic-test-key").unwrap();
    let report = temp_path("change.json");
    let out = phrkit(
        &[
            "pseudonymise",
            "fixtures/kenshin/hc08_sample.xml",
            "--key-file",
            key.to_str().unwrap(),
            "--report",
            report.to_str().unwrap(),
        ],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let fhir = String::from_utf8_lossy(&out.stdout);
    assert!(fhir.contains("\"resourceType\":\"Observation\""));
    for secret in ["ケンシン", "健診　花子", "0123456789abcdef"] {
        assert!(!fhir.contains(secret), "{secret} leaked into the output");
    }
    let change = std::fs::read_to_string(&report).unwrap();
    assert!(
        change.contains("key_id") || change.contains("keyId"),
        "{change}"
    );
    assert!(
        !change.contains("0123456789abcdef"),
        "key material in the change report"
    );
    assert!(!String::from_utf8_lossy(&out.stderr).contains("0123456789abcdef"));
}

#[test]
fn pseudonymise_without_a_key_is_a_key_error() {
    let out = phrkit(&["pseudonymise", "fixtures/golden/stepCount.ndjson"], None);
    assert_eq!(out.status.code(), Some(6));
}

#[test]
fn consented_export_without_a_consent_is_denied_with_exit_5() {
    let out = phrkit(
        &[
            "convert",
            "fixtures/golden/stepCount.ndjson",
            "--recipient",
            "Organization/research-partner",
            "--purpose",
            "http://terminology.hl7.org/CodeSystem/v3-ActReason|HRESCH",
        ],
        None,
    );
    assert_eq!(
        out.status.code(),
        Some(5),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn consented_export_leaves_out_what_the_consent_does_not_permit() {
    let args = |recipient: &'static str| {
        vec![
            "convert",
            "fixtures/golden/stepCount.ndjson",
            "--consent",
            "fixtures/consent/research-partner.json",
            "--recipient",
            recipient,
            "--purpose",
            "http://terminology.hl7.org/CodeSystem/v3-ActReason|HRESCH",
            "--at",
            "2025-06-01T00:00:00+09:00",
        ]
    };
    let ok = phrkit(&args("Organization/research-partner"), None);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let text = String::from_utf8_lossy(&ok.stdout);
    assert!(
        text.contains("\"resourceType\":\"Observation\""),
        "the permitted step count is exported"
    );
    assert!(text.contains("\"resourceType\":\"Provenance\""));
    let other = phrkit(&args("Organization/someone-else"), None);
    assert!(other.status.success());
    let text = String::from_utf8_lossy(&other.stdout);
    assert!(
        !text.contains("\"resourceType\":\"Observation\""),
        "nothing may reach a recipient the consent does not name"
    );
    assert!(String::from_utf8_lossy(&other.stderr).contains("denied"));
}

#[test]
fn consent_check_validates_and_reports_decisions() {
    let out = phrkit(
        &[
            "consent",
            "check",
            "fixtures/consent/research-partner.json",
            "fixtures/golden/stepCount.ndjson",
            "--recipient",
            "Organization/research-partner",
            "--purpose",
            "http://terminology.hl7.org/CodeSystem/v3-ActReason|HRESCH",
            "--at",
            "2025-06-01T00:00:00+09:00",
        ],
        None,
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("consent: valid"), "{stdout}");
    assert!(stdout.contains("permitted:"), "{stdout}");
}

#[test]
fn reads_an_apple_health_export_by_content() {
    let out = phrkit(&["inspect", "fixtures/apple_health/export.xml"], None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("format: apple-health-xml"), "{stdout}");
    assert!(stdout.contains("bloodPressure"), "{stdout}");
}

const MULTI_SOURCE: &str = "fixtures/apple_health/multi_source.xml";

/// Step values of the Observations in NDJSON output, sorted.
fn step_values(ndjson: &[u8]) -> Vec<i64> {
    let mut v: Vec<i64> = String::from_utf8_lossy(ndjson)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|r| r["valueQuantity"]["code"] == "{steps}")
        .map(|r| r["valueQuantity"]["value"].as_i64().unwrap())
        .collect();
    v.sort_unstable();
    v
}

#[test]
fn convert_with_source_priority_keeps_the_highest_ranked_source_and_reports_the_rest() {
    let out = phrkit(
        &[
            "convert",
            MULTI_SOURCE,
            "--source-priority",
            "Apple Watch, iPhone",
        ],
        None,
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(step_values(&out.stdout), vec![50, 90, 100, 250, 260, 300]);
    assert!(stderr.contains("converted 11, skipped 5"), "{stderr}");
    assert!(
        stderr.contains("skipped 5 × duplicate-lower-priority-source"),
        "{stderr}"
    );
    assert!(
        stderr.contains("duplicates from several sources: 6 × stepCount"),
        "{stderr}"
    );
}

/// Deduplication reads its input twice: from stdin the input is held in memory first, with the same result.
#[test]
fn convert_from_stdin_with_source_priority_matches_the_file_read() {
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fixtures/apple_health/multi_source.xml"
    ))
    .unwrap();
    let out = phrkit(
        &["convert", "-", "--source-priority", "Apple Watch, iPhone"],
        Some(&bytes),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(step_values(&out.stdout), vec![50, 90, 100, 250, 260, 300]);
    assert!(stderr.contains("converted 11, skipped 5"), "{stderr}");
}

#[test]
fn convert_with_keep_all_keeps_every_step_record_and_counts_duplicates() {
    let out = phrkit(&["convert", MULTI_SOURCE, "--dedup", "keep-all"], None);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(
        step_values(&out.stdout),
        vec![50, 90, 100, 250, 260, 300, 320, 480, 500]
    );
    assert!(stderr.contains("converted 16, skipped 0"), "{stderr}");
    assert!(
        stderr.contains("duplicates from several sources: 2 × heartRate"),
        "{stderr}"
    );
}

#[test]
fn convert_with_max_per_bucket_keeps_the_biggest_source_per_hour() {
    let out = phrkit(
        &[
            "convert",
            MULTI_SOURCE,
            "--dedup",
            "max-per-bucket",
            "--bucket-minutes",
            "60",
        ],
        None,
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(step_values(&out.stdout), vec![50, 100, 250, 260, 320]);
    assert!(
        stderr.contains("skipped 4 × duplicate-not-max-in-bucket"),
        "{stderr}"
    );
}

#[test]
fn dedup_flags_that_do_not_fit_are_usage_errors() {
    let hc = phrkit(&["convert", MULTI_SOURCE, "--dedup", "hc-priority"], None);
    assert_eq!(hc.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&hc.stderr).contains("Health Connect export"));
    let missing = phrkit(
        &["convert", MULTI_SOURCE, "--dedup", "source-priority"],
        None,
    );
    assert_eq!(missing.status.code(), Some(2));
    let both = phrkit(
        &[
            "convert",
            MULTI_SOURCE,
            "--dedup",
            "keep-all",
            "--source-priority",
            "iPhone",
        ],
        None,
    );
    assert_eq!(both.status.code(), Some(2));
}

#[test]
fn inspect_prints_duplicates_found_per_type() {
    let out = phrkit(&["inspect", MULTI_SOURCE], None);
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    let row = stdout
        .lines()
        .find(|l| l.starts_with("stepCount"))
        .unwrap_or_default();
    let cols: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(cols.get(1..3), Some(&["9", "6"][..]), "{stdout}");
    assert!(stdout.contains("duplicates from several sources: 2 × sleepEpisode"));

    let json = phrkit(&["inspect", "--json", MULTI_SOURCE], None);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["types"]["stepCount"]["duplicates"], 6);
    assert_eq!(v["types"]["heartRate"]["duplicates"], 2);
    assert_eq!(v["report"]["duplicates"]["sleepEpisode"], 2);
}
