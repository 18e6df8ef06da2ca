//! Japanese text as downloads write it: encodings (UTF-8 with or without BOM, Shift_JIS/CP932), half-width
//! katakana, full-width digits, `2025年3月` year-months, `1981年01月01日` and era dates, and yen amounts
//! with thousands separators. Shared by the 医療費通知 CSV reader and the mapping layer.

use std::borrow::Cow;

use chrono::NaiveDate;

use crate::error::{Error, Location};
use crate::record::YearMonth;

/// The encoding a text input was decoded from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextEncoding {
    /// UTF-8 without BOM.
    Utf8,
    /// UTF-8 with a BOM.
    Utf8Bom,
    /// Shift_JIS as Windows writes it (CP932, WHATWG `Shift_JIS`).
    ShiftJis,
}

/// Decodes a whole (already size-bounded) text: a UTF-8 BOM means UTF-8 and nothing else; otherwise UTF-8
/// if valid, else Shift_JIS (CP932). Shift_JIS is a safety net for files re-saved by spreadsheet software
/// (unverified that the portal itself ever writes it, `mynaportal.md` §3.1). Invalid in both → error with
/// the byte offset of the first invalid UTF-8 sequence; UTF-16 is refused explicitly.
pub fn decode_text<'a>(
    bytes: &'a [u8],
    format: &'static str,
) -> Result<(Cow<'a, str>, TextEncoding), Error> {
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        return Err(Error::format(
            format,
            Location::Byte(0),
            "UTF-16 text is not supported; expected UTF-8 or Shift_JIS",
        ));
    }
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return match std::str::from_utf8(rest) {
            Ok(s) => Ok((Cow::Borrowed(s), TextEncoding::Utf8Bom)),
            Err(e) => Err(Error::format(
                format,
                Location::Byte(3 + e.valid_up_to() as u64),
                "invalid UTF-8 after a UTF-8 byte-order mark",
            )),
        };
    }
    let utf8_err = match std::str::from_utf8(bytes) {
        Ok(s) => return Ok((Cow::Borrowed(s), TextEncoding::Utf8)),
        Err(e) => e,
    };
    match encoding_rs::SHIFT_JIS.decode_without_bom_handling_and_without_replacement(bytes) {
        Some(s) => Ok((s, TextEncoding::ShiftJis)),
        None => Err(Error::format(
            format,
            Location::Byte(utf8_err.valid_up_to() as u64),
            "text is neither valid UTF-8 nor valid Shift_JIS (CP932)",
        )),
    }
}

/// Full-width ASCII → ASCII, ideographic space → space (digits and parentheses in keys and values).
pub fn fold(s: &str) -> String {
    crate::record::fold_width(s.trim())
}

const HALF_KANA: &str = "｡｢｣､･ｦｧｨｩｪｫｬｭｮｯｰｱｲｳｴｵｶｷｸｹｺｻｼｽｾｿﾀﾁﾂﾃﾄﾅﾆﾇﾈﾉﾊﾋﾌﾍﾎﾏﾐﾑﾒﾓﾔﾕﾖﾗﾘﾙﾚﾛﾜﾝﾞﾟ";
const FULL_KANA: &str = "。「」、・ヲァィゥェォャュョッーアイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワン゛゜";

/// Half-width katakana → full-width, composing voiced (ﾞ) and semi-voiced (ﾟ) marks with the preceding
/// kana (`ｶﾞ` → `ガ`, `ﾊﾟ` → `パ`, `ｳﾞ` → `ヴ`). Other characters pass through.
pub fn kana_to_full_width(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let full = HALF_KANA
            .chars()
            .position(|h| h == c)
            .and_then(|i| FULL_KANA.chars().nth(i));
        match (c, out.chars().last()) {
            ('ﾞ', Some(prev)) if voiced(prev).is_some() => {
                out.pop();
                out.extend(voiced(prev));
            }
            ('ﾟ', Some(prev))
                if ('ハ'..='ホ').contains(&prev) && (prev as u32 - 'ハ' as u32) % 3 == 0 =>
            {
                out.pop();
                out.extend(char::from_u32(prev as u32 + 2));
            }
            _ => out.push(full.unwrap_or(c)),
        }
    }
    out
}

