//! What happened during a read or write: counts per type, everything skipped by reason, and issues.
//!
//! "Nothing lost silently" is a number here: for every input, `items_read == converted + skipped total`,
//! and tests assert it.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::error::Location;

/// How serious an issue is (google/fhir's meanings).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Informational: something was normalised (a unit converted, a control character removed).
    Info,
    /// Kept, but worth knowing (an element phrkit does not model was ignored).
    Warning,
    /// The item was rejected and counted as skipped.
    Error,
}

impl Severity {
    /// The lowercase name (`info`, `warning`, `error`), as serialised.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// One problem found, with where and why; never with values from the input.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Issue {
    /// Severity.
    pub severity: Severity,
    /// A stable machine code (`unknown-resource-type`, `invalid-record` …).
    pub code: String,
    /// Where.
    #[serde(serialize_with = "ser_location")]
    pub location: Location,
    /// Why, in words (no input values).
    pub message: String,
}

fn ser_location<S: serde::Serializer>(l: &Location, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(l)
}

/// Issues kept in full; beyond this only counts grow (a million bad lines must not exhaust memory).
pub const MAX_ISSUES_KEPT: usize = 1000;

/// The account of one read or write.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Input items seen (resources, XML records, CSV rows …), whatever became of them.
    pub items_read: u64,
    /// Records produced (or, for writers, resources written).
    pub converted: u64,
    /// Items not converted, by reason code.
    pub skipped: BTreeMap<String, u64>,
    /// Input elements or fields phrkit does not model and ignored, by path (`Observation.note`), with counts.
    pub ignored_elements: BTreeMap<String, u64>,
    /// Records produced, by record type.
    pub by_type: BTreeMap<String, u64>,
    /// Records, by record type, that overlap a record of the same kind written by another source
    /// (filled by the deduplication stage, `policy::dedup`; empty when the stage did not run). Whether they
    /// were kept or dropped depends on the strategy: dropped ones are also counted in `skipped`.
    pub duplicates: BTreeMap<String, u64>,
    /// The first [`MAX_ISSUES_KEPT`] issues.
    pub issues: Vec<Issue>,
    /// Issues not kept because of the cap.
    pub issues_dropped: u64,
}

impl Report {
    /// Counts one skipped item under a reason code and records an issue.
    pub fn skip(&mut self, reason: &str, location: Location, message: impl Into<String>) {
        *self.skipped.entry(reason.to_owned()).or_insert(0) += 1;
        self.issue(Severity::Error, reason, location, message);
    }

    /// Records an issue without changing counts.
    pub fn issue(
        &mut self,
        severity: Severity,
        code: &str,
        location: Location,
        message: impl Into<String>,
    ) {
        if self.issues.len() < MAX_ISSUES_KEPT {
            self.issues.push(Issue {
                severity,
                code: code.to_owned(),
                location,
                message: message.into(),
            });
        } else {
            self.issues_dropped += 1;
        }
    }

    /// Counts an ignored element path.
    pub fn ignore_element(&mut self, path: &str) {
        self.ignore_elements(path, 1);
    }

    /// Counts `n` ignored elements at one path (nothing if `n` is 0).
    pub fn ignore_elements(&mut self, path: &str, n: u64) {
        if n == 0 {
            return;
        }
        if let Some(count) = self.ignored_elements.get_mut(path) {
            *count += n;
        } else {
            self.ignored_elements.insert(path.to_owned(), n);
        }
    }

    /// Counts one converted record of a type.
    pub fn converted(&mut self, type_name: &str) {
        self.converted += 1;
        if let Some(n) = self.by_type.get_mut(type_name) {
            *n += 1;
        } else {
            self.by_type.insert(type_name.to_owned(), 1);
        }
    }

    /// Total skipped items.
    pub fn skipped_total(&self) -> u64 {
        self.skipped.values().sum()
    }

    /// Whether every item read is accounted for as converted or skipped.
    pub fn is_balanced(&self) -> bool {
        self.items_read == self.converted + self.skipped_total()
    }

    /// Adds another report's counts into this one (multi-file inputs).
    pub fn merge(&mut self, other: Report) {
        self.items_read += other.items_read;
        self.converted += other.converted;
        for (k, v) in other.skipped {
            *self.skipped.entry(k).or_insert(0) += v;
        }
        for (k, v) in other.ignored_elements {
            *self.ignored_elements.entry(k).or_insert(0) += v;
        }
        for (k, v) in other.by_type {
            *self.by_type.entry(k).or_insert(0) += v;
        }
        for (k, v) in other.duplicates {
            *self.duplicates.entry(k).or_insert(0) += v;
        }
        for i in other.issues {
            if self.issues.len() < MAX_ISSUES_KEPT {
                self.issues.push(i);
            } else {
                self.issues_dropped += 1;
            }
        }
        self.issues_dropped += other.issues_dropped;
    }
}
