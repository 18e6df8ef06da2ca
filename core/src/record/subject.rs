//! The person records are about. Every field is optional: pseudonymised data lacks most of them.
//!
//! `Debug` on these types masks values, so a subject printed in a log or an error shows which fields are
//! present, never what they contain (privacy by default).

use std::fmt;

use chrono::NaiveDate;

use super::{Coding, RecordError};

/// Administrative sex (FHIR `AdministrativeGender`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Sex {
    /// male
    Male,
    /// female
    Female,
    /// other
    Other,
    /// unknown
    Unknown,
}

impl Sex {
    /// The FHIR code.
    pub fn code(self) -> &'static str {
        match self {
            Sex::Male => "male",
            Sex::Female => "female",
            Sex::Other => "other",
            Sex::Unknown => "unknown",
        }
    }

    /// Inverse of [`Sex::code`].
    pub fn from_code(code: &str) -> Option<Sex> {
        Some(match code {
            "male" => Sex::Male,
            "female" => Sex::Female,
            "other" => Sex::Other,
            "unknown" => Sex::Unknown,
            _ => return None,
        })
    }
}

/// A name in one written form (kanji or kana).
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct PersonName {
    /// Family name part, if known separately.
    pub family: Option<String>,
    /// Given name part, if known separately.
    pub given: Option<String>,
    /// The whole name; JP Core joins family and given with one half-width space.
    pub text: String,
}

impl PersonName {
    /// A name from its parts, `text` = `family given`.
    pub fn from_parts(family: &str, given: &str) -> PersonName {
        PersonName {
            family: Some(family.to_owned()),
            given: Some(given.to_owned()),
            text: format!("{family} {given}"),
        }
    }

    /// A name known only as a whole (CDA kana names usually are): no split is guessed.
    pub fn whole(text: &str) -> PersonName {
        PersonName {
            family: None,
            given: None,
            text: text.to_owned(),
        }
    }
}

impl fmt::Debug for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PersonName(<{} chars>)", self.text.chars().count())
    }
}

/// An address, kept coarse enough to be pseudonymised by field.
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct Address {
    /// Postal code (`123-4567` or `1234567` as given).
    pub postal_code: Option<String>,
    /// Prefecture (`東京都`).
    pub prefecture: Option<String>,
    /// The rest of the address as text.
    pub text: Option<String>,
}

impl fmt::Debug for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Address")
            .field(
                "postal_code",
                &self.postal_code.as_ref().map(|_| "<masked>"),
            )
            .field("prefecture", &self.prefecture.as_ref().map(|_| "<masked>"))
            .field("text", &self.text.as_ref().map(|_| "<masked>"))
            .finish()
    }
}

/// The insured-person identifier (被保険者個人識別子): insurer number, card symbol, card number, branch.
///
/// Stored normalised the way JP Core writes it (section 5 of `jp-fhir.md`): insurer number left-padded to 8
/// digits; symbol and number all half-width when purely alphanumeric, otherwise all full-width; branch two
/// digits or absent. Normalising at construction makes round trips exact.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct InsuredId {
    insurer: String,
    symbol: String,
    number: String,
    branch: Option<String>,
}

impl InsuredId {
    /// Builds and normalises an insured-person identifier.
    pub fn new(
        insurer: &str,
        symbol: &str,
        number: &str,
        branch: Option<&str>,
    ) -> Result<InsuredId, RecordError> {
        let insurer = super::fold_width(insurer.trim());
        if insurer.is_empty() || insurer.len() > 8 || !insurer.bytes().all(|b| b.is_ascii_digit()) {
            return Err(RecordError::MalformedIdentifier {
                what: "insurer number",
            });
        }
        let insurer = format!("{insurer:0>8}");
        let symbol = normalise_card_element(symbol, "insured symbol")?;
        let number = normalise_card_element(number, "insured number")?;
        if number.is_empty() {
            return Err(RecordError::Empty {
                field: "insured number",
            });
        }
        let branch = match branch.map(|b| super::fold_width(b.trim())) {
            None => None,
            Some(b) if b.is_empty() => None,
            Some(b) if b.len() <= 2 && b.bytes().all(|c| c.is_ascii_digit()) => {
                Some(format!("{b:0>2}"))
            }
            Some(_) => {
                return Err(RecordError::MalformedIdentifier {
                    what: "branch number",
                })
            }
        };
        Ok(InsuredId {
            insurer,
            symbol,
            number,
            branch,
        })
    }

    /// Parses the JP Core form `insurer:symbol:number:branch` (trailing colon when no branch).
    pub fn parse(value: &str) -> Result<InsuredId, RecordError> {
        let parts: Vec<&str> = value.split(':').collect();
        let [insurer, symbol, number, branch] = parts.as_slice() else {
            return Err(RecordError::MalformedIdentifier {
                what: "insured-person identifier",
            });
        };
        InsuredId::new(insurer, symbol, number, Some(branch))
    }

    /// The JP Core form `00012345:記号:番号:05`.
    pub fn to_jp_core(&self) -> String {
        format!(
            "{}:{}:{}:{}",
            self.insurer,
            self.symbol,
            self.number,
            self.branch.as_deref().unwrap_or("")
        )
    }

