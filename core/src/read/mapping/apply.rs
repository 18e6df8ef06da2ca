//! Applying a validated mapping to a payload: items → field values → records, one item at a time, every
//! item converted or counted as skipped.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::str::FromStr;

use rust_decimal::Decimal;
use serde_json::Value;

use super::spec::{fields_of, FieldSpec, InputSpec, MappingFile, RecordSpec, SourceSpec};
use crate::error::{Error, ErrorKind, Limit, Location, Result};
use crate::fhir::jp_systems;
use crate::fhir::scan::{scan, ScanError};
use crate::read::myna_portal::jp_text::{self, fold};
use crate::read::{Buffered, Format, ReadOptions};
use crate::record::{
    CareCategory, CareDate, CodedText, Coding, DispenseFields, Drug, DrugAmount, DrugCodeSystem,
    ExpenseAmounts, ExpenseFields, Immunization, ImmunizationFields, Institution, InsuredId,
    MedicalExpense, MedicationDispense, MetadataEntry, PersonName, Record, RpPosition, Sex,
    Subject,
};
use crate::report::Report;

const FORMAT: &str = "mapped payload";

/// One input item: a JSON value or a CSV row.
enum Item<'a> {
    Json {
        value: &'a Value,
        pointer: String,
    },
    Csv {
        row: &'a csv::StringRecord,
        headers: &'a [String],
        line: u64,
    },
}

