//! Units of measure, as the UCUM codes phrkit emits.
//!
//! Every quantity inside phrkit carries one of these units, so "unknown unit" is a construction-time error
//! rather than a string that reaches a FHIR file. Source spellings (`count/min`, `mmHg`, `Cal`, `回/分` …) are
//! mapped here by [`Unit::from_source_spelling`]; conversions between units of one dimension live in
//! [`crate::record::convert`].

use std::fmt;

/// A unit of measure with a fixed UCUM code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Unit {
    /// `{steps}` — step count (annotation; dimensionless in UCUM arithmetic).
    Steps,
    /// `/min` — beats or breaths per minute.
    PerMinute,
    /// `mm[Hg]` — blood pressure.
    MillimeterOfMercury,
    /// `kg`
    Kilogram,
    /// `g`
    Gram,
    /// `[lb_av]` — avoirdupois pound.
    Pound,
    /// `cm`
    Centimeter,
    /// `m`
    Meter,
    /// `km`
    Kilometer,
    /// `[in_i]` — international inch.
    Inch,
    /// `%`
    Percent,
    /// `Cel` — degree Celsius.
    Celsius,
    /// `[degF]` — degree Fahrenheit.
    Fahrenheit,
    /// `kcal` — kilocalorie (Apple's food "Cal").
    Kilocalorie,
    /// `kJ`
    Kilojoule,
    /// `kcal/d` — energy rate (basal metabolic rate).
    KilocaloriePerDay,
    /// `ms`
    Millisecond,
    /// `s`
    Second,
    /// `min`
    Minute,
    /// `h`
    Hour,
    /// `mg/dL`
    MilligramPerDeciliter,
    /// `mmol/L`
    MillimolePerLiter,
    /// `kg/m2`
    KilogramPerSquareMeter,
    /// `mL/(kg.min)` — VO2 max.
    MilliliterPerKilogramMinute,
    /// `1` — a dimensionless count (flights climbed, stand hours).
    One,
    /// `L`
    Liter,
    /// `mL`
    Milliliter,
    /// `m/s`
    MeterPerSecond,
    /// `km/h`
    KilometerPerHour,
    /// `dB` — sound level (Apple `dBASPL`).
    Decibel,
    /// `kcal/(kg.h)` — physical effort / METs rate.
    KilocaloriePerKilogramHour,
    /// `{count}` — events counted by the source without a more specific annotation.
    Count,
    /// `[ft_i]` — international foot (Apple heights in US locales; readers convert to `cm`).
    Foot,
    /// `[mi_i]` — international mile (readers convert to `km`).
    Mile,
    /// `[yd_i]` — international yard (swimming distances; readers convert to `m`).
    Yard,
    /// `[mi_i]/h` — miles per hour (readers convert to `km/h`).
    MilePerHour,
}

/// (unit, UCUM code, display) — one row per unit; the single source of truth for spellings.
const TABLE: &[(Unit, &str, &str)] = &[
    (Unit::Steps, "{steps}", "steps"),
    (Unit::PerMinute, "/min", "/min"),
    (Unit::MillimeterOfMercury, "mm[Hg]", "mmHg"),
    (Unit::Kilogram, "kg", "kg"),
    (Unit::Gram, "g", "g"),
    (Unit::Pound, "[lb_av]", "lb"),
    (Unit::Centimeter, "cm", "cm"),
    (Unit::Meter, "m", "m"),
    (Unit::Kilometer, "km", "km"),
    (Unit::Inch, "[in_i]", "in"),
    (Unit::Percent, "%", "%"),
    (Unit::Celsius, "Cel", "°C"),
    (Unit::Fahrenheit, "[degF]", "°F"),
    (Unit::Kilocalorie, "kcal", "kcal"),
    (Unit::Kilojoule, "kJ", "kJ"),
    (Unit::KilocaloriePerDay, "kcal/d", "kcal/day"),
    (Unit::Millisecond, "ms", "ms"),
    (Unit::Second, "s", "s"),
    (Unit::Minute, "min", "min"),
    (Unit::Hour, "h", "h"),
    (Unit::MilligramPerDeciliter, "mg/dL", "mg/dL"),
    (Unit::MillimolePerLiter, "mmol/L", "mmol/L"),
    (Unit::KilogramPerSquareMeter, "kg/m2", "kg/m2"),
    (
        Unit::MilliliterPerKilogramMinute,
        "mL/(kg.min)",
        "mL/(kg·min)",
    ),
    (Unit::One, "1", "1"),
    (Unit::Liter, "L", "L"),
    (Unit::Milliliter, "mL", "mL"),
    (Unit::MeterPerSecond, "m/s", "m/s"),
    (Unit::KilometerPerHour, "km/h", "km/h"),
    (Unit::Decibel, "dB", "dB"),
    (
        Unit::KilocaloriePerKilogramHour,
        "kcal/(kg.h)",
        "kcal/(kg·h)",
    ),
    (Unit::Count, "{count}", "count"),
    (Unit::Foot, "[ft_i]", "ft"),
    (Unit::Mile, "[mi_i]", "mi"),
    (Unit::Yard, "[yd_i]", "yd"),
    (Unit::MilePerHour, "[mi_i]/h", "mph"),
];

