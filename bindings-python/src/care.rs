//! The record families beyond lifelog (特定健診 checkups, マイナポータル medications, immunizations and
//! medical-expense notices) flattened to rows of typed cells. One definition per family serves both the
//! Arrow table and the record object's `to_dict()`, so the two always agree.
//!
//! Only conversions: every value is the core's, renamed to a column. Personal identifiers carried inside
//! a checkup (its subject, the doctor's name, organisation addresses) are not columns: subjects have their
//! own table, and names stay reachable only through FHIR output.

use chrono::NaiveDate;
use phrkit::record::{
    CareDate, CheckupReport, CheckupResult, CheckupValue, CodedText, Decimal, Drug, DrugAmount,
    Institution, ResultStatus,
};
use phrkit::Record;

use crate::flat;

/// Column type of a cell.
#[derive(Clone, Copy)]
pub(crate) enum Ty {
    Str,
    F64,
    I64,
    Date,
}

/// One typed, nullable value.
pub(crate) enum Cell {
    Str(Option<String>),
    F64(Option<f64>),
    I64(Option<i64>),
    Date(Option<NaiveDate>),
}

/// A family's table: its columns and the rows one record gives.
pub(crate) struct Family {
    /// Table name (`checkups` …).
    pub table: &'static str,
    /// Column names and types; `subject_index` is prepended by the table builder.
    pub columns: &'static [(&'static str, Ty)],
    /// Rows of one record (empty when the record is of another family).
    pub rows: fn(&Record) -> Vec<Vec<Cell>>,
}

/// The families, in `Dataset.tables()` order after `measurements` and `subjects`.
pub(crate) const FAMILIES: [Family; 4] = [
    Family {
        table: "checkups",
        columns: CHECKUP_COLUMNS,
        rows: checkup_rows,
    },
    Family {
        table: "medications",
        columns: MEDICATION_COLUMNS,
        rows: medication_rows,
    },
    Family {
        table: "immunizations",
        columns: IMMUNIZATION_COLUMNS,
        rows: immunization_rows,
    },
    Family {
        table: "expenses",
        columns: EXPENSE_COLUMNS,
        rows: expense_rows,
    },
];

fn s(v: Option<&str>) -> Cell {
    Cell::Str(v.map(str::to_owned))
}

fn dec(v: Option<Decimal>) -> Cell {
    Cell::F64(flat::f64_of(v))
}

fn count(v: Option<u32>) -> Cell {
    Cell::I64(v.map(i64::from))
}

// ---------------------------------------------------------------- checkups

const CHECKUP_COLUMNS: &[(&str, Ty)] = &[
    ("exam_date", Ty::Date),
    ("program", Ty::Str),
    ("report_category", Ty::Str),
    ("insurer_number", Ty::Str),
    ("section", Ty::Str),
    ("code", Ty::Str),
    ("code_system", Ty::Str),
    ("display", Ty::Str),
    ("status", Ty::Str),
    ("null_flavor", Ty::Str),
    ("value_type", Ty::Str),
    ("value", Ty::F64),
    ("value_text", Ty::Str),
    ("value_date", Ty::Date),
    ("unit", Ty::Str),
    ("answer_system", Ty::Str),
    ("answer_display", Ty::Str),
    ("range_flag", Ty::Str),
    ("interpretation", Ty::Str),
    ("method", Ty::Str),
    ("reference_low", Ty::F64),
    ("reference_high", Ty::F64),
    ("reference_unit", Ty::Str),
    ("group", Ty::I64),
    ("group_relation", Ty::Str),
];

/// `final`, `not-performed` (未実施) or `not-measurable` (測定不能), with the nullFlavor of the latter.
fn status(st: &ResultStatus) -> (&'static str, Option<&str>) {
    match st {
        ResultStatus::Final => ("final", None),
        ResultStatus::NotPerformed => ("not-performed", None),
        ResultStatus::NotMeasurable { null_flavor } => ("not-measurable", Some(null_flavor)),
    }
}

/// value_type, value, value_text, value_date, unit, answer system, answer display.
type ValueCells<'a> = (
    Option<&'static str>,
    Option<Decimal>,
    Option<&'a str>,
    Option<NaiveDate>,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
);