fn voiced(c: char) -> Option<char> {
    let code = c as u32;
    let in_ka_to = ('カ'..='ト').contains(&c) && {
        // カ..ト alternate unvoiced/voiced except ッ (small tsu) which breaks the pattern at ツ.
        let k = if c >= 'ツ' { code - 1 } else { code };
        (k - 'カ' as u32) % 2 == 0 && c != 'ッ'
    };
    let in_ha_ho = ('ハ'..='ホ').contains(&c) && (code - 'ハ' as u32) % 3 == 0;
    if c == 'ウ' {
        Some('ヴ')
    } else if in_ka_to || in_ha_ho {
        char::from_u32(code + 1)
    } else {
        None
    }
}

/// Japanese era start years (year 1 of the era = start year). Defensive: the 医療費通知 CSV writes western
/// years (verified only from one fixture); era forms are accepted because hand-made and older files use them.
const ERAS: &[(&str, i32)] = &[
    ("令和", 2018),
    ("平成", 1988),
    ("昭和", 1925),
    ("大正", 1911),
];

/// Splits `令和7年…` / `2025年…` into (western year, rest after 年).
fn year_prefix(s: &str) -> Option<(i32, &str)> {
    let (y, rest) = s.split_once('年')?;
    for (era, base) in ERAS {
        if let Some(n) = y.strip_prefix(era) {
            let n: i32 = if n == "元" { 1 } else { n.parse().ok()? };
            return (n >= 1).then_some((base + n, rest));
        }
    }
    if y.len() == 4 && y.bytes().all(|b| b.is_ascii_digit()) {
        Some((y.parse().ok()?, rest))
    } else {
        None
    }
}

fn small_number(s: &str) -> Option<u32> {
    if s.is_empty() || s.len() > 2 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Parses a date: `1981年01月01日`, `1981年1月1日`, era forms, `1981/1/1`, `1981-01-01`, `19810101`.
pub fn parse_date(raw: &str) -> Option<NaiveDate> {
    let s = fold(raw);
    if let Some((year, rest)) = year_prefix(&s) {
        let (m, rest) = rest.split_once('月')?;
        let d = rest.strip_suffix('日')?;
        return NaiveDate::from_ymd_opt(year, small_number(m)?, small_number(d)?);
    }
    if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) {
        return NaiveDate::parse_from_str(&s, "%Y%m%d").ok();
    }
    let parts: Vec<&str> = s.split(['/', '-']).collect();
    let [y, m, d] = parts.as_slice() else {
        return None;
    };
    if y.len() != 4 || !y.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    NaiveDate::from_ymd_opt(y.parse().ok()?, small_number(m)?, small_number(d)?)
}

/// Parses a year-month: `2025年3月`, `2025年03月`, era forms, `2025/3`, `2025-03`, `202503`.
pub fn parse_year_month(raw: &str) -> Option<YearMonth> {
    let s = fold(raw);
    let (year, month) = if let Some((year, rest)) = year_prefix(&s) {
        (year, small_number(rest.strip_suffix('月')?)?)
    } else if s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit()) {
        (s[..4].parse().ok()?, s[4..].parse().ok()?)
    } else {
        let (y, m) = s.split_once(['/', '-'])?;
        if y.len() != 4 || !y.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        (y.parse().ok()?, small_number(m)?)
    };
    YearMonth::new(year, month).ok()
}

/// Why an amount could not be read (never carries the value).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AmountError {
    /// Empty field.
    Empty,
    /// A minus sign: notices have no negative amounts.
    Negative,
    /// Not digits with optional thousands separators.
    NotANumber,
    /// More than `u64` yen.
    Overflow,
}

impl AmountError {
    /// A message for reports.
    pub fn message(self) -> &'static str {
        match self {
            AmountError::Empty => "amount is empty",
            AmountError::Negative => "amount is negative",
            AmountError::NotANumber => "amount is not a whole number of yen",
            AmountError::Overflow => "amount is too large",
        }
    }
}

