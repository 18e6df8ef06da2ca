//! FHIR R4 Consent (JP_Consent profile) ⇄ [`ConsentPolicy`].
//!
//! JP Core's `JP_Consent` is a placeholder without constraints, so phrkit adds its own on import
//! (`privacy.md` §1.1, §8.2): `status`, `scope` and at least one `category` are required (R4 1..1 / 1..*),
//! a `patient` is required for every scope (ppc-2…5, which standard validators do not enforce), and
//! `policy` or `policyRule` must be present (ppc-1). Errors carry a JSON pointer and never a value.
//! Elements phrkit does not model (`source[x]`, `verification`, extensions, text) are counted as ignored
//! in the [`Report`], not dropped silently.

use serde_json::{Map, Value};

use crate::error::{Error, Location, Result};
use crate::policy::consent::{
    CodeableConcept, ConsentPeriod, ConsentPolicy, ConsentStatus, DateBound, PolicyRef, Provision,
    ProvisionActor, ProvisionData, ProvisionType, Reference, JP_CONSENT_PROFILE,
};
use crate::record::Coding;
use crate::report::Report;

const FORMAT: &str = "FHIR Consent";
/// Largest Consent document accepted (consents are small; this bounds memory for hostile input).
pub const MAX_CONSENT_BYTES: usize = 1 << 20;
/// Deepest provision nesting accepted.
pub const MAX_PROVISION_DEPTH: usize = 16;

fn err(pointer: &str, reason: impl Into<String>) -> Error {
    Error::format(
        FORMAT,
        Location::JsonPointer {
            line: None,
            pointer: pointer.to_owned(),
        },
        reason,
    )
}

/// Reads and parses a FHIR R4 Consent from a stream (a file, an upload): at most [`MAX_CONSENT_BYTES`],
/// JSON strings and nesting checked while it is read.
pub fn read_consent(r: impl std::io::Read) -> Result<ConsentPolicy> {
    let rule = crate::read::guarded::TokenRule::Json(crate::fhir::JsonLimits::default());
    parse_consent(&crate::read::guarded::read_document(
        r,
        MAX_CONSENT_BYTES as u64,
        rule,
    )?)
}

/// Parses a FHIR R4 Consent (JSON) into a [`ConsentPolicy`].
pub fn parse_consent(bytes: &[u8]) -> Result<ConsentPolicy> {
    parse_consent_with_report(bytes, &mut Report::default())
}

/// As [`parse_consent`], counting elements phrkit does not model in `report.ignored_elements`.
pub fn parse_consent_with_report(bytes: &[u8], report: &mut Report) -> Result<ConsentPolicy> {
    if bytes.len() > MAX_CONSENT_BYTES {
        return Err(Error::limit(
            crate::error::Limit::DocumentBytes,
            MAX_CONSENT_BYTES as u64,
            Location::None,
        ));
    }
    let v: Value = serde_json::from_slice(bytes).map_err(|e| {
        Error::format(
            FORMAT,
            Location::LineColumn {
                line: e.line() as u64,
                column: e.column() as u64,
            },
            "not valid JSON",
        )
    })?;
    let mut p = Parser { report };
    p.consent(&v)
}

struct Parser<'r> {
    report: &'r mut Report,
}

fn obj<'a>(v: &'a Value, ptr: &str) -> Result<&'a Map<String, Value>> {
    v.as_object().ok_or_else(|| err(ptr, "expected an object"))
}

fn opt_str(o: &Map<String, Value>, key: &str, ptr: &str) -> Result<Option<String>> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(err(&format!("{ptr}/{key}"), "expected a string")),
    }
}

fn arr<'a>(o: &'a Map<String, Value>, key: &str, ptr: &str) -> Result<&'a [Value]> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(a)) => Ok(a),
        Some(_) => Err(err(&format!("{ptr}/{key}"), "expected an array")),
    }
}

fn coding(v: &Value, ptr: &str) -> Result<Coding> {
    let o = obj(v, ptr)?;
    let system = opt_str(o, "system", ptr)?.unwrap_or_default();
    let code = opt_str(o, "code", ptr)?
        .ok_or_else(|| err(&format!("{ptr}/code"), "coding without a code"))?;
    Ok(Coding {
        system,
        code,
        display: opt_str(o, "display", ptr)?,
    })
}

fn codeable(v: &Value, ptr: &str) -> Result<CodeableConcept> {
    let o = obj(v, ptr)?;
    let mut coding_v = Vec::new();
    for (i, c) in arr(o, "coding", ptr)?.iter().enumerate() {
        coding_v.push(coding(c, &format!("{ptr}/coding/{i}"))?);
    }
    Ok(CodeableConcept {
        coding: coding_v,
        text: opt_str(o, "text", ptr)?,
    })
}

