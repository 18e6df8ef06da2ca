//! Field lists of the checkup and care record types (特定健診, medications, immunizations, expenses), so
//! every record family goes through the same profiles and rule files as lifelog data.
//!
//! Drugs, vaccines, results and institutions are the data itself and are kept; what can single a person
//! out — their subject, identifiers, free text, dates — is visited.

use chrono::{Datelike, NaiveDate};

use super::fields::{f, subject_fields, Field, FieldClass::*, FieldVisitor, Pseudonymisable};
use crate::record::{
    CareDate, CheckupReport, CheckupValue, Immunization, MedicalExpense, MedicationDispense,
    MetadataEntry, RecordError, YearMonth,
};

/// Paths of the checkup fields.
pub mod checkup_fields {
    use super::*;
    /// Insurer number on the report header.
    pub const INSURER_NUMBER: Field = f("checkup.insurerNumber", IndividualCode);
    /// Document id (links the report to its sender's records).
    pub const DOCUMENT_ID: Field = f("checkup.documentId", LinkId);
    /// Exam date.
    pub const EXAM_DATE: Field = f("checkup.examDate", EventTime);
    /// Document creation date.
    pub const CREATED: Field = f("checkup.created", EventTime);
    /// Author time as written (removed when dates are shifted, so it cannot reveal the offset).
    pub const AUTHOR_TIME: Field = f("checkup.authorTime", EventTime);
    /// 受診券 number.
    pub const TICKET_NUMBER: Field = f("checkup.ticket.number", IndividualCode);
    /// 受診券 expiry.
    pub const TICKET_EXPIRY: Field = f("checkup.ticket.expiry", EventTime);
    /// Free-text results (所見, comments).
    pub const RESULT_TEXT: Field = f("checkup.result.text", FreeText);
    /// Date results (撮影年月日).
    pub const RESULT_DATE: Field = f("checkup.result.date", EventTime);
    /// Names of result authors (physicians).
    pub const RESULT_AUTHOR: Field = f("checkup.result.authorName", Name);
}

/// Paths of the care-record fields.
pub mod care_paths {
    use super::*;
    /// Prescribing date.
    pub const PRESCRIBED: Field = f("medication.prescribed", EventTime);
    /// Dispensing date.
    pub const DISPENSED: Field = f("medication.dispensed", EventTime);
    /// Unmodelled source fields.
    pub const MEDICATION_EXTRA: Field = f("medication.extra", FreeText);
    /// Vaccination time.
    pub const OCCURRED: Field = f("immunization.occurred", EventTime);
    /// Next due date.
    pub const NEXT_DUE: Field = f("immunization.nextDue", EventTime);
    /// Unmodelled source fields.
    pub const IMMUNIZATION_EXTRA: Field = f("immunization.extra", FreeText);
    /// Month of care.
    pub const CARE_MONTH: Field = f("expense.month", EventTime);
    /// Notice date.
    pub const NOTICE_DATE: Field = f("expense.noticeDate", EventTime);
    /// Unmodelled source fields.
    pub const EXPENSE_EXTRA: Field = f("expense.extra", FreeText);
}

fn visit_date(d: &mut Option<NaiveDate>, field: Field, v: &mut dyn FieldVisitor) {
    if let Some(d) = d {
        v.date(field, d);
    }
}

fn visit_extra(extra: &mut Vec<MetadataEntry>, field: Field, v: &mut dyn FieldVisitor) {
    let mut kept = Vec::with_capacity(extra.len());
    for e in extra.drain(..) {
        let mut value = Some(e.value);
        v.text(field, &mut value);
        if let Some(value) = value {
            kept.push(MetadataEntry { key: e.key, value });
        }
    }
    *extra = kept;
}

impl Pseudonymisable for CheckupReport {
    fn visit_fields(&mut self, v: &mut dyn FieldVisitor) -> Result<(), RecordError> {
        use checkup_fields as cf;
        let _ = subject_fields::INSURED_ID; // the subject's own paths apply to `self.subject`
        self.subject.visit_fields(v)?;
        v.text(cf::INSURER_NUMBER, &mut self.insurer_number);
        if let Some(doc) = &mut self.document_id {
            v.text(cf::DOCUMENT_ID, &mut doc.extension);
        }
        v.date(cf::EXAM_DATE, &mut self.exam_date);
        visit_date(&mut self.created, cf::CREATED, v);
        v.text(cf::AUTHOR_TIME, &mut self.author_time);
        if let Some(t) = &mut self.ticket {
            v.text(cf::TICKET_NUMBER, &mut t.number);
            // The ticket names the insurer too (the FHIR writer makes it the Coverage payor); under the
            // header's path so a hashed number stays equal to the header's and links the same Organization.
            v.text(cf::INSURER_NUMBER, &mut t.insurer);
            visit_date(&mut t.expiry, cf::TICKET_EXPIRY, v);
        }
        for r in &mut self.results {
            match &mut r.value {
                Some(CheckupValue::Text(t)) => {
                    let mut s = Some(std::mem::take(t));
                    v.text(cf::RESULT_TEXT, &mut s);
                    match s {
                        Some(s) => *t = s,
                        None => r.value = None,
                    }
                }
                Some(CheckupValue::Date(d)) => v.date(cf::RESULT_DATE, d),
                _ => {}
            }
            v.text(cf::RESULT_AUTHOR, &mut r.author_name);
        }
        Ok(())
    }
}

impl Pseudonymisable for MedicationDispense {
    fn visit_fields(&mut self, v: &mut dyn FieldVisitor) -> Result<(), RecordError> {
        use care_paths as c;
        let mut fields = self.clone().into_fields();
        visit_date(&mut fields.prescribed, c::PRESCRIBED, v);
        visit_date(&mut fields.dispensed, c::DISPENSED, v);
        visit_extra(&mut fields.extra, c::MEDICATION_EXTRA, v);
        *self = MedicationDispense::new(fields)?;
        Ok(())
    }
}

impl Pseudonymisable for Immunization {
    fn visit_fields(&mut self, v: &mut dyn FieldVisitor) -> Result<(), RecordError> {
        use care_paths as c;
        let mut fields = self.clone().into_fields();
        match &mut fields.occurred {
            CareDate::Date(d) => v.date(c::OCCURRED, d),
            CareDate::Instant(t) => v.timestamp(c::OCCURRED, t),
        }
        visit_date(&mut fields.next_due, c::NEXT_DUE, v);
        visit_extra(&mut fields.extra, c::IMMUNIZATION_EXTRA, v);
        *self = Immunization::new(fields)?;
        Ok(())
    }
}

impl Pseudonymisable for MedicalExpense {
    fn visit_fields(&mut self, v: &mut dyn FieldVisitor) -> Result<(), RecordError> {
        use care_paths as c;
        let mut fields = self.clone().into_fields();
        // A month is shifted through its first day, so a shift moves it by whole months only when the
        // offset crosses a month boundary, as the underlying dates would.
        let mut first = fields.month.first_day();
        v.date(c::CARE_MONTH, &mut first);
        fields.month = YearMonth::new(first.year(), first.month())?;
        visit_date(&mut fields.notice_date, c::NOTICE_DATE, v);
        visit_extra(&mut fields.extra, c::EXPENSE_EXTRA, v);
        *self = MedicalExpense::new(fields)?;
        Ok(())
    }
}
