//! 匿名加工情報 (規則34条): the anonymised profile over a whole extract.
//!
//! Needs the whole extract (outlier percentiles and class sizes are properties of the set), so it works on
//! a batch. Steps: field rules of [`Profile::Anonymised`] under a fresh random key that is dropped at the
//! end (ids link records within this export only — no linking code survives, 34条-3); top/bottom coding of
//! quantity values outside the chosen percentiles per record type and unit (34条-4); k-anonymity over the
//! chosen quasi-identifiers with suppression of every subject (and its records) in a class smaller than k
//! (34条-5). The run fails when suppression would exceed the allowed fraction.

use std::collections::{BTreeMap, HashMap};

use rust_decimal::Decimal;

use crate::error::{ErrorKind, Location, Result};
use crate::record::{AgeBand, MeasurementValue, Record, Sex};

use super::engine::{Profile, PseudonymiseOptions, OBSERVATION_VALUE};
use super::key::PseudonymKey;
use super::pseudonymiser::{Labelled, Pseudonymiser};
use super::report::{ChangeReport, KAnonymityReport, Method};

/// A quasi-identifier of a subject (after generalisation).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum QuasiIdentifier {
    /// Age band.
    AgeBand,
    /// Administrative sex.
    Sex,
    /// Prefecture.
    Prefecture,
}

impl QuasiIdentifier {
    /// Name for reports.
    pub fn name(self) -> &'static str {
        match self {
            QuasiIdentifier::AgeBand => "ageBand",
            QuasiIdentifier::Sex => "sex",
            QuasiIdentifier::Prefecture => "prefecture",
        }
    }
}

/// Options of [`anonymise`].
#[derive(Clone, Debug)]
pub struct AnonymiseOptions {
    /// Field-rule options (reference date for age bands, date shift).
    pub fields: PseudonymiseOptions,
    /// Target k.
    pub k: usize,
    /// Quasi-identifiers forming the equivalence classes.
    pub quasi_identifiers: Vec<QuasiIdentifier>,
    /// Fraction coded at each tail of every (record type, unit) value distribution (0.01 = 1st/99th
    /// percentile). Groups too small to have such a tail are left alone.
    pub outlier_fraction: f64,
    /// Largest fraction of subjects that may be suppressed; above it the run fails.
    pub max_suppressed_fraction: f64,
}

impl AnonymiseOptions {
    /// Defaults: k = 5 over age band, sex and prefecture; 1 % tails; at most 10 % of subjects suppressed.
    pub fn new(fields: PseudonymiseOptions) -> AnonymiseOptions {
        AnonymiseOptions {
            fields,
            k: 5,
            quasi_identifiers: vec![
                QuasiIdentifier::AgeBand,
                QuasiIdentifier::Sex,
                QuasiIdentifier::Prefecture,
            ],
            outlier_fraction: 0.01,
            max_suppressed_fraction: 0.10,
        }
    }
}

