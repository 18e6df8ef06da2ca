//! The マイナポータル 医療費通知情報 CSV download (`mynaportal.md` §3): a vertical key/value document
//! read as a state machine over its headings, never by line numbers.
//!
//! Output: one [`Subject`] from the 資格情報 block (when present), then one [`MedicalExpense`] per detail
//! record of 医療費情報明細, each carrying the insurer name (保険者情報, at the end of the file) and the
//! notice date (作成日). The whole file is decoded at once — it is small, and the insurer block comes last —
//! bounded by [`MAX_EXPENSE_CSV_BYTES`] and `Limits::max_document_bytes`.
//!
//! Accounting: items are the subject and each detail record; `items_read == converted + skipped`. Keys that
//! are derivable (年齢, listing ranges and periods, summary amounts used only for checking) are counted in
//! `ignored_elements` under `医療費通知CSV/<block>/<key>`. Unknown keys are never dropped (§3.3 rule 5):
//! inside a detail record they are kept on that record (`extra`); in document-level blocks they are kept
//! on every detail record as `<block>/<key>`; in 資格情報 (personal data) they are only counted, so that
//! unknown personal fields are not copied onto every record — a deliberate privacy trade-off.

use std::collections::{BTreeMap, VecDeque};

use super::jp_text::{self, fold, kana_to_full_width, parse_count, parse_date, parse_yen};
use crate::error::{Error, Limit, Location, Result};
use crate::read::{Buffered, Format, ReadOptions};
use crate::record::{
    CareCategory, ExpenseAmounts, ExpenseFields, Institution, InsuredId, MedicalExpense,
    MetadataEntry, PersonName, Record, Sex, Subject,
};
use crate::report::{Report, Severity};

const FORMAT: &str = "マイナポータル医療費通知CSV";

/// Hard cap on the size of one expense CSV (a year of notices is a few kilobytes; 32 MiB is generous).
pub const MAX_EXPENSE_CSV_BYTES: u64 = 32 * 1024 * 1024;

/// Headings that identify the format (also used by detection).
pub(crate) const MARKERS: &[&str] = &["医療費通知情報", "医療費情報明細"];

// Keys, in their width-folded form (full-width parentheses become ASCII).
const K_MONTH: &str = "診療年月";
const K_CATEGORY: &str = "診療区分";
const K_DAYS: &str = "日数";
const K_INSTITUTION: &str = "医療機関等名称";
const K_TOTAL: &str = "医療費の総額(円)";
const K_INSURER: &str = "保険者の負担額(円)";
const K_PUBLIC: &str = "その他の公費の負担額(円)";
const K_PATIENT: &str = "窓口相当負担額(円)";
const DETAIL_KEYS: [&str; 8] = [
    K_MONTH,
    K_CATEGORY,
    K_DAYS,
    K_INSTITUTION,
    K_TOTAL,
    K_INSURER,
    K_PUBLIC,
    K_PATIENT,
];
const AMOUNT_KEYS: [&str; 4] = [K_TOTAL, K_INSURER, K_PUBLIC, K_PATIENT];
/// Known document-level keys that restate what the records already say (ranges and periods of the
/// listing): counted as ignored rather than copied onto every record.
const DERIVED_KEYS: [&str; 3] = ["一覧表示の範囲", "医療費情報明細の範囲", "期間"];

#[derive(Clone, Debug, PartialEq, Eq)]
enum Block {
    Preamble,
    Eligibility,
    Overview,
    Total,
    Yearly,
    Detail,
    Insurer,
    Unknown(String),
}

impl Block {
    fn from_heading(h: &str) -> Option<Block> {
        Some(match h {
            "わたしの情報" | "医療費通知情報" => Block::Preamble,
            "資格情報" => Block::Eligibility,
            "医療費明細一覧の概要" => Block::Overview,
            "医療費の合計" => Block::Total,
            "年間の合計" => Block::Yearly,
            "医療費情報明細" => Block::Detail,
            "保険者情報" => Block::Insurer,
            _ => return None,
        })
    }