fn value_cells(v: Option<&CheckupValue>) -> ValueCells<'_> {
    match v {
        Some(CheckupValue::Quantity { value, unit }) => (
            Some("quantity"),
            Some(*value),
            None,
            None,
            unit.as_deref(),
            None,
            None,
        ),
        Some(CheckupValue::Coded(a)) | Some(CheckupValue::Ordinal(a)) => (
            Some(if matches!(v, Some(CheckupValue::Coded(_))) {
                "coded"
            } else {
                "ordinal"
            }),
            None,
            Some(&a.code),
            None,
            None,
            Some(&a.system),
            a.display.as_deref(),
        ),
        Some(CheckupValue::Text(t)) => (Some("text"), None, Some(t), None, None, None, None),
        Some(CheckupValue::Date(d)) => (Some("date"), None, None, Some(*d), None, None, None),
        None => (None, None, None, None, None, None, None),
    }
}

fn checkup_row(c: &CheckupReport, r: &CheckupResult) -> Vec<Cell> {
    let (st, null_flavor) = status(&r.status);
    let (vt, value, text, date, unit, answer_system, answer_display) =
        value_cells(r.value.as_ref());
    let range = r.reference_range.as_ref();
    let interpretation = (!r.interpretation.is_empty()).then(|| r.interpretation.join(","));
    vec![
        Cell::Date(Some(c.exam_date)),
        s(Some(&c.program)),
        s(Some(&c.report_category)),
        s(c.insurer()),
        s(Some(&r.section)),
        s(Some(&r.code)),
        s(Some(&r.code_system)),
        s(r.display.as_deref()),
        s(Some(st)),
        s(null_flavor),
        s(vt),
        dec(value),
        s(text),
        Cell::Date(date),
        s(unit),
        s(answer_system),
        s(answer_display),
        s(r.range_flag.map(|f| f.fhir_code())),
        Cell::Str(interpretation),
        s(r.method.as_deref()),
        dec(range.and_then(|g| g.low)),
        dec(range.and_then(|g| g.high)),
        s(range.and_then(|g| g.unit.as_deref())),
        Cell::I64(r.group.map(|g| i64::from(g.group))),
        s(r.group.map(|g| g.relation.code())),
    ]
}

fn checkup_rows(r: &Record) -> Vec<Vec<Cell>> {
    let Record::Checkup(c) = r else {
        return Vec::new();
    };
    c.results.iter().map(|res| checkup_row(c, res)).collect()
}

// ---------------------------------------------------------------- shared care parts

fn drug_cells(d: &Drug) -> [Cell; 3] {
    let code = d.code();
    [
        s(code.map(|(sys, _)| sys.key())),
        s(code.map(|(_, c)| c)),
        s(d.name()),
    ]
}

fn amount_cells(a: Option<&DrugAmount>) -> [Cell; 2] {
    [dec(a.map(DrugAmount::value)), s(a.map(DrugAmount::unit))]
}

fn coded_text_cells(c: Option<&CodedText>) -> [Cell; 2] {
    [
        s(c.and_then(CodedText::text)),
        s(c.and_then(|c| c.coding()).map(|c| c.code.as_str())),
    ]
}

fn institution_cells(i: Option<&Institution>) -> [Cell; 2] {
    [
        s(i.and_then(Institution::name)),
        s(i.and_then(Institution::code)),
    ]
}

// ---------------------------------------------------------------- medications

const MEDICATION_COLUMNS: &[(&str, Ty)] = &[
    ("prescribed", Ty::Date),
    ("dispensed", Ty::Date),
    ("drug_code_system", Ty::Str),
    ("drug_code", Ty::Str),
    ("drug_name", Ty::Str),
    ("quantity", Ty::F64),
    ("quantity_unit", Ty::Str),
    ("dose", Ty::F64),
    ("dose_unit", Ty::Str),
    ("usage", Ty::Str),
    ("usage_code", Ty::Str),
    ("days_supplied", Ty::I64),
    ("route", Ty::Str),
    ("route_code", Ty::Str),
    ("pharmacy_name", Ty::Str),
    ("pharmacy_code", Ty::Str),
    ("prescriber_name", Ty::Str),
    ("prescriber_code", Ty::Str),
    ("rp", Ty::I64),
    ("rp_order", Ty::I64),
];

