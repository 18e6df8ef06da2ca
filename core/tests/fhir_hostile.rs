//! Malformed and hostile FHIR input: every case gives a typed error with a JSON pointer, never a panic.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use phrkit::read::{read_slice, Format, ReadOptions};
use phrkit::{ErrorKind, Limit, Location};

const OBS: &str = r#"{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"29463-7"}]},"effectiveDateTime":"2025-02-28T07:01:00+09:00","valueQuantity":{"value":52.4,"unit":"kg","system":"http://unitsofmeasure.org","code":"kg"}}"#;

fn strict_err(json: &str) -> phrkit::Error {
    read_slice(
        json.as_bytes(),
        &ReadOptions::strict().with_format(Format::FhirJson),
    )
    .expect_err("must be rejected")
}

fn pointer(e: &phrkit::Error) -> String {
    match e.location() {
        Some(Location::JsonPointer { pointer, .. }) => pointer.clone(),
        other => panic!("expected a JSON pointer, got {other:?} for {e}"),
    }
}

#[test]
fn valid_observation_reads() {
    let ds = read_slice(OBS.as_bytes(), &ReadOptions::strict()).unwrap();
    assert_eq!(ds.records.len(), 1);
    assert!(ds.report.is_balanced());
}

#[test]
fn wrong_json_type_points_at_the_element() {
    let e = strict_err(&OBS.replace(r#""status":"final""#, r#""status":42"#));
    assert!(matches!(e.kind(), ErrorKind::Format { .. }));
    assert_eq!(pointer(&e), "/status");
}

#[test]
fn string_value_where_a_decimal_is_required_is_rejected() {
    let e = strict_err(&OBS.replace("\"value\":52.4", "\"value\":\"abc\""));
    assert_eq!(pointer(&e), "/valueQuantity/value");
    assert!(
        !e.to_string().contains("abc"),
        "error must not echo input values: {e}"
    );
}

#[test]
fn missing_required_status_is_rejected() {
    let e = strict_err(&OBS.replace(r#""status":"final","#, ""));
    assert_eq!(pointer(&e), "/status");
}

#[test]
fn unknown_status_code_is_rejected() {
    let e = strict_err(&OBS.replace(r#""status":"final""#, r#""status":"nonsense""#));
    assert_eq!(pointer(&e), "/status");
}

#[test]
fn unknown_resource_type_is_rejected() {
    let e = strict_err(r#"{"resourceType":"Spaceship","id":"x"}"#);
    assert_eq!(pointer(&e), "/resourceType");
}

#[test]
fn known_but_unmodelled_resource_is_counted_not_lost() {
    let bundle = format!(
        r#"{{"resourceType":"Bundle","type":"collection","entry":[{{"resource":{{"resourceType":"Condition","id":"c"}}}},{{"resource":{OBS}}}]}}"#
    );
    let ds = read_slice(bundle.as_bytes(), &ReadOptions::strict()).unwrap();
    assert_eq!(ds.records.len(), 1);
    assert_eq!(ds.report.skipped.get("unmodelled-resource-type"), Some(&1));
    assert!(ds.report.is_balanced());
}

#[test]
fn invalid_date_is_rejected() {
    let e = strict_err(&OBS.replace("2025-02-28T07:01:00+09:00", "2025-02-30T07:01:00+09:00"));
    assert_eq!(pointer(&e), "/effectiveDateTime");
    let e = strict_err(&OBS.replace("2025-02-28T07:01:00+09:00", "2025-02-28T07:01"));
    assert_eq!(pointer(&e), "/effectiveDateTime");
}

#[test]
fn unknown_unit_is_rejected() {
    let e = strict_err(&OBS.replace(r#""code":"kg"}"#, r#""code":"furlong"}"#));
    assert_eq!(pointer(&e), "/valueQuantity/code");
}

#[test]
fn unit_of_the_wrong_dimension_is_an_invalid_record() {
    let e = strict_err(&OBS.replace(r#""code":"kg"}"#, r#""code":"Cel"}"#));
    assert!(matches!(e.kind(), ErrorKind::InvalidRecord { .. }), "{e:?}");
}

#[test]
fn systolic_below_diastolic_is_an_invalid_record() {
    let bp = r#"{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"85354-9"}]},"effectiveDateTime":"2025-02-28T07:01:00+09:00","component":[{"code":{"coding":[{"system":"http://loinc.org","code":"8480-6"}]},"valueQuantity":{"value":70,"system":"http://unitsofmeasure.org","code":"mm[Hg]"}},{"code":{"coding":[{"system":"http://loinc.org","code":"8462-4"}]},"valueQuantity":{"value":120,"system":"http://unitsofmeasure.org","code":"mm[Hg]"}}]}"#;
    let e = strict_err(bp);
    assert!(matches!(
        e.kind(),
        ErrorKind::InvalidRecord {
            reason: phrkit::record::RecordError::SystolicBelowDiastolic,
            ..
        }
    ));
}

#[test]
fn hundred_level_nesting_is_a_depth_limit_error_with_pointer() {
    let mut deep = String::from(r#"{"resourceType":"Observation","extension":"#);
    deep.push_str(&"[".repeat(100));
    deep.push_str(&"]".repeat(100));
    deep.push('}');
    let e = strict_err(&deep);
    assert!(matches!(
        e.kind(),
        ErrorKind::LimitExceeded {
            limit: Limit::Depth,
            ..
        }
    ));
    assert!(pointer(&e).starts_with("/extension/0"));
}

#[test]
fn fifty_megabyte_string_is_a_string_limit_error_with_pointer() {
    let big = "x".repeat(50 * 1024 * 1024);
    let doc = OBS.replace(r#""status":"final""#, &format!(r#""status":"{big}""#));
    let e = strict_err(&doc);
    assert!(matches!(
        e.kind(),
        ErrorKind::LimitExceeded {
            limit: Limit::StringBytes,
            ..
        }
    ));
    assert_eq!(pointer(&e), "/status");
}

#[test]
fn ndjson_overlong_line_is_skipped_in_bounded_memory_and_counted() {
    let mut limits = phrkit::read::Limits::default();
    limits.max_line_bytes = 1024;
    let input = format!("{OBS}\n{}\n{OBS}\n", "y".repeat(10_000));
    let opts = ReadOptions::default()
        .with_format(Format::FhirNdjson)
        .with_limits(limits);
    let ds = read_slice(input.as_bytes(), &opts).unwrap();
    assert_eq!(ds.records.len(), 2);
    assert_eq!(ds.report.skipped.get("limit-exceeded"), Some(&1));
    assert!(ds.report.is_balanced());
}

#[test]
fn ndjson_errors_carry_line_numbers_and_lenient_mode_counts_them() {
    let input = format!("{OBS}\n{{\"resourceType\":\"Observation\"}}\nnot json\n{OBS}\n");
    let ds = read_slice(
        input.as_bytes(),
        &ReadOptions::default().with_format(Format::FhirNdjson),
    )
    .unwrap();
    assert_eq!(ds.records.len(), 2);
    assert_eq!(ds.report.skipped_total(), 2);
    assert!(ds.report.is_balanced());
    let lines: Vec<_> = ds
        .report
        .issues
        .iter()
        .filter_map(|i| match &i.location {
            Location::JsonPointer { line, .. } => *line,
            _ => None,
        })
        .collect();
    assert_eq!(lines, vec![2, 3]);
    let e = read_slice(
        input.as_bytes(),
        &ReadOptions::strict().with_format(Format::FhirNdjson),
    )
    .unwrap_err();
    assert!(matches!(
        e.location(),
        Some(Location::JsonPointer { line: Some(2), .. })
    ));
}

#[test]
fn truncated_empty_and_non_json_inputs_are_errors_not_panics() {
    for input in [
        &b""[..],
        b"{",
        b"{\"resourceType\":\"Observation\",",
        b"\xff\xfe\x00",
        b"[1,2]",
        b"null",
        b"<xml/>",
    ] {
        let r = read_slice(input, &ReadOptions::strict());
        assert!(
            r.is_err(),
            "{:?} should be rejected",
            String::from_utf8_lossy(input)
        );
        let r = read_slice(
            input,
            &ReadOptions::strict().with_format(Format::FhirNdjson),
        );
        let _ = r; // NDJSON of garbage: error or empty, never a panic
    }
}

#[test]
fn numbers_that_overflow_and_non_finite_values_are_rejected() {
    for v in [
        "1e400",
        "NaN",
        "Infinity",
        "99999999999999999999999999999999999",
    ] {
        let e = strict_err(&OBS.replace("52.4", v));
        assert!(pointer(&e).starts_with("/valueQuantity"), "{v}: {e}");
    }
}

#[test]
fn spo2_fraction_is_refused_not_guessed() {
    let spo2 = OBS
        .replace("29463-7", "2708-6")
        .replace(r#""code":"kg"}"#, r#""code":"%"}"#)
        .replace("52.4", "0.96");
    let ds = read_slice(spo2.as_bytes(), &ReadOptions::strict()).unwrap();
    assert!(ds.records.is_empty());
    assert_eq!(ds.report.skipped.get("probable-fraction"), Some(&1));
}

#[test]
fn unmodelled_elements_are_reported_not_silently_dropped() {
    let with_note = OBS.replace(
        r#""status":"final""#,
        r#""status":"final","note":[{"text":"free text"}],"interpretation":[{"text":"H"}]"#,
    );
    let ds = read_slice(with_note.as_bytes(), &ReadOptions::strict()).unwrap();
    assert_eq!(ds.report.ignored_elements.get("Observation.note"), Some(&1));
    assert_eq!(
        ds.report.ignored_elements.get("Observation.interpretation"),
        Some(&1)
    );
}

#[test]
fn oid_and_http_forms_of_medis_codes_are_both_accepted() {
    for system in [
        "http://medis.or.jp/CodeSystem/master-nursingObservationKeyCode",
        "urn:oid:1.2.392.200119.4.804",
    ] {
        let obs = OBS
            .replace(
                r#"{"system":"http://loinc.org","code":"29463-7"}"#,
                &format!(r#"{{"system":"{system}","code":"31001368"}}"#),
            )
            .replace(r#""code":"kg"}"#, r#""code":"Cel"}"#)
            .replace("52.4", "36.5");
        let ds = read_slice(obs.as_bytes(), &ReadOptions::strict()).unwrap();
        let phrkit::Record::Measurement(m) = &ds.records[0] else {
            panic!()
        };
        assert_eq!(*m.kind(), phrkit::Kind::BodyTemperature);
    }
}