    fn label(&self) -> &str {
        match self {
            Block::Preamble => "医療費通知情報",
            Block::Eligibility => "資格情報",
            Block::Overview => "医療費明細一覧の概要",
            Block::Total => "医療費の合計",
            Block::Yearly => "年間の合計",
            Block::Detail => "医療費情報明細",
            Block::Insurer => "保険者情報",
            Block::Unknown(h) => h,
        }
    }
}

/// A value with the CSV row it came from.
#[derive(Clone, Debug)]
struct Cell {
    value: String,
    row: u64,
}

/// One detail record being collected.
#[derive(Debug, Default)]
struct Pending {
    start_row: u64,
    values: BTreeMap<&'static str, Cell>,
    extra: Vec<MetadataEntry>,
}

/// State of one parse.
struct Parser {
    strict: bool,
    report: Report,
    block: Block,
    eligibility: BTreeMap<String, Cell>,
    notice_date: Option<Cell>,
    insurer_name: Option<String>,
    total_block: BTreeMap<&'static str, Cell>,
    pending: Option<Pending>,
    details: Vec<Pending>,
    /// Unknown key/value pairs outside the detail and eligibility blocks.
    document_extra: Vec<MetadataEntry>,
}

fn at(row: u64, field: &str) -> Location {
    Location::CsvRow {
        row,
        field: Some(field.to_owned()),
    }
}

fn format_err(row: u64, field: Option<&str>, reason: &str) -> Error {
    let location = Location::CsvRow {
        row,
        field: field.map(str::to_owned),
    };
    Error::format(FORMAT, location, reason)
}

/// Reads a whole 医療費通知 CSV into records.
pub(crate) fn read(bytes: &[u8], opts: &ReadOptions) -> Result<Buffered> {
    let max = opts.limits.max_document_bytes.min(MAX_EXPENSE_CSV_BYTES);
    if bytes.len() as u64 > max {
        return Err(Error::limit(Limit::DocumentBytes, max, Location::None));
    }
    let (text, _encoding) = jp_text::decode_text(bytes, FORMAT)?;
    let mut p = Parser {
        strict: opts.strict,
        report: Report::default(),
        block: Block::Preamble,
        eligibility: BTreeMap::new(),
        notice_date: None,
        insurer_name: None,
        total_block: BTreeMap::new(),
        pending: None,
        details: Vec::new(),
        document_extra: Vec::new(),
    };
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut saw_marker = false;
    for row in csv.records() {
        let row = row.map_err(|e| {
            let line = e.position().map(|p| p.line()).unwrap_or(0);
            format_err(
                line,
                None,
                "malformed CSV (unbalanced quotes or invalid text)",
            )
        })?;
        let line = row.position().map(|p| p.line()).unwrap_or(0);
        let fields: Vec<&str> = row.iter().collect();
        if !saw_marker {
            saw_marker = fields
                .first()
                .is_some_and(|f| MARKERS.contains(&fold(f).as_str()));
        }
        p.row(line, &fields)?;
    }
    if !saw_marker {
        return Err(format_err(
            1,
            None,
            "not a 医療費通知 CSV: no 医療費通知情報 or 医療費情報明細 heading",
        ));
    }
    p.finish_pending()?;
    p.into_records()
}

impl Parser {
    fn row(&mut self, line: u64, fields: &[&str]) -> Result<()> {
        let fields: Vec<&str> = match fields.iter().rposition(|f| !f.trim().is_empty()) {
            Some(last) => fields[..=last].to_vec(),
            None => return Ok(()), // blank line
        };
        match fields.as_slice() {
            [heading] => self.heading(line, &fold(heading)),
            [key, value] => {
                let key = fold(key);
                if key == "項目名" {
                    return Ok(()); // the header row "項目名","内容"
                }
                self.key_value(line, key, value.trim())
            }
            _ => {
                if self.strict {
                    return Err(format_err(line, None, "row has more than two fields"));
                }
                self.report.issue(
                    Severity::Warning,
                    "unexpected-row",
                    Location::CsvRow {
                        row: line,
                        field: None,
                    },
                    "row has more than two fields; ignored",
                );
                self.report
                    .ignore_element(&format!("医療費通知CSV/{}/<wide row>", self.block.label()));
                Ok(())
            }
        }
    }

