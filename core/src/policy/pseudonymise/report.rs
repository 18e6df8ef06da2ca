//! The machine-readable account of a pseudonymisation run: counts per field and method, labels, and the
//! k-anonymity outcome. It never contains identifier values, only paths, method names and numbers.

use std::collections::BTreeMap;

use serde::Serialize;

/// A de-identification method (names as in the Microsoft FHIR anonymizer, so configs and reports align).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Method {
    /// Kept unchanged.
    Keep,
    /// Removed.
    Redact,
    /// Shifted by the per-person offset.
    DateShift,
    /// Replaced by a keyed pseudonym (HMAC-SHA256).
    CryptoHash,
    /// Encrypted (AES-256-GCM).
    Encrypt,
    /// Replaced by a fixed value.
    Substitute,
    /// Random noise added.
    Perturb,
    /// Generalised (year, age band, postal prefix, generic source, rounding).
    Generalize,
    /// Top/bottom coded (clamped to a percentile).
    TopBottomCode,
}

impl Method {
    /// The method's name in rule files and reports.
    pub fn name(self) -> &'static str {
        match self {
            Method::Keep => "keep",
            Method::Redact => "redact",
            Method::DateShift => "dateShift",
            Method::CryptoHash => "cryptoHash",
            Method::Encrypt => "encrypt",
            Method::Substitute => "substitute",
            Method::Perturb => "perturb",
            Method::Generalize => "generalize",
            Method::TopBottomCode => "topBottomCode",
        }
    }
}

/// The k-anonymity outcome of an anonymised extract.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct KAnonymityReport {
    /// Target k.
    pub k: usize,
    /// Quasi-identifiers used, by name.
    pub quasi_identifiers: Vec<String>,
    /// Smallest class size among released subjects (0 when none is released).
    pub achieved_k: usize,
    /// Class size → number of classes of that size, among released subjects.
    pub class_sizes: BTreeMap<usize, usize>,
    /// Subjects suppressed because their class was smaller than k.
    pub suppressed_subjects: u64,
    /// Records suppressed with them (subjects included).
    pub suppressed_records: u64,
    /// Average re-identification risk (mean of 1/class size over released subjects).
    pub average_risk: f64,
    /// Maximum re-identification risk (1/achieved_k).
    pub max_risk: f64,
}

/// What a run changed.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ChangeReport {
    /// Profile or rule set name (`pseudonymised`, `anonymised`, `rules`).
    pub profile: String,
    /// Key id of the key used (`ephemeral` for anonymised output, whose key is discarded).
    pub key_id: String,
    /// Records in.
    pub records_in: u64,
    /// Records out (records in minus suppressed and failed).
    pub records_out: u64,
    /// Records that could not be rebuilt after processing, by reason (counted, left out).
    pub failed: BTreeMap<String, u64>,
    /// Field path → method → count.
    pub fields: BTreeMap<String, BTreeMap<Method, u64>>,
    /// Security label code → resources labelled.
    pub labels: BTreeMap<String, u64>,
    /// Values top/bottom coded, by record type.
    pub top_bottom_coded: BTreeMap<String, u64>,
    /// k-anonymity outcome (anonymised profile only).
    pub k_anonymity: Option<KAnonymityReport>,
}

impl ChangeReport {
    /// Counts one application of `method` to `path`.
    pub fn count(&mut self, path: &str, method: Method) {
        let per = match self.fields.get_mut(path) {
            Some(p) => p,
            None => self.fields.entry(path.to_owned()).or_default(),
        };
        *per.entry(method).or_insert(0) += 1;
    }

    /// How often `method` was applied to `path`.
    pub fn get(&self, path: &str, method: Method) -> u64 {
        self.fields
            .get(path)
            .and_then(|m| m.get(&method))
            .copied()
            .unwrap_or(0)
    }

    /// The report as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}
