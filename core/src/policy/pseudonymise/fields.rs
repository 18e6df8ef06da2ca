//! Field visiting: each record type lists its fields once, with a path and a privacy class, and any
//! processor (the built-in profiles, custom rule files) acts on them through [`FieldVisitor`].
//!
//! Adding a record type (checkups, medications, immunizations, expenses …) means implementing
//! [`Pseudonymisable`] for it and adding one arm to [`as_pseudonymisable`]; the profiles need no change as
//! long as the new fields use the existing [`FieldClass`]es.

use std::sync::Arc;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::fhir::codes::{is_insured_id, INSURED_ID};
use crate::record::{
    AgeBand, Coding, Effective, Measurement, MeasurementValue, MetadataEntry, Period, Record,
    RecordError, SleepSession, SleepStageInterval, Source, Subject, Timestamp,
};

use super::pseudonym::Domain;

/// What kind of information a field holds; profiles decide by class, rule files by path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum FieldClass {
    /// 個人識別符号: insurer / insured numbers, My Number, passport, pension, licence numbers.
    IndividualCode,
    /// Identifiers that link to the person (medical-record or PHR patient ids).
    LinkId,
    /// Personal names.
    Name,
    /// Phone numbers, e-mail addresses.
    Contact,
    /// Street address below the prefecture.
    StreetAddress,
    /// Postal code.
    PostalCode,
    /// Prefecture.
    Region,
    /// Birth date.
    BirthDate,
    /// Administrative sex.
    Sex,
    /// When something happened (effective, issued, stage periods).
    EventTime,
    /// Free text (notes, source metadata values).
    FreeText,
    /// A source's own id of a sample.
    SourceRecordId,
    /// App and device names (may contain the owner's name: "Hanako's iPhone").
    DeviceName,
    /// A coded or enumerated value (workout activity type, HealthKit category value).
    CodedValue,
    /// A measured number.
    Measured,
}

/// One field: a stable dotted path (`subject.address.postalCode`) and its class.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Field {
    /// Path used by rule files and the change report.
    pub path: &'static str,
    /// Privacy class.
    pub class: FieldClass,
}

pub(crate) const fn f(path: &'static str, class: FieldClass) -> Field {
    Field { path, class }
}

/// What to do with an identifier.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IdAction {
    /// Keep it.
    Keep,
    /// Remove it.
    Remove,
    /// Replace it by this identifier (system + value).
    Replace(Coding),
}

/// Birth data of a subject as one unit, so a processor can trade a date for a year or an age band.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Birth {
    /// Exact date.
    pub date: Option<NaiveDate>,
    /// Year only.
    pub year: Option<i32>,
    /// Age band.
    pub age_band: Option<AgeBand>,
}

/// A processor of fields.
pub trait FieldVisitor {
    /// An identifier of a domain.
    fn identifier(&mut self, field: Field, domain: Domain, system: &str, value: &str) -> IdAction;
    /// A text field; set to `None` to remove it.
    fn text(&mut self, field: Field, value: &mut Option<String>);
    /// Birth data.
    fn birth(&mut self, field: Field, birth: &mut Birth);
    /// Whether to keep a field that can only be kept or removed (sex).
    fn keep(&mut self, field: Field) -> bool;
    /// An instant.
    fn timestamp(&mut self, field: Field, value: &mut Timestamp);
    /// A calendar date.
    fn date(&mut self, field: Field, value: &mut NaiveDate);
    /// A number.
    fn decimal(&mut self, field: Field, value: &mut Decimal);
    /// A shared source; `None` removes it. Gets the whole source so processors can cache by value.
    fn source(&mut self, field: Field, value: &Arc<Source>) -> Option<Arc<Source>>;
}

/// A record type whose fields can be visited.
pub trait Pseudonymisable {
    /// Visits every field that may carry personal information; rebuilds and re-validates the record.
    fn visit_fields(&mut self, v: &mut dyn FieldVisitor) -> Result<(), RecordError>;
}

/// The record as a [`Pseudonymisable`]; one arm per record type.
pub fn as_pseudonymisable(record: &mut Record) -> &mut dyn Pseudonymisable {
    match record {
        Record::Subject(s) => &mut **s,
        Record::Measurement(m) => m,
        Record::Checkup(c) => c.as_mut(),
        Record::Medication(m) => m,
        Record::Immunization(i) => i,
        Record::Expense(e) => e,
    }
}