    fn heading(&mut self, line: u64, heading: &str) -> Result<()> {
        // A lone key with an empty value looks like a heading; inside a detail record it is a value.
        if self.block == Block::Detail && DETAIL_KEYS.contains(&heading) {
            return self.key_value(line, heading.to_owned(), "");
        }
        let next =
            Block::from_heading(heading).unwrap_or_else(|| Block::Unknown(heading.to_owned()));
        if next != Block::Detail {
            self.finish_pending()?;
        }
        if let Block::Unknown(h) = &next {
            self.report.ignore_element(&format!("医療費通知CSV/{h}"));
        }
        self.block = next;
        Ok(())
    }

    fn key_value(&mut self, line: u64, key: String, value: &str) -> Result<()> {
        let cell = Cell {
            value: value.to_owned(),
            row: line,
        };
        match &self.block {
            Block::Preamble if key == "作成日" => self.notice_date = Some(cell),
            Block::Eligibility => {
                self.eligibility.insert(key, cell);
            }
            Block::Total => match AMOUNT_KEYS.iter().find(|k| **k == key) {
                Some(k) => {
                    self.total_block.insert(k, cell);
                }
                None => self.ignore(&key),
            },
            Block::Detail => return self.detail_value(key, cell),
            Block::Insurer if key == "保険者の名称" => {
                self.insurer_name = Some(value.to_owned()).filter(|v| !v.is_empty())
            }
            Block::Preamble | Block::Overview | Block::Insurer | Block::Unknown(_)
                if !DERIVED_KEYS.contains(&key.as_str()) =>
            {
                // Unknown document-level keys travel with every detail record (spec §3.3 rule 5).
                let key = format!("{}/{key}", self.block.label());
                self.document_extra.push(MetadataEntry {
                    key,
                    value: cell.value,
                });
            }
            _ => self.ignore(&key),
        }
        Ok(())
    }

    fn ignore(&mut self, key: &str) {
        let path = format!("医療費通知CSV/{}/{key}", self.block.label());
        self.report.ignore_element(&path);
    }

    fn detail_value(&mut self, key: String, cell: Cell) -> Result<()> {
        if key == K_MONTH {
            self.finish_pending()?;
            self.pending = Some(Pending {
                start_row: cell.row,
                ..Pending::default()
            });
        }
        let Some(pending) = self.pending.as_mut() else {
            self.ignore(&key);
            return Ok(());
        };
        match DETAIL_KEYS.iter().find(|k| **k == key) {
            Some(k) if pending.values.contains_key(k) => {
                let row = cell.row;
                self.finish_pending()?;
                self.skip_or_fail(
                    row,
                    Some(*k),
                    "incomplete-record",
                    "detail key repeated before the record was complete",
                )?;
            }
            Some(k) => {
                let complete = *k == K_PATIENT;
                pending.values.insert(k, cell);
                if complete {
                    self.finish_pending()?;
                }
            }
            None => pending.extra.push(MetadataEntry {
                key,
                value: cell.value,
            }),
        }
        Ok(())
    }

    /// Moves the pending record to the finished list, or counts it as skipped if incomplete.
    fn finish_pending(&mut self) -> Result<()> {
        let Some(p) = self.pending.take() else {
            return Ok(());
        };
        if let Some(missing) = DETAIL_KEYS.iter().find(|k| !p.values.contains_key(*k)) {
            return self.skip_or_fail(
                p.start_row,
                Some(missing),
                "incomplete-record",
                "detail record lacks a required key",
            );
        }
        self.details.push(p);
        Ok(())
    }

