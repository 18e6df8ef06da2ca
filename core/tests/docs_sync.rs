//! docs/fhir-mapping.md carries the kind table rendered from `KIND_TABLE`; this test fails when they drift.
//! `PHRKIT_BLESS=1 cargo test -p phrkit --test docs_sync` rewrites the generated section.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use phrkit::record::{Family, Shape, KIND_TABLE};

const BEGIN: &str = "<!-- BEGIN GENERATED: kind table -->";
const END: &str = "<!-- END GENERATED: kind table -->";

fn render() -> String {
    let mut s = String::from("| PGHD code | LOINC | MEDIS / JP body code | HealthKit | JP Core profile | R4 profile | units (first = canonical) | value |\n|---|---|---|---|---|---|---|---|\n");
    for r in KIND_TABLE {
        let loinc: Vec<&str> = r.loinc.iter().map(|(c, _)| *c).collect();
        let profile = match r.family {
            Family::VitalSigns => "JP_Observation_VitalSigns",
            Family::BodyMeasurement => "JP_Observation_BodyMeasurement",
            _ => "JP_Observation_Common",
        };
        let units: Vec<String> = r.units.iter().map(|u| format!("`{}`", u.ucum())).collect();
        let shape = match r.shape {
            Shape::Quantity { whole: true, .. } => "whole quantity",
            Shape::Quantity { .. } => "quantity",
            Shape::BloodPressure => "components 8480-6 / 8462-4",
            Shape::Sleep => "stage components (valuePeriod)",
            Shape::Workout => "activity + components",
        };
        s.push_str(&format!(
            "| `{}` | {} | {} | {} | {} | {} | {} | {} |\n",
            r.pghd,
            if loinc.is_empty() {
                "—".to_owned()
            } else {
                loinc.join(", ")
            },
            r.medis
                .map(|(c, d)| format!("{c} {d}"))
                .unwrap_or_else(|| "—".into()),
            r.healthkit
                .map(|h| format!("`{}`", h.trim_start_matches("HKQuantityTypeIdentifier")))
                .unwrap_or_default(),
            profile,
            r.r4_profile.unwrap_or("—"),
            units.join(" "),
            shape
        ));
    }
    s
}

#[test]
fn fhir_mapping_doc_matches_the_kind_table() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/fhir-mapping.md");
    let doc = std::fs::read_to_string(path).unwrap();
    let (Some(b), Some(e)) = (doc.find(BEGIN), doc.find(END)) else {
        panic!("markers missing in {path}")
    };
    let current = &doc[b + BEGIN.len()..e];
    let fresh = format!("\n{}", render());
    if std::env::var_os("PHRKIT_BLESS").is_some() {
        std::fs::write(
            path,
            format!("{}{}{}{}", &doc[..b], BEGIN, fresh, &doc[e..]),
        )
        .unwrap();
        return;
    }
    assert_eq!(
        current, fresh,
        "docs/fhir-mapping.md is stale: PHRKIT_BLESS=1 cargo test -p phrkit --test docs_sync"
    );
}