impl Item<'_> {
    fn location(&self, field: Option<&str>) -> Location {
        match self {
            Item::Json { pointer, .. } => Location::JsonPointer {
                line: None,
                pointer: match field {
                    Some(f) if f.starts_with('/') => format!("{pointer}{f}"),
                    Some(f) => format!("{pointer}/{}", f.replace('~', "~0").replace('/', "~1")),
                    None => pointer.clone(),
                },
            },
            Item::Csv { line, .. } => Location::CsvRow {
                row: *line,
                field: field.map(str::to_owned),
            },
        }
    }

    /// The raw value of a source, `None` when absent, null or empty.
    fn raw(&self, s: &SourceSpec) -> Result<Option<String>> {
        if let Some(c) = &s.constant {
            return Ok(Some(c.clone()));
        }
        let (value, field) = match self {
            Item::Json { value, .. } => match (&s.key, &s.pointer) {
                (Some(k), _) => (value.get(k.as_str()), k.as_str()),
                (_, Some(p)) => (value.pointer(p), p.as_str()),
                _ => (None, ""),
            },
            Item::Csv { row, headers, .. } => {
                let k = s.key.as_deref().unwrap_or("");
                let v = headers.iter().position(|h| h == k).and_then(|i| row.get(i));
                return Ok(v
                    .map(str::trim)
                    .filter(|v| !v.is_empty())
                    .map(str::to_owned));
            }
        };
        match value {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.trim().to_owned()).filter(|s| !s.is_empty())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(Value::Bool(b)) => Ok(Some(b.to_string())),
            Some(_) => Err(Error::format(
                FORMAT,
                self.location(Some(field)),
                "expected a scalar value (string, number or boolean), found an object or array",
            )),
        }
    }

    /// Scalar members/columns not read by any `key` source: (name, value) or (name, None) for nested.
    fn unmapped(&self, used: &BTreeSet<&str>) -> Vec<(String, Option<String>)> {
        match self {
            Item::Json { value, .. } => value
                .as_object()
                .map(|o| {
                    o.iter()
                        .filter(|(k, _)| !used.contains(k.as_str()))
                        .filter_map(|(k, v)| match v {
                            Value::Null => None,
                            Value::String(s) if s.trim().is_empty() => None,
                            Value::String(s) => Some((k.clone(), Some(s.clone()))),
                            Value::Number(n) => Some((k.clone(), Some(n.to_string()))),
                            Value::Bool(b) => Some((k.clone(), Some(b.to_string()))),
                            _ => Some((k.clone(), None)),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            Item::Csv { row, headers, .. } => headers
                .iter()
                .zip(row.iter())
                .filter(|(h, v)| !used.contains(h.as_str()) && !v.trim().is_empty())
                .map(|(h, v)| (h.clone(), Some(v.trim().to_owned())))
                .collect(),
        }
    }
}

/// The field values of one item, with where each came from.
struct Values<'a> {
    item: &'a Item<'a>,
    values: BTreeMap<&'static str, (String, Option<String>)>,
}

impl Values<'_> {
    fn text(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(|(v, _)| v.as_str())
    }

    fn err(&self, name: &str, reason: &str) -> Error {
        let field = self.values.get(name).and_then(|(_, f)| f.as_deref());
        Error::format(
            FORMAT,
            self.item.location(field),
            format!("{name}: {reason}"),
        )
    }

    fn parse<T>(
        &self,
        name: &str,
        f: impl Fn(&str) -> Option<T>,
        reason: &str,
    ) -> Result<Option<T>> {
        match self.text(name) {
            None => Ok(None),
            Some(v) => f(v).map(Some).ok_or_else(|| self.err(name, reason)),
        }
    }

    fn date(&self, name: &str) -> Result<Option<chrono::NaiveDate>> {
        self.parse(name, jp_text::parse_date, "not a date")
    }

    fn count(&self, name: &str) -> Result<Option<u32>> {
        self.parse(name, jp_text::parse_count, "not a whole number")
    }

    fn yen(&self, name: &str) -> Result<Option<u64>> {
        match self.text(name) {
            None => Ok(None),
            Some(v) => jp_text::parse_yen(v)
                .map(Some)
                .map_err(|e| self.err(name, e.message())),
        }
    }

    fn decimal(&self, name: &str) -> Result<Option<Decimal>> {
        self.parse(
            name,
            |v| Decimal::from_str(&fold(v).replace(',', "")).ok(),
            "not a decimal number",
        )
    }

    fn drug_system(&self, name: &str) -> Option<DrugCodeSystem> {
        self.text(name).map(|v| {
            DrugCodeSystem::from_key(v).unwrap_or_else(|| jp_systems::drug_system_from_uri(v))
        })
    }

    fn institution(&self, code: &str, name: &str) -> Result<Option<Institution>> {
        let (c, n) = (self.text(code), self.text(name));
        if c.is_none() && n.is_none() {
            return Ok(None);
        }
        Institution::new(c, n)
            .map(Some)
            .map_err(|e| Error::invalid_record(self.item.location(self.field_of(code)), e))
    }

    fn field_of(&self, name: &str) -> Option<&str> {
        self.values.get(name).and_then(|(_, f)| f.as_deref())
    }

    fn coded(
        &self,
        code: &str,
        system: &str,
        text: &str,
        what: &'static str,
    ) -> Result<Option<CodedText>> {
        let coding = self.text(code).map(|c| Coding::new(system, c));
        let t = self.text(text);
        if coding.is_none() && t.is_none() {
            return Ok(None);
        }
        CodedText::new(coding, t, what)
            .map(Some)
            .map_err(|e| Error::invalid_record(self.item.location(self.field_of(code)), e))
    }

    fn amount(&self, value: &str, unit: &str, merit9: &str) -> Result<Option<DrugAmount>> {
        let Some(v) = self.decimal(value)? else {
            return Ok(None);
        };
        DrugAmount::new(v, self.text(unit).unwrap_or(""), self.text(merit9))
            .map(Some)
            .map_err(|e| Error::invalid_record(self.item.location(self.field_of(value)), e))
    }
}

fn invalid(item: &Item<'_>, e: crate::record::RecordError) -> Error {
    Error::invalid_record(item.location(None), e)
}

fn medication(v: &Values<'_>, extra: Vec<MetadataEntry>) -> Result<Record> {
    let code = match (v.text("drug_code"), v.drug_system("drug_system")) {
        (Some(c), Some(s)) => Some((s, c)),
        _ => None,
    };
    let drug = Drug::new(code, v.text("drug_name")).map_err(|e| invalid(v.item, e))?;
    let mut f = DispenseFields::new(drug);
    f.prescribed = v.date("prescribed")?;
    f.dispensed = v.date("dispensed")?;
    f.quantity = v.amount("quantity", "quantity_unit", "quantity_unit_merit9")?;
    f.dose = v.amount("dose", "dose_unit", "dose_unit_merit9")?;
    f.usage = v.coded(
        "usage_code",
        jp_systems::JAMI_USAGE.canonical(),
        "usage_text",
        "usage",
    )?;
    f.route = v.coded(
        "route_code",
        jp_systems::ROUTE.canonical(),
        "route_text",
        "route",
    )?;
    f.days_supplied = v.count("days_supplied")?;
    f.pharmacy = v.institution("pharmacy_code", "pharmacy_name")?;
    f.prescriber = v.institution("prescriber_code", "prescriber_name")?;
    if let (Some(rp), Some(order)) = (v.count("rp_number")?, v.count("order_in_rp")?) {
        f.rp = Some(RpPosition { rp, order });
    }
    f.extra = extra;
    MedicationDispense::new(f)
        .map(Record::Medication)
        .map_err(|e| invalid(v.item, e))
}

fn immunization(v: &Values<'_>, extra: Vec<MetadataEntry>) -> Result<Record> {
    let when = v.parse("date", care_date, "not a date or a date-time with offset")?;
    let when =
        when.ok_or_else(|| invalid(v.item, crate::record::RecordError::Empty { field: "date" }))?;
    let code = match (v.text("vaccine_code"), v.drug_system("vaccine_system")) {
        (Some(c), Some(s)) => Some((s, c)),
        _ => None,
    };
    let vaccine = Drug::new(code, v.text("vaccine_name")).map_err(|e| invalid(v.item, e))?;
    let mut f = ImmunizationFields::new(when, vaccine);
    f.lot = v.text("lot").map(str::to_owned);
    f.dose_number = v.count("dose_number")?;
    f.target_disease = v.coded(
        "target_disease_code",
        jp_systems::DISEASE_EXCODE.canonical(),
        "target_disease_name",
        "target disease",
    )?;
    f.performer = v.institution("performer_code", "performer_name")?;
    f.next_due = v.date("next_due")?;
    f.extra = extra;
    Immunization::new(f)
        .map(Record::Immunization)
        .map_err(|e| invalid(v.item, e))
}

fn expense(v: &Values<'_>, extra: Vec<MetadataEntry>) -> Result<Record> {
    let month = v
        .parse("month", jp_text::parse_year_month, "not a year-month")?
        .ok_or_else(|| invalid(v.item, crate::record::RecordError::Empty { field: "month" }))?;
    let category = v.text("category").ok_or_else(|| {
        invalid(
            v.item,
            crate::record::RecordError::Empty { field: "category" },
        )
    })?;
    let institution = v
        .institution("institution_code", "institution_name")?
        .ok_or_else(|| {
            invalid(
                v.item,
                crate::record::RecordError::Empty {
                    field: "institution",
                },
            )
        })?;
    let total = v
        .yen("total")?
        .ok_or_else(|| invalid(v.item, crate::record::RecordError::Empty { field: "total" }))?;
    let amounts = ExpenseAmounts {
        total,
        insurer: v.yen("insurer_share")?.unwrap_or(0),
        public: v.yen("public_share")?.unwrap_or(0),
        patient: v.yen("patient_share")?.unwrap_or(0),
    };
    MedicalExpense::new(ExpenseFields {
        month,
        category: CareCategory::from_label(category),
        days: v.count("days")?,
        institution,
        amounts,
        insurer_name: v.text("insurer_name").map(str::to_owned),
        notice_date: v.date("notice_date")?,
        extra,
    })
    .map(Record::Expense)
    .map_err(|e| invalid(v.item, e))
}

fn care_date(s: &str) -> Option<CareDate> {
    crate::fhir::from_fhir::timestamp(s)
        .map(CareDate::Instant)
        .or_else(|| jp_text::parse_date(s).map(CareDate::Date))
}

fn measurement(v: &Values<'_>, extra: Vec<MetadataEntry>) -> Result<Record> {
    use crate::record::{Effective, Kind, Measurement, Unit};
    // A PGHD code (`bodyMass`) or phrkit's kind name as reports show it.
    let by_code = |c: &str| {
        Kind::from_pghd(c).or_else(|| {
            crate::record::KIND_TABLE
                .iter()
                .find(|r| r.kind.name() == c)
                .map(|r| r.kind.clone())
        })
    };
    let kind = v.parse("kind", by_code, "not a PGHD code or kind name phrkit knows")?;
    let kind =
        kind.ok_or_else(|| invalid(v.item, crate::record::RecordError::Empty { field: "kind" }))?;
    let when = |name: &str| v.parse(name, care_date, "not a date or a date-time with offset");
    let effective = match (when("time")?, when("end")?) {
        (Some(CareDate::Date(d)), None) => Effective::Date(d),
        (Some(CareDate::Instant(t)), None) => Effective::Instant(t),
        (Some(CareDate::Instant(s)), Some(CareDate::Instant(e))) => {
            Effective::from_bounds(s, e).map_err(|e| invalid(v.item, e))?
        }
        (Some(_), Some(_)) => return Err(v.err("end", "a period needs date-times with offsets")),
        (None, _) => {
            return Err(invalid(
                v.item,
                crate::record::RecordError::Empty { field: "time" },
            ))
        }
    };
    let m = match (
        v.decimal("value")?,
        v.decimal("systolic")?,
        v.decimal("diastolic")?,
    ) {
        (_, Some(s), Some(d)) if kind == Kind::BloodPressure => {
            Measurement::blood_pressure(effective, s, d)
        }
        (_, _, _) if kind == Kind::BloodPressure => {
            return Err(v.err("systolic", "blood pressure needs systolic and diastolic"))
        }
        (Some(value), _, _) => {
            let unit = v.parse(
                "unit",
                |u| Unit::from_ucum(u).or_else(|| Unit::from_source_spelling(u)),
                "not a unit phrkit knows (UCUM or a known spelling)",
            )?;
            let unit = unit.ok_or_else(|| v.err("unit", "missing unit"))?;
            Measurement::quantity(kind, effective, value, unit)
        }
        _ => return Err(v.err("value", "missing value")),
    }
    .map_err(|e| invalid(v.item, e))?;
    Ok(Record::Measurement(if extra.is_empty() {
        m
    } else {
        m.with_metadata(extra)
    }))
}

fn person_name(s: &str) -> PersonName {
    let s = s.replace('\u{3000}', " ");
    match s.split_once(' ') {
        Some((f, g)) if !f.is_empty() && !g.trim().is_empty() => {
            PersonName::from_parts(f, g.trim())
        }
        _ => PersonName::whole(&s),
    }
}

fn subject(v: &Values<'_>) -> Result<Record> {
    let mut s = Subject::default();
    if let (Some(insurer), Some(number)) = (v.text("insurer_number"), v.text("insured_number")) {
        let id = InsuredId::new(
            insurer,
            v.text("insured_symbol").unwrap_or(""),
            number,
            v.text("insured_branch"),
        )
        .map_err(|e| Error::invalid_record(v.item.location(v.field_of("insurer_number")), e))?;
        s.insured_id = Some(id);
    }
    s.name_kanji = v.text("name").map(person_name);
    s.name_kana = v
        .text("name_kana")
        .map(|k| person_name(&jp_text::kana_to_full_width(k)));
    s.birth_date = v.date("birth_date")?;
    s.sex = v.parse(
        "sex",
        Sex::from_code,
        "not male, female, other or unknown (use map)",
    )?;
    Ok(Record::Subject(s))
}

/// Collects the field values of one item.
fn values<'a>(spec: &RecordSpec, item: &'a Item<'a>) -> Result<Values<'a>> {
    let known = fields_of(&spec.record_type).unwrap_or(&[]);
    let mut values = BTreeMap::new();
    for (name, _) in known {
        let Some(field) = spec.fields.get(*name) else {
            continue;
        };
        let source = field.source();
        let Some(raw) = item.raw(&source)? else {
            continue;
        };
        let origin = source.key.clone().or_else(|| source.pointer.clone());
        let raw = match &source.map {
            None => raw,
            Some(m) => m.get(&raw).cloned().ok_or_else(|| {
                Error::format(
                    FORMAT,
                    item.location(origin.as_deref()),
                    format!("{name}: value is not listed in the field's map"),
                )
            })?,
        };
        values.insert(*name, (raw, origin));
    }
    Ok(Values { item, values })
}

fn used_keys(spec: &RecordSpec) -> BTreeSet<&str> {
    spec.fields
        .values()
        .filter_map(|f| match f {
            FieldSpec::Key(k) => Some(k.as_str()),
            FieldSpec::Full(s) => s
                .key
                .as_deref()
                .or_else(|| s.pointer.as_deref().and_then(|p| p.split('/').nth(1))),
        })
        .collect()
}

/// Converts one item into one record.
fn convert(spec: &RecordSpec, item: &Item<'_>, report: &mut Report) -> Result<Record> {
    let v = values(spec, item)?;
    let mut extra = Vec::new();
    for (key, value) in item.unmapped(&used_keys(spec)) {
        match value {
            Some(value) if spec.keep_unmapped && spec.record_type != "subject" => {
                extra.push(MetadataEntry { key, value })
            }
            _ => report.ignore_element(&format!("mapped/{}/{key}", spec.record_type)),
        }
    }
    match spec.record_type.as_str() {
        "medication" => medication(&v, extra),
        "immunization" => immunization(&v, extra),
        "expense" => expense(&v, extra),
        "measurement" => measurement(&v, extra),
        _ => subject(&v),
    }
}

fn handle(
    result: Result<Record>,
    strict: bool,
    report: &mut Report,
    out: &mut VecDeque<Record>,
) -> Result<()> {
    report.items_read += 1;
    match result {
        // A subject item with nothing mapped is accounted for but produces no record, as an empty FHIR
        // Patient does (`subject-placeholder`), so mapped output round-trips through FHIR.
        Ok(Record::Subject(s)) if s.is_empty() => {
            report.converted("subject-placeholder");
            Ok(())
        }
        Ok(r) => {
            report.converted(&r.type_name());
            out.push_back(r);
            Ok(())
        }
        Err(e) if strict || e.is_io() => Err(e),
        Err(e) => {
            let reason = match e.kind() {
                ErrorKind::InvalidRecord { .. } => "invalid-record",
                _ => "invalid-value",
            };
            let loc = e.location().cloned().unwrap_or(Location::None);
            report.skip(reason, loc, e.to_string());
            Ok(())
        }
    }
}

/// Reads a payload with a mapping.
pub(super) fn read(file: &MappingFile, bytes: &[u8], opts: &ReadOptions) -> Result<Buffered> {
    let max = opts.limits.max_document_bytes;
    if bytes.len() as u64 > max {
        return Err(Error::limit(Limit::DocumentBytes, max, Location::None));
    }
    let (text, _) = jp_text::decode_text(bytes, FORMAT)?;
    let mut report = Report::default();
    let mut out = VecDeque::new();
    match &file.input {
        InputSpec::Json => read_json(file, &text, opts, &mut report, &mut out)?,
        InputSpec::Csv { delimiter } => {
            let d = delimiter
                .as_deref()
                .and_then(|d| d.bytes().next())
                .unwrap_or(b',');
            read_csv(file, &text, d, opts, &mut report, &mut out)?
        }
    }
    Ok(Buffered {
        records: out,
        report,
        format: Format::Mapped,
    })
}

fn read_json(
    file: &MappingFile,
    text: &str,
    opts: &ReadOptions,
    report: &mut Report,
    out: &mut VecDeque<Record>,
) -> Result<()> {
    let limits = &opts.limits.json;
    scan(text.as_bytes(), limits).map_err(|e| match e {
        ScanError::TooDeep(p) => Error::limit(Limit::Depth, limits.max_depth as u64, json_loc(&p)),
        ScanError::StringTooLong(p) => Error::limit(
            Limit::StringBytes,
            limits.max_string_bytes as u64,
            json_loc(&p),
        ),
    })?;
    let root: Value = serde_json::from_str(text).map_err(|e| {
        Error::format(
            FORMAT,
            Location::LineColumn {
                line: e.line() as u64,
                column: e.column() as u64,
            },
            "malformed JSON",
        )
    })?;
    for spec in &file.records {
        let pointer = spec.items.clone().unwrap_or_default();
        let items: Vec<(&Value, String)> = match root.pointer(&pointer) {
            Some(Value::Array(a)) => a
                .iter()
                .enumerate()
                .map(|(i, v)| (v, format!("{pointer}/{i}")))
                .collect(),
            Some(v @ Value::Object(_)) => vec![(v, pointer.clone())],
            Some(_) => {
                return Err(Error::format(
                    FORMAT,
                    json_loc(&pointer),
                    "items must point to an array or an object",
                ))
            }
            None if opts.strict => {
                return Err(Error::format(
                    FORMAT,
                    json_loc(&pointer),
                    "items path not found in the payload",
                ))
            }
            None => {
                // Not an item, so not counted as skipped; but never silent.
                report.issue(
                    crate::report::Severity::Warning,
                    "items-not-found",
                    json_loc(&pointer),
                    "items path not found in the payload; no records for this rule",
                );
                continue;
            }
        };
        for (value, pointer) in items {
            let item = Item::Json { value, pointer };
            let result = if value.is_object() {
                convert(spec, &item, report)
            } else {
                Err(Error::format(
                    FORMAT,
                    item.location(None),
                    "item is not a JSON object",
                ))
            };
            handle(result, opts.strict, report, out)?;
        }
    }
    Ok(())
}

fn json_loc(pointer: &str) -> Location {
    Location::JsonPointer {
        line: None,
        pointer: pointer.to_owned(),
    }
}

fn read_csv(
    file: &MappingFile,
    text: &str,
    delimiter: u8,
    opts: &ReadOptions,
    report: &mut Report,
    out: &mut VecDeque<Record>,
) -> Result<()> {
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = rdr
        .headers()
        .map_err(|_| {
            Error::format(
                FORMAT,
                Location::CsvRow {
                    row: 1,
                    field: None,
                },
                "unreadable header row",
            )
        })?
        .iter()
        .map(|h| h.trim().to_owned())
        .collect();
    for spec in &file.records {
        for (name, f) in &spec.fields {
            let key = f.source().key.clone();
            if key.as_ref().is_some_and(|k| !headers.contains(k)) {
                report.issue(
                    crate::report::Severity::Warning,
                    "column-not-found",
                    Location::CsvRow {
                        row: 1,
                        field: key.clone(),
                    },
                    format!("no column for mapped field {name}"),
                );
            }
        }
    }
    for row in rdr.records() {
        let row = match row {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                let err = Error::format(
                    FORMAT,
                    Location::CsvRow {
                        row: line,
                        field: None,
                    },
                    "malformed CSV row",
                );
                handle(Err(err), opts.strict, report, out)?;
                continue;
            }
        };
        if row.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let line = row.position().map(|p| p.line()).unwrap_or(0);
        for spec in &file.records {
            let item = Item::Csv {
                row: &row,
                headers: &headers,
                line,
            };
            let result = convert(spec, &item, report);
            handle(result, opts.strict, report, out)?;
        }
    }
    Ok(())
}