    fn skip_or_fail(
        &mut self,
        row: u64,
        field: Option<&str>,
        code: &str,
        reason: &str,
    ) -> Result<()> {
        if self.strict {
            return Err(format_err(row, field, reason));
        }
        self.report.items_read += 1;
        let location = Location::CsvRow {
            row,
            field: field.map(str::to_owned),
        };
        self.report.skip(code, location, reason);
        Ok(())
    }

    fn into_records(mut self) -> Result<Buffered> {
        let mut records = VecDeque::new();
        if !self.eligibility.is_empty() {
            self.report.items_read += 1;
            match subject(&self.eligibility, &mut self.report) {
                Ok(s) => {
                    self.report.converted("subject");
                    records.push_back(Record::from(s));
                }
                Err(e) if self.strict => return Err(e),
                Err(e) => {
                    let loc = e.location().cloned().unwrap_or(Location::None);
                    self.report.skip("invalid-subject", loc, e.to_string());
                }
            }
        }
        let notice_date = match self.notice_date.take() {
            Some(c) => Some(parse_date(&c.value).ok_or_else(|| {
                format_err(
                    c.row,
                    Some("作成日"),
                    "作成日 is not a date (YYYY年MM月DD日)",
                )
            })?),
            None => None,
        };
        let mut sums = [0u64; 4];
        for p in std::mem::take(&mut self.details) {
            self.report.items_read += 1;
            match expense(
                &p,
                self.insurer_name.as_deref(),
                notice_date,
                &self.document_extra,
            ) {
                Ok(e) => {
                    if !e.amounts.adds_up() {
                        self.report.issue(
                            Severity::Warning,
                            "amounts-do-not-add-up",
                            at(p.start_row, K_TOTAL),
                            "total differs from insurer + public + patient shares (kept as written)",
                        );
                    }
                    let a = e.amounts;
                    for (s, v) in sums
                        .iter_mut()
                        .zip([a.total, a.insurer, a.public, a.patient])
                    {
                        *s = s.saturating_add(v);
                    }
                    self.report.converted("medicalExpense");
                    records.push_back(Record::Expense(e));
                }
                Err(e) if self.strict => return Err(e),
                Err(e) => {
                    let code = match e.kind() {
                        crate::ErrorKind::InvalidRecord { .. } => "invalid-record",
                        _ => "invalid-value",
                    };
                    let loc = e.location().cloned().unwrap_or(Location::None);
                    self.report.skip(code, loc, e.to_string());
                }
            }
        }
        self.check_total(sums);
        Ok(Buffered {
            records,
            report: self.report,
            format: Format::MynaExpenseCsv,
        })
    }

    /// Compares the 医療費の合計 block with the sum of the detail records read (a warning, not an error:
    /// the overview may cover a different range than the details).
    fn check_total(&mut self, sums: [u64; 4]) {
        for (key, sum) in AMOUNT_KEYS.iter().zip(sums) {
            let Some(cell) = self.total_block.get(key) else {
                continue;
            };
            self.report
                .ignore_element(&format!("医療費通知CSV/医療費の合計/{key}"));
            if parse_yen(&cell.value).ok() != Some(sum) {
                self.report.issue(
                    Severity::Warning,
                    "total-mismatch",
                    at(cell.row, key),
                    "the overview total differs from the sum of the detail records read",
                );
            }
        }
    }
}

fn get<'a>(p: &'a Pending, key: &'static str) -> (&'a str, u64) {
    p.values
        .get(key)
        .map(|c| (c.value.as_str(), c.row))
        .unwrap_or(("", p.start_row))
}

fn amount(p: &Pending, key: &'static str) -> Result<u64> {
    let (v, row) = get(p, key);
    parse_yen(v).map_err(|e| format_err(row, Some(key), e.message()))
}