fn reference(v: &Value, ptr: &str) -> Result<Reference> {
    let o = obj(v, ptr)?;
    let identifier = match o.get("identifier") {
        None => None,
        Some(i) => Some(identifier(i, &format!("{ptr}/identifier"))?),
    };
    let r = Reference {
        reference: opt_str(o, "reference", ptr)?,
        identifier,
        display: opt_str(o, "display", ptr)?,
    };
    if r.reference.is_none() && r.identifier.is_none() && r.display.is_none() {
        return Err(err(ptr, "empty reference"));
    }
    Ok(r)
}

fn identifier(v: &Value, ptr: &str) -> Result<Coding> {
    let o = obj(v, ptr)?;
    Ok(Coding::new(
        opt_str(o, "system", ptr)?.unwrap_or_default(),
        opt_str(o, "value", ptr)?
            .ok_or_else(|| err(&format!("{ptr}/value"), "identifier without a value"))?,
    ))
}

fn period(v: &Value, ptr: &str) -> Result<ConsentPeriod> {
    let o = obj(v, ptr)?;
    let bound = |key: &str| -> Result<Option<DateBound>> {
        match opt_str(o, key, ptr)? {
            None => Ok(None),
            Some(s) => DateBound::parse(&s)
                .map(Some)
                .ok_or_else(|| err(&format!("{ptr}/{key}"), "not a FHIR date or dateTime")),
        }
    };
    let p = ConsentPeriod {
        start: bound("start")?,
        end: bound("end")?,
    };
    if let (Some(s), Some(e)) = (&p.start, &p.end) {
        if e.last() < s.first() {
            return Err(err(ptr, "period ends before it starts"));
        }
    }
    Ok(p)
}