/// Parses whole yen: `12,340`, `１２，３４０`, `12340円`. Separators are stripped before converting (the
/// defect of one public parser, `mynaportal.md` §3.3 rule 1), and only between digits.
pub fn parse_yen(raw: &str) -> Result<u64, AmountError> {
    let s = fold(raw).replace('，', ",");
    let s = s.strip_suffix('円').unwrap_or(&s).trim();
    if s.is_empty() {
        return Err(AmountError::Empty);
    }
    if s.starts_with('-') || s.starts_with('−') || s.starts_with('△') || s.starts_with('▲') {
        return Err(AmountError::Negative);
    }
    if s.starts_with(',') || s.ends_with(',') || s.contains(",,") {
        return Err(AmountError::NotANumber);
    }
    let mut v: u64 = 0;
    for b in s.bytes().filter(|&b| b != b',') {
        if !b.is_ascii_digit() {
            return Err(AmountError::NotANumber);
        }
        v = v
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(b - b'0')))
            .ok_or(AmountError::Overflow)?;
    }
    Ok(v)
}

/// Parses a small whole count (`1`, `１`, `12日`, `45歳`): days, dose numbers.
pub fn parse_count(raw: &str) -> Option<u32> {
    let s = fold(raw);
    let s = s.trim_end_matches(['日', '回', '歳']).trim();
    if s.is_empty() || s.len() > 9 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_width_kana_compose_marks() {
        assert_eq!(kana_to_full_width("ｹﾝｼﾝ ﾊﾅｺ"), "ケンシン ハナコ");
        assert_eq!(
            kana_to_full_width("ｶﾞｯｺｳ ﾊﾟﾝ ｳﾞｧ ﾂﾞ ﾄﾞ ﾎﾟ"),
            "ガッコウ パン ヴァ ヅ ド ポ"
        );
        assert_eq!(kana_to_full_width("ｯﾞ"), "ッ゛");
        assert_eq!(kana_to_full_width("ABC 漢字"), "ABC 漢字");
    }

    #[test]
    fn dates_and_months_in_japanese_forms() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d);
        assert_eq!(parse_date("1981年01月01日"), d(1981, 1, 1));
        assert_eq!(parse_date("１９８１年１月２日"), d(1981, 1, 2));
        assert_eq!(parse_date("令和元年5月1日"), d(2019, 5, 1));
        assert_eq!(parse_date("平成31年4月30日"), d(2019, 4, 30));
        assert_eq!(parse_date("1981/1/2"), d(1981, 1, 2));
        assert_eq!(parse_date("19810102"), d(1981, 1, 2));
        assert_eq!(parse_date("2025年2月30日"), None);
        assert_eq!(parse_date("2025年2月"), None);
        assert_eq!(parse_date("令和0年1月1日"), None);
        let ym = parse_year_month("2025年3月").unwrap();
        assert_eq!((ym.year(), ym.month()), (2025, 3));
        assert_eq!(parse_year_month("令和7年03月"), Some(ym));
        assert_eq!(parse_year_month("202503"), Some(ym));
        assert_eq!(parse_year_month("2025年13月"), None);
        assert_eq!(parse_year_month("2025年123月"), None);
    }

    #[test]
    fn yen_amounts() {
        assert_eq!(parse_yen("12,340"), Ok(12340));
        assert_eq!(parse_yen("１２，３４０円"), Ok(12340));
        assert_eq!(parse_yen("0"), Ok(0));
        assert_eq!(parse_yen(""), Err(AmountError::Empty));
        assert_eq!(parse_yen("-5"), Err(AmountError::Negative));
        assert_eq!(parse_yen("1,2a"), Err(AmountError::NotANumber));
        assert_eq!(parse_yen(",100"), Err(AmountError::NotANumber));
        assert_eq!(
            parse_yen("18446744073709551616"),
            Err(AmountError::Overflow)
        );
        assert_eq!(parse_yen("18,446,744,073,709,551,615"), Ok(u64::MAX));
    }

    #[test]
    fn decodes_utf8_bom_and_shift_jis() {
        let (s, e) = decode_text("医療費".as_bytes(), "t").unwrap();
        assert_eq!((s.as_ref(), e), ("医療費", TextEncoding::Utf8));
        let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode("医療費ｹﾝｼﾝ");
        let (s, e) = decode_text(&sjis, "t").unwrap();
        assert_eq!((s.as_ref(), e), ("医療費ｹﾝｼﾝ", TextEncoding::ShiftJis));
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice(&sjis);
        assert!(decode_text(&bom, "t").is_err());
        assert!(decode_text(b"\x82\xFF\xFF", "t").is_err());
    }
}