fn expense(
    p: &Pending,
    insurer_name: Option<&str>,
    notice_date: Option<chrono::NaiveDate>,
    document_extra: &[MetadataEntry],
) -> Result<MedicalExpense> {
    let (m, row) = get(p, K_MONTH);
    let month = jp_text::parse_year_month(m).ok_or_else(|| {
        format_err(
            row,
            Some(K_MONTH),
            "診療年月 is not a year-month (YYYY年M月)",
        )
    })?;
    let (c, row) = get(p, K_CATEGORY);
    if c.is_empty() {
        return Err(format_err(row, Some(K_CATEGORY), "診療区分 is empty"));
    }
    let (d, row) = get(p, K_DAYS);
    let days = if d.is_empty() {
        None
    } else {
        Some(
            parse_count(d)
                .ok_or_else(|| format_err(row, Some(K_DAYS), "日数 is not a whole number"))?,
        )
    };
    let (name, row) = get(p, K_INSTITUTION);
    let institution = Institution::new(None, Some(name))
        .map_err(|e| Error::invalid_record(at(row, K_INSTITUTION), e))?;
    let amounts = ExpenseAmounts {
        total: amount(p, K_TOTAL)?,
        insurer: amount(p, K_INSURER)?,
        public: amount(p, K_PUBLIC)?,
        patient: amount(p, K_PATIENT)?,
    };
    MedicalExpense::new(ExpenseFields {
        month,
        category: CareCategory::from_label(c),
        days,
        institution,
        amounts,
        insurer_name: insurer_name.map(str::to_owned),
        notice_date,
        extra: p.extra.iter().chain(document_extra).cloned().collect(),
    })
    .map_err(|e| Error::invalid_record(at(p.start_row, K_TOTAL), e))
}

/// Splits a name on its first (full- or half-width) space; no space → a whole name, no split guessed.
fn name(s: &str) -> Option<PersonName> {
    let s = s.trim().replace('\u{3000}', " ");
    if s.is_empty() {
        return None;
    }
    Some(match s.split_once(' ') {
        Some((f, g)) if !f.is_empty() && !g.trim().is_empty() => {
            PersonName::from_parts(f, g.trim())
        }
        _ => PersonName::whole(&s),
    })
}

fn subject(e: &BTreeMap<String, Cell>, report: &mut Report) -> Result<Subject> {
    let mut s = Subject::default();
    let val = |k: &str| e.get(k).map(|c| (c.value.as_str(), c.row));
    s.name_kanji = val("氏名").and_then(|(v, _)| name(v));
    s.name_kana = val("氏名カナ").and_then(|(v, _)| name(&kana_to_full_width(v)));
    if let Some((v, row)) = val("生年月日") {
        s.birth_date = Some(
            parse_date(v)
                .ok_or_else(|| format_err(row, Some("生年月日"), "生年月日 is not a date"))?,
        );
    }
    if let Some((v, row)) = val("性別") {
        s.sex = match v.trim() {
            "男" | "男性" => Some(Sex::Male),
            "女" | "女性" => Some(Sex::Female),
            _ => {
                report.issue(
                    Severity::Warning,
                    "unknown-sex",
                    at(row, "性別"),
                    "性別 is neither 男 nor 女; left empty",
                );
                None
            }
        };
    }
    if let Some((insurer, row)) = val("保険者等番号") {
        let symbol = val("被保険者証等記号").map_or("", |v| v.0);
        let number = val("被保険者証等番号").map_or("", |v| v.0);
        let branch = val("枝番").map(|v| v.0);
        s.insured_id = Some(
            InsuredId::new(insurer, symbol, number, branch)
                .map_err(|r| Error::invalid_record(at(row, "保険者等番号"), r))?,
        );
    }
    const KNOWN: [&str; 9] = [
        "氏名",
        "氏名カナ",
        "生年月日",
        "性別",
        "保険者等番号",
        "被保険者証等記号",
        "被保険者証等番号",
        "枝番",
        "年齢",
    ];
    for k in e.keys() {
        // 年齢 is derived from the birth date and the creation date; others are unknown keys.
        if k == "年齢" || !KNOWN.contains(&k.as_str()) {
            report.ignore_element(&format!("医療費通知CSV/資格情報/{k}"));
        }
    }
    Ok(s)
}
