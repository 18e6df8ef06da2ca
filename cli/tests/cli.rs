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