/// Paths of the subject fields.
pub mod subject_fields {
    use super::{f, Field, FieldClass::*};
    /// Insured-person identifier.
    pub const INSURED_ID: Field = f("subject.insuredId", IndividualCode);
    /// Other identifiers.
    pub const IDENTIFIER: Field = f("subject.identifier", LinkId);
    /// An identifier under an insured-id system.
    pub const IDENTIFIER_INSURED: Field = f("subject.identifier", IndividualCode);
    /// Kanji name.
    pub const NAME_KANJI: Field = f("subject.name.kanji", Name);
    /// Kana name.
    pub const NAME_KANA: Field = f("subject.name.kana", Name);
    /// Birth.
    pub const BIRTH: Field = f("subject.birthDate", BirthDate);
    /// Sex.
    pub const SEX: Field = f("subject.sex", Sex);
    /// Postal code.
    pub const POSTAL_CODE: Field = f("subject.address.postalCode", PostalCode);
    /// Prefecture.
    pub const PREFECTURE: Field = f("subject.address.prefecture", Region);
    /// Street address.
    pub const ADDRESS_TEXT: Field = f("subject.address.text", StreetAddress);
}

/// Paths of the measurement fields.
pub mod measurement_fields {
    use super::{f, Field, FieldClass::*};
    /// Effective time.
    pub const EFFECTIVE: Field = f("measurement.effective", EventTime);
    /// Recorded (issued) time.
    pub const RECORDED: Field = f("measurement.recorded", EventTime);
    /// Source sample id.
    pub const IDENTIFIER: Field = f("measurement.identifier", SourceRecordId);
    /// Metadata values.
    pub const METADATA: Field = f("measurement.metadata", FreeText);
    /// Source (app, device).
    pub const SOURCE: Field = f("measurement.source", DeviceName);
    /// Quantity values.
    pub const VALUE: Field = f("measurement.value", Measured);
    /// Sleep stage times.
    pub const SLEEP_STAGES: Field = f("measurement.sleepStages", EventTime);
    /// Text values of unknown kinds.
    pub const VALUE_TEXT: Field = f("measurement.valueText", CodedValue);
    /// Workout activity.
    pub const WORKOUT_ACTIVITY: Field = f("measurement.workoutActivity", CodedValue);
}

impl Pseudonymisable for Subject {
    fn visit_fields(&mut self, v: &mut dyn FieldVisitor) -> Result<(), RecordError> {
        use subject_fields as sf;
        let mut identifiers = Vec::with_capacity(self.identifiers.len() + 1);
        if let Some(id) = self.insured_id.take() {
            match v.identifier(
                sf::INSURED_ID,
                Domain::InsuredId,
                INSURED_ID,
                &id.to_jp_core(),
            ) {
                IdAction::Keep => self.insured_id = Some(id),
                IdAction::Remove => {}
                IdAction::Replace(c) => identifiers.push(c),
            }
        }
        for c in std::mem::take(&mut self.identifiers) {
            let (field, domain) = if is_insured_id(&c.system) {
                (sf::IDENTIFIER_INSURED, Domain::InsuredId)
            } else {
                (sf::IDENTIFIER, Domain::PatientId)
            };
            match v.identifier(field, domain, &c.system, &c.code) {
                IdAction::Keep => identifiers.push(c),
                IdAction::Remove => {}
                IdAction::Replace(r) => identifiers.push(r),
            }
        }
        identifiers.dedup();
        self.identifiers = identifiers;
        visit_name(&mut self.name_kanji, sf::NAME_KANJI, v);
        visit_name(&mut self.name_kana, sf::NAME_KANA, v);
        let mut birth = Birth {
            date: self.birth_date,
            year: self.birth_year,
            age_band: self.age_band,
        };
        if birth != Birth::default() {
            v.birth(sf::BIRTH, &mut birth);
            self.birth_date = birth.date;
            self.birth_year = birth.year;
            self.age_band = birth.age_band;
        }
        if self.sex.is_some() && !v.keep(sf::SEX) {
            self.sex = None;
        }
        if let Some(mut a) = self.address.take() {
            v.text(sf::POSTAL_CODE, &mut a.postal_code);
            v.text(sf::PREFECTURE, &mut a.prefecture);
            v.text(sf::ADDRESS_TEXT, &mut a.text);
            if a.postal_code.is_some() || a.prefecture.is_some() || a.text.is_some() {
                self.address = Some(a);
            }
        }
        Ok(())
    }
}

