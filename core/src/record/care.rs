//! Small value types shared by the care records (medication, immunization, medical expense): a care
//! institution, a coded-or-text concept, a date-or-instant, a year-month and money in yen.
//!
//! They validate at construction like every record type, so a reader or the mapping layer cannot produce
//! an institution code of the wrong length or a 13th month.

use std::fmt;

use chrono::NaiveDate;

use super::{Coding, RecordError, Timestamp};

/// A medical institution or pharmacy: its code (医療機関コード) and/or its name.
///
/// The code is either the 10-digit form (prefecture 2 + fee-table 1 + 7) used by JP Core
/// `insurance-medical-institution-no`, or the 7-digit MHLW form; both are digits only (`jp-fhir.md` §2).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct Institution {
    code: Option<String>,
    name: Option<String>,
}

impl Institution {
    /// An institution from an optional code and name; at least one must be present.
    pub fn new(code: Option<&str>, name: Option<&str>) -> Result<Institution, RecordError> {
        let code = non_empty(code).map(|c| super::fold_width(&c));
        if let Some(c) = &code {
            if !(c.len() == 7 || c.len() == 10) || !c.bytes().all(|b| b.is_ascii_digit()) {
                return Err(RecordError::MalformedIdentifier {
                    what: "institution code (7 or 10 digits)",
                });
            }
        }
        let name = non_empty(name);
        if code.is_none() && name.is_none() {
            return Err(RecordError::Empty {
                field: "institution code or name",
            });
        }
        Ok(Institution { code, name })
    }

    /// The institution code, 7 or 10 digits.
    pub fn code(&self) -> Option<&str> {
        self.code.as_deref()
    }

    /// The institution name as written by the source.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }
}

/// A concept given as a code, a text, or both (a vaccine known only by name keeps its name, `jp-fhir.md` §7).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CodedText {
    coding: Option<Coding>,
    text: Option<String>,
}

impl CodedText {
    /// A concept; at least a code or a text. `what` names the field in the error.
    pub fn new(
        coding: Option<Coding>,
        text: Option<&str>,
        what: &'static str,
    ) -> Result<CodedText, RecordError> {
        if let Some(c) = &coding {
            check_code(&c.system, &c.code, what)?;
        }
        let text = non_empty(text);
        if coding.is_none() && text.is_none() {
            return Err(RecordError::Empty { field: what });
        }
        Ok(CodedText { coding, text })
    }

    /// Text only.
    pub fn text_only(text: &str, what: &'static str) -> Result<CodedText, RecordError> {
        CodedText::new(None, Some(text), what)
    }

    /// The coding, if any (system in canonical form, see `fhir::jp_systems`).
    pub fn coding(&self) -> Option<&Coding> {
        self.coding.as_ref()
    }

    /// The text, if any.
    pub fn text(&self) -> Option<&str> {
        self.text.as_deref()
    }
}

/// Checks that a code and its system are non-empty and free of whitespace (a code with spaces is almost
/// always two values glued together).
pub(crate) fn check_code(system: &str, code: &str, what: &'static str) -> Result<(), RecordError> {
    if system.trim().is_empty() || code.is_empty() {
        return Err(RecordError::Empty { field: what });
    }
    if code.chars().any(char::is_whitespace) || code.len() > 64 {
        return Err(RecordError::MalformedIdentifier { what });
    }
    Ok(())
}

/// When care happened: a calendar date (most PHR sources) or an instant with its offset.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum CareDate {
    /// A date without time.
    Date(NaiveDate),
    /// An instant with the offset it was written with.
    Instant(Timestamp),
}

impl CareDate {
    /// The calendar date (in the instant's own offset).
    pub fn date(&self) -> NaiveDate {
        match self {
            CareDate::Date(d) => *d,
            CareDate::Instant(t) => t.date_naive(),
        }
    }
}

/// A year and month (診療年月): claims and expense notices are monthly, not daily; converting them to a
/// date would invent a day.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct YearMonth {
    year: i32,
    month: u32,
}

impl YearMonth {
    /// A year-month; the month must be 1–12 and the year 1868–9999 (Meiji onward; four digits in FHIR).
    pub fn new(year: i32, month: u32) -> Result<YearMonth, RecordError> {
        if !(1868..=9999).contains(&year) {
            return Err(RecordError::OutOfRange { field: "year" });
        }
        if !(1..=12).contains(&month) {
            return Err(RecordError::OutOfRange { field: "month" });
        }
        Ok(YearMonth { year, month })
    }

    /// The year.
    pub fn year(self) -> i32 {
        self.year
    }

    /// The month, 1–12.
    pub fn month(self) -> u32 {
        self.month
    }

    /// First day of the month.
    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).unwrap_or(NaiveDate::MIN)
    }

    /// Last day of the month.
    pub fn last_day(self) -> NaiveDate {
        let (y, m) = if self.month == 12 {
            (self.year + 1, 1)
        } else {
            (self.year, self.month + 1)
        };
        NaiveDate::from_ymd_opt(y, m, 1)
            .and_then(|d| d.pred_opt())
            .unwrap_or(NaiveDate::MAX)
    }

    /// Parses the FHIR `gYearMonth` form `2025-03`.
    pub fn parse_iso(s: &str) -> Option<YearMonth> {
        let (y, m) = s.split_once('-')?;
        if y.len() != 4 || m.len() != 2 {
            return None;
        }
        YearMonth::new(y.parse().ok()?, m.parse().ok()?).ok()
    }
}

impl fmt::Display for YearMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl fmt::Debug for YearMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "YearMonth({self})")
    }
}

fn non_empty(s: Option<&str>) -> Option<String> {
    s.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn institution_codes_are_7_or_10_digits() {
        assert!(Institution::new(Some("1312345678"), None).is_ok());
        assert_eq!(
            Institution::new(Some("１２３４５６７"), None)
                .unwrap()
                .code(),
            Some("1234567")
        );
        assert!(Institution::new(Some("12345"), Some("x")).is_err());
        assert!(Institution::new(None, Some("  ")).is_err());
    }

    #[test]
    fn year_month_bounds_and_days() {
        let ym = YearMonth::new(2024, 2).unwrap();
        assert_eq!(ym.last_day().to_string(), "2024-02-29");
        assert_eq!(ym.to_string(), "2024-02");
        assert_eq!(YearMonth::parse_iso("2024-02"), Some(ym));
        assert!(YearMonth::new(2024, 13).is_err());
        assert!(YearMonth::new(2024, 0).is_err());
        assert_eq!(
            YearMonth::new(2024, 12).unwrap().last_day().to_string(),
            "2024-12-31"
        );
    }
}
