//! Applying a validated mapping to a payload: items → field values → records, one item at a time, every
//! item converted or counted as skipped.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use serde_json::Value;

use super::build::{self, Values};
use super::spec::{fields_of, FieldSpec, InputSpec, MappingFile, RecordSpec, SourceSpec};
use crate::error::{Error, ErrorKind, Limit, Location, Result};
use crate::fhir::scan::{scan, ScanError};
use crate::read::myna_portal::jp_text;
use crate::read::{Buffered, Format, ReadOptions};
use crate::record::{MetadataEntry, Record};
use crate::report::Report;

pub(super) const FORMAT: &str = "mapped payload";

/// One input item: a JSON value or a CSV row.
pub(super) enum Item<'a> {
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
    pub(super) fn location(&self, field: Option<&str>) -> Location {
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
        "medication" => build::medication(&v, extra),
        "immunization" => build::immunization(&v, extra),
        "expense" => build::expense(&v, extra),
        "measurement" => build::measurement(&v, extra),
        _ => build::subject(&v),
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