    /// Insurer number, 8 digits.
    pub fn insurer(&self) -> &str {
        &self.insurer
    }
    /// Card symbol (empty when the card has none).
    pub fn symbol(&self) -> &str {
        &self.symbol
    }
    /// Card number.
    pub fn number(&self) -> &str {
        &self.number
    }
    /// Branch number, two digits.
    pub fn branch(&self) -> Option<&str> {
        self.branch.as_deref()
    }
}

impl fmt::Debug for InsuredId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("InsuredId(<masked>)")
    }
}

fn normalise_card_element(raw: &str, what: &'static str) -> Result<String, RecordError> {
    let half = super::fold_width(raw.trim());
    if half.contains(':') || half.chars().any(char::is_whitespace) {
        return Err(RecordError::MalformedIdentifier { what });
    }
    if half.chars().all(|c| c.is_ascii_alphanumeric()) {
        // Purely alphanumeric: JP Core allows all half-width or all full-width; keep an all-full-width
        // element as written, fold a mixed one to half-width.
        let all_full = raw
            .trim()
            .chars()
            .all(|c| matches!(c, '０'..='９' | 'Ａ'..='Ｚ' | 'ａ'..='ｚ'));
        return Ok(if all_full {
            raw.trim().to_owned()
        } else {
            half
        });
    }
    // Contains a symbol, kana or kanji: the whole element is full-width, digits included.
    Ok(half
        .chars()
        .map(|c| match c {
            '!'..='~' => char::from_u32(c as u32 + 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .collect())
}

/// An age range in whole years, inclusive (`40–44`), or open above (`90+`): what anonymised data keeps
/// of a birth date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AgeBand {
    /// Lowest age in the band.
    pub low: u16,
    /// Highest age in the band; `None` for a top-coded open band.
    pub high: Option<u16>,
}

impl std::fmt::Display for AgeBand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.high {
            Some(h) => write!(f, "{}-{}", self.low, h),
            None => write!(f, "{}+", self.low),
        }
    }
}

/// A person.
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct Subject {
    /// Insured-person identifier, if known.
    pub insured_id: Option<InsuredId>,
    /// Other identifiers (institution patient ids, pseudonyms), as system + value.
    pub identifiers: Vec<Coding>,
    /// Name in kanji (IDE).
    pub name_kanji: Option<PersonName>,
    /// Name in katakana (SYL).
    pub name_kana: Option<PersonName>,
    /// Birth date.
    pub birth_date: Option<NaiveDate>,
    /// Birth year alone, when the exact date was generalised away (pseudonymised data); written as the
    /// partial FHIR `birthDate` `YYYY`. Ignored when `birth_date` is present.
    pub birth_year: Option<i32>,
    /// Age band at a reference date, when birth data was generalised for anonymisation.
    pub age_band: Option<AgeBand>,
    /// Administrative sex.
    pub sex: Option<Sex>,
    /// Address.
    pub address: Option<Address>,
}

impl Subject {
    /// True when nothing is known about the person (an anonymous placeholder).
    pub fn is_empty(&self) -> bool {
        *self == Subject::default()
    }
}

impl fmt::Debug for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let present = |b: bool| if b { "<present>" } else { "<absent>" };
        f.debug_struct("Subject")
            .field("insured_id", &present(self.insured_id.is_some()))
            .field("identifiers", &self.identifiers.len())
            .field("name_kanji", &present(self.name_kanji.is_some()))
            .field("name_kana", &present(self.name_kana.is_some()))
            .field("birth_date", &present(self.birth_date.is_some()))
            .field("birth_year", &present(self.birth_year.is_some()))
            .field("age_band", &self.age_band)
            .field("sex", &self.sex)
            .field("address", &present(self.address.is_some()))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insured_id_normalises_width_and_padding() {
        let id = InsuredId::new("12345", "12-34", "5678", None).unwrap();
        assert_eq!(id.to_jp_core(), "00012345:１２－３４:5678:");
        let id = InsuredId::new("06123456", "あいう", "１８７", Some("5")).unwrap();
        assert_eq!(id.to_jp_core(), "06123456:あいう:１８７:05");
        assert_eq!(InsuredId::parse(&id.to_jp_core()).unwrap(), id);
    }

    #[test]
    fn insured_id_rejects_malformed_elements() {
        assert!(InsuredId::new("123456789", "", "1", None).is_err());
        assert!(InsuredId::new("1234", "a:b", "1", None).is_err());
        assert!(InsuredId::new("1234", "", "1", Some("123")).is_err());
        assert!(InsuredId::parse("1:2:3").is_err());
    }

    #[test]
    fn debug_never_shows_personal_values() {
        let s = Subject {
            name_kanji: Some(PersonName::from_parts("山田", "太郎")),
            insured_id: Some(InsuredId::new("12345678", "ABC", "999", None).unwrap()),
            ..Subject::default()
        };
        let d = format!("{s:?}");
        assert!(!d.contains("山田") && !d.contains("999") && !d.contains("12345678"));
    }
}