impl Parser<'_> {
    fn ignore_unknown(&mut self, o: &Map<String, Value>, known: &[&str], path: &str) {
        for k in o.keys() {
            if !known.contains(&k.as_str()) {
                self.report.ignore_element(&format!("{path}.{k}"));
            }
        }
    }

    fn consent(&mut self, v: &Value) -> Result<ConsentPolicy> {
        let o = obj(v, "")?;
        if o.get("resourceType").and_then(Value::as_str) != Some("Consent") {
            return Err(err("/resourceType", "not a Consent resource"));
        }
        self.ignore_unknown(
            o,
            &[
                "resourceType",
                "id",
                "meta",
                "identifier",
                "status",
                "scope",
                "category",
                "patient",
                "dateTime",
                "performer",
                "organization",
                "policy",
                "policyRule",
                "provision",
            ],
            "Consent",
        );
        let status_s =
            opt_str(o, "status", "")?.ok_or_else(|| err("/status", "status is required"))?;
        let status = ConsentStatus::from_code(&status_s)
            .ok_or_else(|| err("/status", "unknown consent status code"))?;
        let scope = codeable(
            o.get("scope")
                .ok_or_else(|| err("/scope", "scope is required"))?,
            "/scope",
        )?;
        let mut c = ConsentPolicy::new(status, scope);
        c.profile.clear();
        c.id = opt_str(o, "id", "")?;
        if let Some(meta) = o.get("meta") {
            let m = obj(meta, "/meta")?;
            for (i, p) in arr(m, "profile", "/meta")?.iter().enumerate() {
                let s = p
                    .as_str()
                    .ok_or_else(|| err(&format!("/meta/profile/{i}"), "expected a string"))?;
                c.profile.push(s.to_owned());
            }
        }
        for (i, x) in arr(o, "identifier", "")?.iter().enumerate() {
            c.identifier
                .push(identifier(x, &format!("/identifier/{i}"))?);
        }
        for (i, x) in arr(o, "category", "")?.iter().enumerate() {
            c.category.push(codeable(x, &format!("/category/{i}"))?);
        }
        if c.category.is_empty() {
            return Err(err("/category", "at least one category is required"));
        }
        c.patient = match o.get("patient") {
            Some(p) => Some(reference(p, "/patient")?),
            None => {
                return Err(err(
                    "/patient",
                    "patient is required for every scope (ppc-2..5)",
                ))
            }
        };
        c.date_time = opt_str(o, "dateTime", "")?;
        if let Some(dt) = &c.date_time {
            if DateBound::parse(dt).is_none() {
                return Err(err("/dateTime", "not a FHIR dateTime"));
            }
        }
        for (i, x) in arr(o, "performer", "")?.iter().enumerate() {
            c.performer.push(reference(x, &format!("/performer/{i}"))?);
        }
        for (i, x) in arr(o, "organization", "")?.iter().enumerate() {
            c.organization
                .push(reference(x, &format!("/organization/{i}"))?);
        }
        for (i, x) in arr(o, "policy", "")?.iter().enumerate() {
            let ptr = format!("/policy/{i}");
            let po = obj(x, &ptr)?;
            c.policy.push(PolicyRef {
                authority: opt_str(po, "authority", &ptr)?,
                uri: opt_str(po, "uri", &ptr)?,
            });
        }
        if let Some(pr) = o.get("policyRule") {
            c.policy_rule = Some(codeable(pr, "/policyRule")?);
        }
        if c.policy.is_empty() && c.policy_rule.is_none() {
            return Err(err("/policy", "policy or policyRule is required (ppc-1)"));
        }
        if let Some(p) = o.get("provision") {
            c.provision = Some(self.provision(p, "/provision", 0)?);
        }
        Ok(c)
    }

    fn provision(&mut self, v: &Value, ptr: &str, depth: usize) -> Result<Provision> {
        if depth >= MAX_PROVISION_DEPTH {
            return Err(Error::limit(
                crate::error::Limit::Depth,
                MAX_PROVISION_DEPTH as u64,
                Location::JsonPointer {
                    line: None,
                    pointer: ptr.to_owned(),
                },
            ));
        }
        let o = obj(v, ptr)?;
        self.ignore_unknown(
            o,
            &[
                "type",
                "period",
                "actor",
                "action",
                "securityLabel",
                "purpose",
                "class",
                "code",
                "dataPeriod",
                "data",
                "provision",
            ],
            "Consent.provision",
        );
        let mut p = Provision {
            r#type: match opt_str(o, "type", ptr)?.as_deref() {
                None => None,
                Some("permit") => Some(ProvisionType::Permit),
                Some("deny") => Some(ProvisionType::Deny),
                Some(_) => return Err(err(&format!("{ptr}/type"), "type must be permit or deny")),
            },
            ..Provision::default()
        };
        if let Some(x) = o.get("period") {
            p.period = Some(period(x, &format!("{ptr}/period"))?);
        }
        if let Some(x) = o.get("dataPeriod") {
            p.data_period = Some(period(x, &format!("{ptr}/dataPeriod"))?);
        }
        for (i, a) in arr(o, "actor", ptr)?.iter().enumerate() {
            let ap = format!("{ptr}/actor/{i}");
            let ao = obj(a, &ap)?;
            let role = ao
                .get("role")
                .ok_or_else(|| err(&format!("{ap}/role"), "actor role is required"))?;
            let r = ao
                .get("reference")
                .ok_or_else(|| err(&format!("{ap}/reference"), "actor reference is required"))?;
            p.actor.push(ProvisionActor {
                role: codeable(role, &format!("{ap}/role"))?,
                reference: reference(r, &format!("{ap}/reference"))?,
            });
        }
        for (i, x) in arr(o, "action", ptr)?.iter().enumerate() {
            p.action.push(codeable(x, &format!("{ptr}/action/{i}"))?);
        }
        for (i, x) in arr(o, "securityLabel", ptr)?.iter().enumerate() {
            p.security_label
                .push(coding(x, &format!("{ptr}/securityLabel/{i}"))?);
        }
        for (i, x) in arr(o, "purpose", ptr)?.iter().enumerate() {
            p.purpose.push(coding(x, &format!("{ptr}/purpose/{i}"))?);
        }
        for (i, x) in arr(o, "class", ptr)?.iter().enumerate() {
            p.class.push(coding(x, &format!("{ptr}/class/{i}"))?);
        }
        for (i, x) in arr(o, "code", ptr)?.iter().enumerate() {
            p.code.push(codeable(x, &format!("{ptr}/code/{i}"))?);
        }
        for (i, d) in arr(o, "data", ptr)?.iter().enumerate() {
            let dp = format!("{ptr}/data/{i}");
            let dobj = obj(d, &dp)?;
            let meaning = opt_str(dobj, "meaning", &dp)?
                .ok_or_else(|| err(&format!("{dp}/meaning"), "data meaning is required"))?;
            let r = dobj
                .get("reference")
                .ok_or_else(|| err(&format!("{dp}/reference"), "data reference is required"))?;
            p.data.push(ProvisionData {
                meaning,
                reference: reference(r, &format!("{dp}/reference"))?,
            });
        }
        for (i, x) in arr(o, "provision", ptr)?.iter().enumerate() {
            p.provision
                .push(self.provision(x, &format!("{ptr}/provision/{i}"), depth + 1)?);
        }
        Ok(p)
    }
}

// ---- export ----

fn put_str(m: &mut Map<String, Value>, key: &str, v: &Option<String>) {
    if let Some(s) = v {
        m.insert(key.to_owned(), Value::String(s.clone()));
    }
}

fn coding_json(c: &Coding) -> Value {
    let mut m = Map::new();
    if !c.system.is_empty() {
        m.insert("system".into(), Value::String(c.system.clone()));
    }
    m.insert("code".into(), Value::String(c.code.clone()));
    put_str(&mut m, "display", &c.display);
    Value::Object(m)
}

