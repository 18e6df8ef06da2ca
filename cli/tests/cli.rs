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