fn visit_name(
    name: &mut Option<crate::record::PersonName>,
    field: Field,
    v: &mut dyn FieldVisitor,
) {
    let Some(n) = name.take() else { return };
    let mut text = Some(n.text.clone());
    v.text(field, &mut text);
    *name = match text {
        None => None,
        Some(t) if t == n.text => Some(n),
        Some(t) => Some(crate::record::PersonName::whole(&t)),
    };
}

impl Pseudonymisable for Measurement {
    fn visit_fields(&mut self, v: &mut dyn FieldVisitor) -> Result<(), RecordError> {
        use measurement_fields as mf;
        let mut effective = self.effective().clone();
        match &mut effective {
            Effective::Instant(t) => v.timestamp(mf::EFFECTIVE, t),
            Effective::Period(p) => *p = visit_period(p, mf::EFFECTIVE, v)?,
            Effective::Date(d) => v.date(mf::EFFECTIVE, d),
        }
        let value = visit_value(self.value(), v)?;
        let mut rebuilt = Measurement::new(self.kind().clone(), effective, value)?;
        if let Some(src) = self.source() {
            if let Some(s) = v.source(mf::SOURCE, src) {
                rebuilt = rebuilt.with_source(s);
            }
        }
        if let Some(r) = self.recorded() {
            let mut r = *r;
            v.timestamp(mf::RECORDED, &mut r);
            rebuilt = rebuilt.with_recorded(r);
        }
        let mut ident = self.identifier().map(str::to_owned);
        if ident.is_some() {
            v.text(mf::IDENTIFIER, &mut ident);
        }
        if let Some(i) = ident {
            rebuilt = rebuilt.with_identifier(i);
        }
        let mut metadata = Vec::with_capacity(self.metadata().len());
        for e in self.metadata() {
            let mut value = Some(e.value.clone());
            v.text(mf::METADATA, &mut value);
            if let Some(value) = value {
                metadata.push(MetadataEntry {
                    key: e.key.clone(),
                    value,
                });
            }
        }
        *self = rebuilt.with_metadata(metadata);
        Ok(())
    }
}

fn visit_period(p: &Period, field: Field, v: &mut dyn FieldVisitor) -> Result<Period, RecordError> {
    let (mut s, mut e) = (*p.start(), *p.end());
    v.timestamp(field, &mut s);
    v.timestamp(field, &mut e);
    Period::new(s, e)
}

fn visit_value(
    value: &MeasurementValue,
    v: &mut dyn FieldVisitor,
) -> Result<MeasurementValue, RecordError> {
    use measurement_fields as mf;
    let mut value = value.clone();
    match &mut value {
        MeasurementValue::Quantity(q) => v.decimal(mf::VALUE, &mut q.value),
        MeasurementValue::BloodPressure {
            systolic,
            diastolic,
        } => {
            v.decimal(mf::VALUE, systolic);
            v.decimal(mf::VALUE, diastolic);
        }
        MeasurementValue::Sleep(session) => {
            let mut stages = Vec::with_capacity(session.stages().len());
            for st in session.stages() {
                stages.push(SleepStageInterval {
                    stage: st.stage,
                    period: visit_period(&st.period, mf::SLEEP_STAGES, v)?,
                });
            }
            *session = SleepSession::new(stages)?;
        }
        MeasurementValue::Workout(w) => {
            let mut act = Some(w.activity.clone());
            v.text(mf::WORKOUT_ACTIVITY, &mut act);
            w.activity = act.unwrap_or_else(|| "unknown".to_owned());
            for q in [&mut w.duration, &mut w.energy, &mut w.distance]
                .into_iter()
                .flatten()
            {
                v.decimal(mf::VALUE, &mut q.value);
            }
        }
        MeasurementValue::Text(t) => {
            let mut s = Some(std::mem::take(t));
            v.text(mf::VALUE_TEXT, &mut s);
            *t = s.unwrap_or_default();
        } // MeasurementValue is non_exhaustive for other crates only; new shapes need an arm here.
    }
    Ok(value)
}