fn codeable_json(c: &CodeableConcept) -> Value {
    let mut m = Map::new();
    if !c.coding.is_empty() {
        m.insert(
            "coding".into(),
            Value::Array(c.coding.iter().map(coding_json).collect()),
        );
    }
    put_str(&mut m, "text", &c.text);
    Value::Object(m)
}

fn identifier_json(c: &Coding) -> Value {
    let mut m = Map::new();
    if !c.system.is_empty() {
        m.insert("system".into(), Value::String(c.system.clone()));
    }
    m.insert("value".into(), Value::String(c.code.clone()));
    Value::Object(m)
}

fn reference_json(r: &Reference) -> Value {
    let mut m = Map::new();
    put_str(&mut m, "reference", &r.reference);
    if let Some(i) = &r.identifier {
        m.insert("identifier".into(), identifier_json(i));
    }
    put_str(&mut m, "display", &r.display);
    Value::Object(m)
}

fn period_json(p: &ConsentPeriod) -> Value {
    let mut m = Map::new();
    if let Some(s) = &p.start {
        m.insert("start".into(), Value::String(s.text().to_owned()));
    }
    if let Some(e) = &p.end {
        m.insert("end".into(), Value::String(e.text().to_owned()));
    }
    Value::Object(m)
}

fn list<T>(m: &mut Map<String, Value>, key: &str, items: &[T], f: impl Fn(&T) -> Value) {
    if !items.is_empty() {
        m.insert(key.to_owned(), Value::Array(items.iter().map(f).collect()));
    }
}

fn provision_json(p: &Provision) -> Value {
    let mut m = Map::new();
    if let Some(t) = p.r#type {
        m.insert("type".into(), Value::String(t.code().to_owned()));
    }
    if let Some(x) = &p.period {
        m.insert("period".into(), period_json(x));
    }
    list(
        &mut m,
        "actor",
        &p.actor,
        |a| serde_json::json!({ "role": codeable_json(&a.role), "reference": reference_json(&a.reference) }),
    );
    list(&mut m, "action", &p.action, codeable_json);
    list(&mut m, "securityLabel", &p.security_label, coding_json);
    list(&mut m, "purpose", &p.purpose, coding_json);
    list(&mut m, "class", &p.class, coding_json);
    list(&mut m, "code", &p.code, codeable_json);
    if let Some(x) = &p.data_period {
        m.insert("dataPeriod".into(), period_json(x));
    }
    list(
        &mut m,
        "data",
        &p.data,
        |d| serde_json::json!({ "meaning": d.meaning, "reference": reference_json(&d.reference) }),
    );
    list(&mut m, "provision", &p.provision, provision_json);
    Value::Object(m)
}

/// The Consent as a FHIR R4 JSON value (JP_Consent profile when the policy names no profile).
pub fn consent_to_value(c: &ConsentPolicy) -> Value {
    let mut m = Map::new();
    m.insert("resourceType".into(), Value::String("Consent".into()));
    put_str(&mut m, "id", &c.id);
    let profiles: Vec<Value> = if c.profile.is_empty() {
        vec![Value::String(JP_CONSENT_PROFILE.into())]
    } else {
        c.profile.iter().map(|p| Value::String(p.clone())).collect()
    };
    m.insert(
        "meta".into(),
        serde_json::json!({ "profile": Value::Array(profiles) }),
    );
    list(&mut m, "identifier", &c.identifier, identifier_json);
    m.insert("status".into(), Value::String(c.status.code().into()));
    m.insert("scope".into(), codeable_json(&c.scope));
    list(&mut m, "category", &c.category, codeable_json);
    if let Some(p) = &c.patient {
        m.insert("patient".into(), reference_json(p));
    }
    put_str(&mut m, "dateTime", &c.date_time);
    list(&mut m, "performer", &c.performer, reference_json);
    list(&mut m, "organization", &c.organization, reference_json);
    list(&mut m, "policy", &c.policy, |p| {
        let mut pm = Map::new();
        put_str(&mut pm, "authority", &p.authority);
        put_str(&mut pm, "uri", &p.uri);
        Value::Object(pm)
    });
    if let Some(pr) = &c.policy_rule {
        m.insert("policyRule".into(), codeable_json(pr));
    }
    if let Some(p) = &c.provision {
        m.insert("provision".into(), provision_json(p));
    }
    Value::Object(m)
}

/// The Consent as compact FHIR R4 JSON bytes (deterministic: keys sorted).
pub fn write_consent(c: &ConsentPolicy) -> Vec<u8> {
    // Serialising a Value built from strings cannot fail; an empty vector would only hide a serde bug.
    serde_json::to_vec(&consent_to_value(c)).unwrap_or_default()
}
