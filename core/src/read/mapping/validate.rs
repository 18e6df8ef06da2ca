//! Semantic checks of a mapping file, each failing with the JSON pointer of the key at fault.

use super::config_error;
use super::spec::{
    companions_of, fields_of, required_of, FieldSpec, InputSpec, MappingFile,
    MAPPING_LANGUAGE_VERSION,
};
use crate::error::Result;

pub(super) fn validate(f: &MappingFile) -> Result<()> {
    if f.phrkit_mapping != MAPPING_LANGUAGE_VERSION {
        return Err(config_error(
            "/phrkit_mapping",
            format!("unsupported mapping language version; this phrkit reads version {MAPPING_LANGUAGE_VERSION}"),
        ));
    }
    if f.adapter.id.trim().is_empty() {
        return Err(config_error("/adapter/id", "adapter id must not be empty"));
    }
    let csv = matches!(f.input, InputSpec::Csv { .. });
    if let InputSpec::Csv { delimiter: Some(d) } = &f.input {
        if d.len() != 1 || !d.is_ascii() {
            return Err(config_error(
                "/input/delimiter",
                "delimiter must be one ASCII character",
            ));
        }
    }
    if f.records.is_empty() {
        return Err(config_error(
            "/records",
            "a mapping needs at least one record rule",
        ));
    }
    for (i, r) in f.records.iter().enumerate() {
        let at = |rest: &str| format!("/records/{i}{rest}");
        let Some(known) = fields_of(&r.record_type) else {
            return Err(config_error(
                at("/type"),
                "unknown record type; expected medication, immunization, expense, subject or measurement",
            ));
        };
        match (&r.items, csv) {
            (Some(_), true) => {
                return Err(config_error(
                    at("/items"),
                    "items applies to JSON input only; CSV rows are the items",
                ))
            }
            (Some(p), false) if !(p.is_empty() || p.starts_with('/')) => {
                return Err(config_error(
                    at("/items"),
                    "items must be a JSON pointer (empty or starting with /)",
                ))
            }
            _ => {}
        }
        for (name, spec) in &r.fields {
            let here = at(&format!(
                "/fields/{}",
                name.replace('~', "~0").replace('/', "~1")
            ));
            if !known.iter().any(|(k, _)| k == name) {
                let names: Vec<&str> = known.iter().map(|(k, _)| *k).collect();
                return Err(config_error(
                    here,
                    format!(
                        "{name} is not a field of {}; expected one of {}",
                        r.record_type,
                        names.join(", ")
                    ),
                ));
            }
            check_source(spec, csv, &here)?;
        }
        for alternatives in required_of(&r.record_type) {
            if !alternatives.iter().any(|a| r.fields.contains_key(*a)) {
                return Err(config_error(
                    at("/fields"),
                    format!(
                        "{} records need one of: {}",
                        r.record_type,
                        alternatives.join(", ")
                    ),
                ));
            }
        }
        for (field, needs) in companions_of(&r.record_type) {
            if r.fields.contains_key(*field) && !r.fields.contains_key(*needs) {
                return Err(config_error(
                    at(&format!("/fields/{field}")),
                    format!("{field} needs {needs} to be mapped too"),
                ));
            }
        }
    }
    Ok(())
}

fn check_source(spec: &FieldSpec, csv: bool, here: &str) -> Result<()> {
    let s = spec.source();
    let count = [s.key.is_some(), s.pointer.is_some(), s.constant.is_some()]
        .iter()
        .filter(|b| **b)
        .count();
    if count != 1 {
        return Err(config_error(
            here,
            "a field needs exactly one of key, pointer or const",
        ));
    }
    if s.key.as_deref().is_some_and(|k| k.trim().is_empty()) {
        return Err(config_error(here, "key must not be empty"));
    }
    if let Some(p) = &s.pointer {
        if csv {
            return Err(config_error(
                here,
                "pointer applies to JSON input only; use key for a CSV column",
            ));
        }
        if !p.starts_with('/') {
            return Err(config_error(here, "pointer must start with /"));
        }
    }
    if s.map.as_ref().is_some_and(|m| m.is_empty()) {
        return Err(config_error(here, "map must not be empty"));
    }
    Ok(())
}