fn medication_rows(r: &Record) -> Vec<Vec<Cell>> {
    let Record::Medication(m) = r else {
        return Vec::new();
    };
    let mut row = vec![Cell::Date(m.prescribed), Cell::Date(m.dispensed)];
    row.extend(drug_cells(&m.drug));
    row.extend(amount_cells(m.quantity.as_ref()));
    row.extend(amount_cells(m.dose.as_ref()));
    row.extend(coded_text_cells(m.usage.as_ref()));
    row.push(count(m.days_supplied));
    row.extend(coded_text_cells(m.route.as_ref()));
    row.extend(institution_cells(m.pharmacy.as_ref()));
    row.extend(institution_cells(m.prescriber.as_ref()));
    row.push(count(m.rp.map(|p| p.rp)));
    row.push(count(m.rp.map(|p| p.order)));
    vec![row]
}

// ---------------------------------------------------------------- immunizations

const IMMUNIZATION_COLUMNS: &[(&str, Ty)] = &[
    ("date", Ty::Date),
    ("occurred", Ty::Str),
    ("vaccine_code_system", Ty::Str),
    ("vaccine_code", Ty::Str),
    ("vaccine_name", Ty::Str),
    ("lot", Ty::Str),
    ("dose_number", Ty::I64),
    ("target_disease", Ty::Str),
    ("target_disease_code", Ty::Str),
    ("performer_name", Ty::Str),
    ("performer_code", Ty::Str),
    ("next_due", Ty::Date),
];

fn immunization_rows(r: &Record) -> Vec<Vec<Cell>> {
    let Record::Immunization(i) = r else {
        return Vec::new();
    };
    // `occurred` keeps an instant with its written offset as RFC 3339 text (a date-only source: None).
    let occurred = match &i.occurred {
        CareDate::Instant(t) => Some(phrkit::record::format_timestamp(t)),
        CareDate::Date(_) => None,
    };
    let mut row = vec![Cell::Date(Some(i.occurred.date())), Cell::Str(occurred)];
    row.extend(drug_cells(&i.vaccine));
    row.push(s(i.lot.as_deref()));
    row.push(count(i.dose_number));
    row.extend(coded_text_cells(i.target_disease.as_ref()));
    row.extend(institution_cells(i.performer.as_ref()));
    row.push(Cell::Date(i.next_due));
    vec![row]
}

// ---------------------------------------------------------------- expenses

const EXPENSE_COLUMNS: &[(&str, Ty)] = &[
    ("month", Ty::Str),
    ("month_start", Ty::Date),
    ("category", Ty::Str),
    ("category_label", Ty::Str),
    ("days", Ty::I64),
    ("institution_name", Ty::Str),
    ("institution_code", Ty::Str),
    ("total_yen", Ty::I64),
    ("insurer_yen", Ty::I64),
    ("public_yen", Ty::I64),
    ("patient_yen", Ty::I64),
    ("insurer_name", Ty::Str),
    ("notice_date", Ty::Date),
];

/// Yen as int64; amounts beyond i64 (impossible in a real notice) become null rather than wrap.
fn yen(v: u64) -> Cell {
    Cell::I64(i64::try_from(v).ok())
}

fn expense_rows(r: &Record) -> Vec<Vec<Cell>> {
    let Record::Expense(e) = r else {
        return Vec::new();
    };
    let a = e.amounts;
    let mut row = vec![
        Cell::Str(Some(e.month.to_string())),
        Cell::Date(Some(e.month.first_day())),
        s(e.category.code()),
        s(Some(e.category.label())),
        count(e.days),
    ];
    row.extend(institution_cells(Some(&e.institution)));
    row.extend([yen(a.total), yen(a.insurer), yen(a.public), yen(a.patient)]);
    row.push(s(e.insurer_name.as_deref()));
    row.push(Cell::Date(e.notice_date));
    vec![row]
}

/// The family a record belongs to, if it is one of these.
pub(crate) fn family_of(r: &Record) -> Option<&'static Family> {
    let table = match r {
        Record::Checkup(_) => "checkups",
        Record::Medication(_) => "medications",
        Record::Immunization(_) => "immunizations",
        Record::Expense(_) => "expenses",
        _ => return None,
    };
    FAMILIES.iter().find(|f| f.table == table)
}