impl Unit {
    /// The UCUM code written to `Quantity.code`.
    pub fn ucum(self) -> &'static str {
        Self::row(self).1
    }

    /// A human display written to `Quantity.unit`.
    pub fn display(self) -> &'static str {
        Self::row(self).2
    }

    fn row(self) -> &'static (Unit, &'static str, &'static str) {
        // The table has a row for every variant (checked by a unit test), so the fallback is unreachable.
        TABLE.iter().find(|r| r.0 == self).unwrap_or(&TABLE[0])
    }

    /// Looks a UCUM code up exactly (case-sensitive, as UCUM is).
    pub fn from_ucum(code: &str) -> Option<Unit> {
        TABLE.iter().find(|r| r.1 == code).map(|r| r.0)
    }

    /// Accepts the UCUM code and the spellings sources use in practice (Apple, Health Connect, Japanese
    /// devices, display units in inbound JP Core data). Full-width forms are folded first.
    ///
    /// This maps a spelling to a unit only where the spelling is unambiguous; Apple's `Cal` is kilocalories
    /// but UCUM `cal` is a small calorie, so `cal` is deliberately *not* accepted here.
    pub fn from_source_spelling(raw: &str) -> Option<Unit> {
        if let Some(u) = Self::from_ucum(raw) {
            return Some(u);
        }
        let folded = fold_width(raw.trim());
        let s = folded.as_str();
        if let Some(u) = Self::from_ucum(s) {
            return Some(u);
        }
        Some(match s {
            "count/min" | "bpm" | "beats/min" | "回/分" | "拍/分" | "breaths/min" => {
                Unit::PerMinute
            }
            "mmHg" | "mmhg" => Unit::MillimeterOfMercury,
            "lb" | "lbs" => Unit::Pound,
            "in" => Unit::Inch,
            "degC" | "℃" | "°C" | "C" => Unit::Celsius,
            "degF" | "℉" | "°F" | "F" => Unit::Fahrenheit,
            "Cal" | "[Cal]" | "kilocalories" => Unit::Kilocalorie,
            "mg/dl" => Unit::MilligramPerDeciliter,
            "mmol<180.1558800000541>/L" | "mmol/l" => Unit::MillimolePerLiter,
            // Apple embeds glucose's molar mass in the unit; any `mmol<…>/L` is a molar concentration.
            s if s.starts_with("mmol<") && s.ends_with(">/L") => Unit::MillimolePerLiter,
            "ft" => Unit::Foot,
            "mi" => Unit::Mile,
            "yd" => Unit::Yard,
            "mi/hr" | "mph" => Unit::MilePerHour,
            "km/h" => Unit::KilometerPerHour,
            "steps" | "歩" => Unit::Steps,
            "count" | "回" => Unit::Count,
            "mL/min·kg" | "ml/kg/min" | "mL/kg/min" | "mL/(kg·min)" => {
                Unit::MilliliterPerKilogramMinute
            }
            "km/hr" => Unit::KilometerPerHour,
            "dBASPL" | "dB(SPL)" | "dB[SPL]" => Unit::Decibel,
            "kcal/hr·kg" | "kcal/hr/kg" => Unit::KilocaloriePerKilogramHour,
            "ml" => Unit::Milliliter,
            "l" => Unit::Liter,
            "hr" => Unit::Hour,
            "sec" => Unit::Second,
            _ => return None,
        })
    }
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.ucum())
    }
}

/// Folds full-width ASCII (`ｋｇ`, `／`) to half-width; other characters pass unchanged.
pub(crate) fn fold_width(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            _ => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_round_trips_through_its_ucum_code() {
        for (unit, code, _) in TABLE {
            assert_eq!(Unit::from_ucum(code), Some(*unit));
            assert_eq!(unit.ucum(), *code);
        }
    }

    #[test]
    fn source_spellings_map_to_ucum() {
        assert_eq!(
            Unit::from_source_spelling("count/min"),
            Some(Unit::PerMinute)
        );
        assert_eq!(
            Unit::from_source_spelling("mmHg"),
            Some(Unit::MillimeterOfMercury)
        );
        assert_eq!(Unit::from_source_spelling("Cal"), Some(Unit::Kilocalorie));
        assert_eq!(Unit::from_source_spelling("ｋｇ"), Some(Unit::Kilogram));
        assert_eq!(
            Unit::from_source_spelling("mmol<180.1558800000541>/L"),
            Some(Unit::MillimolePerLiter)
        );
        assert_eq!(
            Unit::from_source_spelling("cal"),
            None,
            "small calorie must never pass as kcal"
        );
        assert_eq!(Unit::from_source_spelling("furlong"), None);
    }
}