/// One subject and the records that follow it.
struct Block {
    items: Vec<Labelled>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum QiValue {
    Band(Option<AgeBand>),
    Sex(Option<&'static str>),
    Text(Option<String>),
}

fn sex_code(s: Option<Sex>) -> Option<&'static str> {
    s.map(Sex::code)
}

fn qi_tuple(block: &Block, qis: &[QuasiIdentifier]) -> Vec<QiValue> {
    let subject = block.items.first().and_then(|l| record_subject(&l.record));
    qis.iter()
        .map(|q| match q {
            QuasiIdentifier::AgeBand => QiValue::Band(subject.and_then(|s| s.age_band)),
            QuasiIdentifier::Sex => QiValue::Sex(sex_code(subject.and_then(|s| s.sex))),
            QuasiIdentifier::Prefecture => QiValue::Text(
                subject.and_then(|s| s.address.as_ref().and_then(|a| a.prefecture.clone())),
            ),
        })
        .collect()
}

/// The subject a record carries: a Subject record, or a checkup's own subject.
fn record_subject(r: &Record) -> Option<&crate::record::Subject> {
    match r {
        Record::Subject(s) => Some(s),
        Record::Checkup(c) => Some(&c.subject),
        _ => None,
    }
}

/// Whether a processed record starts a new block: every Subject does; a checkup does unless it belongs
/// to the current block's subject (same processed subject); other records join the current block.
fn starts_block(l: &Labelled, blocks: &[Block]) -> bool {
    let current = blocks
        .last()
        .and_then(|b| b.items.first())
        .and_then(|f| record_subject(&f.record));
    match &l.record {
        Record::Subject(_) => true,
        Record::Checkup(c) => current != Some(&c.subject),
        _ => blocks.is_empty(),
    }
}

/// Anonymises an extract. Returns the released records with their labels and the change report
/// (including the k-anonymity outcome).
pub fn anonymise<I>(records: I, opts: &AnonymiseOptions) -> Result<(Vec<Labelled>, ChangeReport)>
where
    I: IntoIterator<Item = Record>,
{
    let key = PseudonymKey::generate()?;
    let mut p = Pseudonymiser::new(&key, Profile::Anonymised, opts.fields.clone())?;
    drop(key);
    p.set_key_id("ephemeral");
    let mut blocks: Vec<Block> = Vec::new();
    let mut placeholders = 0u64;
    for r in records {
        let Some(l) = p.apply(r)? else { continue };
        if starts_block(&l, &blocks) {
            let mut items = Vec::new();
            if record_subject(&l.record).is_none() {
                // Records before any subject get an empty subject of their own, so that after shuffling
                // they cannot end up attributed to someone else.
                items.push(Labelled {
                    record: Record::from(crate::record::Subject::default()),
                    labels: l.labels.iter().take(1).cloned().collect(),
                });
                placeholders += 1;
            }
            blocks.push(Block { items });
        }
        if let Some(b) = blocks.last_mut() {
            b.items.push(l);
        }
    }
    top_bottom_code(&mut blocks, opts.outlier_fraction, p.report_mut());
    let kreport = enforce_k(&mut blocks, opts)?;
    shuffle(&mut blocks)?;
    let mut report = p.report();
    let coded: u64 = report.top_bottom_coded.values().sum();
    if coded > 0 {
        *report
            .fields
            .entry("measurement.value".to_owned())
            .or_default()
            .entry(Method::TopBottomCode)
            .or_insert(0) += coded;
    }
    report.records_out = report.records_out + placeholders - kreport.suppressed_records;
    let anonyed = report.labels.entry("ANONYED".to_owned()).or_insert(0);
    *anonyed = *anonyed + placeholders - kreport.suppressed_records;
    report.k_anonymity = Some(kreport);
    let out: Vec<Labelled> = blocks.into_iter().flat_map(|b| b.items).collect();
    Ok((out, report))
}

/// Puts subjects in random order (NII report 2(7)②(イ): output order must not follow the original ids
/// or registration order).
fn shuffle(blocks: &mut [Block]) -> Result<()> {
    use ring::rand::SecureRandom;
    let rng = ring::rand::SystemRandom::new();
    for i in (1..blocks.len()).rev() {
        let mut b = [0u8; 8];
        rng.fill(&mut b)
            .map_err(|_| ErrorKind::Key("system random generator failed".into()))?;
        let j = (u64::from_le_bytes(b) % (i as u64 + 1)) as usize;
        blocks.swap(i, j);
    }
    Ok(())
}

/// Clamps quantity values outside the tails of their (type, unit) distribution.
fn top_bottom_code(blocks: &mut [Block], fraction: f64, report: &mut ChangeReport) {
    let mut values: HashMap<(String, &'static str), Vec<Decimal>> = HashMap::new();
    for l in blocks.iter().flat_map(|b| b.items.iter()) {
        if let Record::Measurement(m) = &l.record {
            if let MeasurementValue::Quantity(q) = m.value() {
                values
                    .entry((l.record.type_name().into_owned(), q.unit.ucum()))
                    .or_default()
                    .push(q.value);
            }
        }
    }
    let mut bounds: HashMap<(String, &'static str), (Decimal, Decimal)> = HashMap::new();
    for (k, mut v) in values {
        let tail = (v.len() as f64 * fraction).floor() as usize;
        if tail == 0 {
            continue;
        }
        v.sort();
        if let (Some(lo), Some(hi)) = (v.get(tail), v.get(v.len() - 1 - tail)) {
            bounds.insert(k, (*lo, *hi));
        }
    }
    if bounds.is_empty() {
        return;
    }
    for l in blocks.iter_mut().flat_map(|b| b.items.iter_mut()) {
        let type_name = l.record.type_name().into_owned();
        let Record::Measurement(m) = &mut l.record else {
            continue;
        };
        let MeasurementValue::Quantity(q) = m.value() else {
            continue;
        };
        let Some((lo, hi)) = bounds.get(&(type_name.clone(), q.unit.ucum())) else {
            continue;
        };
        let clamped = q.value.clamp(*lo, *hi);
        if clamped == q.value {
            continue;
        }
        let mut nq = q.clone();
        nq.value = clamped;
        if m.set_value(MeasurementValue::Quantity(nq)).is_ok() {
            *report.top_bottom_coded.entry(type_name).or_insert(0) += 1;
            let abstred = crate::record::Coding::new(OBSERVATION_VALUE, "ABSTRED");
            if !l.labels.contains(&abstred) {
                l.labels.push(abstred);
                *report.labels.entry("ABSTRED".to_owned()).or_insert(0) += 1;
            }
        }
    }
}

/// Suppresses subjects in classes smaller than k; measures the released classes.
fn enforce_k(blocks: &mut Vec<Block>, opts: &AnonymiseOptions) -> Result<KAnonymityReport> {
    let tuples: Vec<Vec<QiValue>> = blocks
        .iter()
        .map(|b| qi_tuple(b, &opts.quasi_identifiers))
        .collect();
    let mut sizes: HashMap<&Vec<QiValue>, usize> = HashMap::new();
    for t in &tuples {
        *sizes.entry(t).or_insert(0) += 1;
    }
    let keep: Vec<bool> = tuples
        .iter()
        .map(|t| sizes.get(t).copied().unwrap_or(0) >= opts.k)
        .collect();
    let total = blocks.len();
    let suppressed = keep.iter().filter(|k| !**k).count();
    if total > 0 && suppressed as f64 / total as f64 > opts.max_suppressed_fraction {
        return Err(ErrorKind::Config {
            location: Location::None,
            reason: format!(
                "k-anonymity (k = {}) needs {} of {} subjects suppressed, above the allowed fraction {}",
                opts.k, suppressed, total, opts.max_suppressed_fraction
            ),
        }
        .into());
    }
    let mut report = KAnonymityReport {
        k: opts.k,
        quasi_identifiers: opts
            .quasi_identifiers
            .iter()
            .map(|q| q.name().to_owned())
            .collect(),
        suppressed_subjects: suppressed as u64,
        ..KAnonymityReport::default()
    };
    let mut released: BTreeMap<&Vec<QiValue>, usize> = BTreeMap::new();
    for (t, k) in tuples.iter().zip(&keep) {
        if *k {
            *released.entry(t).or_insert(0) += 1;
        }
    }
    for n in released.values() {
        *report.class_sizes.entry(*n).or_insert(0) += 1;
    }
    report.achieved_k = released.values().copied().min().unwrap_or(0);
    let released_subjects: usize = released.values().sum();
    if released_subjects > 0 {
        report.average_risk = released.len() as f64 / released_subjects as f64;
        report.max_risk = 1.0 / report.achieved_k as f64;
    }
    let mut i = 0;
    blocks.retain(|b| {
        let k = keep.get(i).copied().unwrap_or(false);
        i += 1;
        if !k {
            report.suppressed_records += b.items.len() as u64;
        }
        k
    });
    Ok(report)
}
