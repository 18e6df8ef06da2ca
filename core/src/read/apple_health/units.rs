//! Apple unit strings to UCUM, keyed by (type, unit string) as the spec requires (`lifelog.md` §6.3).
//!
//! The same spelling means different things per type: `count` is steps, flights or BMI; `%` is always a
//! fraction in HealthKit (`0.96` = 96 %). Spellings are parsed once and cached (a few dozen distinct ones
//! per file), so the hot loop does no string folding.

use std::sync::Arc;

use rust_decimal::Decimal;

use crate::record::convert::{convert, fraction_to_percent, to_preferred};
use crate::record::{Kind, Quantity, Unit};

/// How an Apple unit spelling reads before the type is taken into account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Spelling {
    /// A unit phrkit knows.
    Unit(Unit),
    /// `%`: a fraction to multiply by 100.
    Fraction,
    /// `count`: meaning depends on the type.
    Count,
    /// Not known.
    Unknown,
}

/// Parsed unit spellings, looked up by their raw bytes.
#[derive(Default)]
pub(crate) struct UnitCache {
    entries: Vec<(Vec<u8>, Spelling)>,
    raw: Vec<(Vec<u8>, Spelling, Option<Arc<str>>)>,
    /// Index of the last raw hit, checked first: records come grouped by type, so by unit.
    last: usize,
}

impl UnitCache {
    /// Parses a raw attribute value (still XML-escaped), decoding it only the first time it is seen.
    /// The text comes back only for spellings phrkit does not know (it is then kept in metadata).
    pub(crate) fn get_raw(
        &mut self,
        raw: &[u8],
    ) -> Result<(Spelling, Option<Arc<str>>), &'static str> {
        if let Some((_, s, t)) = self.raw.get(self.last).filter(|(k, _, _)| k == raw) {
            return Ok((*s, t.clone()));
        }
        if let Some(i) = self.raw.iter().position(|(k, _, _)| k == raw) {
            self.last = i;
            let (_, s, t) = &self.raw[i];
            return Ok((*s, t.clone()));
        }
        let text = super::assemble::text(raw)?;
        let s = self.get(&text);
        let t = (s == Spelling::Unknown).then(|| Arc::from(text.as_ref()));
        if self.raw.len() < 256 {
            self.raw.push((raw.to_vec(), s, t.clone()));
        }
        Ok((s, t))
    }

    /// Parses a raw (unescaped, UTF-8) spelling, caching up to 256 of them.
    pub(crate) fn get(&mut self, raw: &str) -> Spelling {
        if let Some((_, s)) = self.entries.iter().find(|(k, _)| k == raw.as_bytes()) {
            return *s;
        }
        let s = parse_spelling(raw);
        if self.entries.len() < 256 {
            self.entries.push((raw.as_bytes().to_vec(), s));
        }
        s
    }
}

fn parse_spelling(raw: &str) -> Spelling {
    match raw {
        "%" => Spelling::Fraction,
        "count" => Spelling::Count,
        // Apple `Cal` is the food Calorie (kcal); `from_source_spelling` already maps it.
        _ => Unit::from_source_spelling(raw).map_or(Spelling::Unknown, Spelling::Unit),
    }
}

/// The quantity for a value of `kind` written with `spelling`: `%` fractions become percent, `count`
/// takes the type's meaning, customary units become metric (lb → kg, ft/in → cm, mi → km, kJ → kcal),
/// and a unit the kind does not accept is converted to the kind's canonical unit when an exact factor
/// exists. `None` for an unknown spelling.
pub(crate) fn apple_quantity(kind: &Kind, value: Decimal, spelling: Spelling) -> Option<Quantity> {
    let q = match spelling {
        Spelling::Count => Quantity::new(
            value,
            match kind {
                Kind::Steps => Unit::Steps,
                Kind::FlightsClimbed => Unit::One,
                Kind::BodyMassIndex => Unit::KilogramPerSquareMeter,
                _ => Unit::Count,
            },
        ),
        other => plain_quantity(value, other)?,
    };
    Some(match kind.info() {
        Some(info) if !info.units.contains(&q.unit) => convert(&q, info.units[0]).unwrap_or(q),
        _ => q,
    })
}

/// The quantity for a value outside any type (workout totals): `%` fractions become percent, `count`
/// is `{count}`, customary units become metric.
pub(crate) fn plain_quantity(value: Decimal, spelling: Spelling) -> Option<Quantity> {
    Some(match spelling {
        Spelling::Unknown => return None,
        Spelling::Fraction => Quantity::new(fraction_to_percent(value)?, Unit::Percent),
        Spelling::Count => Quantity::new(value, Unit::Count),
        Spelling::Unit(u) => to_preferred(Quantity::new(value, u)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn q(kind: Kind, v: &str, unit: &str) -> (String, Unit) {
        let mut c = UnitCache::default();
        let q = apple_quantity(&kind, Decimal::from_str(v).unwrap(), c.get(unit)).unwrap();
        (q.value.to_string(), q.unit)
    }

    #[test]
    fn type_decides_what_count_and_percent_mean() {
        assert_eq!(q(Kind::Steps, "812", "count"), ("812".into(), Unit::Steps));
        assert_eq!(
            q(Kind::FlightsClimbed, "3", "count"),
            ("3".into(), Unit::One)
        );
        assert_eq!(
            q(Kind::BodyMassIndex, "22.4", "count"),
            ("22.4".into(), Unit::KilogramPerSquareMeter)
        );
        assert_eq!(
            q(Kind::OxygenSaturation, "0.96", "%"),
            ("96".into(), Unit::Percent)
        );
        assert_eq!(
            q(Kind::BodyFatPercentage, "0.161", "%"),
            ("16.1".into(), Unit::Percent)
        );
    }

    #[test]
    fn customary_units_become_metric() {
        assert_eq!(
            q(Kind::BodyWeight, "150", "lb"),
            ("68.0388555".into(), Unit::Kilogram)
        );
        assert_eq!(
            q(Kind::BodyHeight, "5.5", "ft"),
            ("167.64".into(), Unit::Centimeter)
        );
        assert_eq!(
            q(Kind::WaistCircumference, "32", "in"),
            ("81.28".into(), Unit::Centimeter)
        );
        assert_eq!(
            q(Kind::WalkingRunningDistance, "1.5", "mi"),
            ("2.414016".into(), Unit::Kilometer)
        );
        assert_eq!(
            q(Kind::ActiveEnergyBurned, "12.5", "Cal"),
            ("12.5".into(), Unit::Kilocalorie)
        );
        assert_eq!(
            q(Kind::ActiveEnergyBurned, "418.4", "kJ"),
            ("100".into(), Unit::Kilocalorie)
        );
        assert_eq!(
            q(Kind::BloodGlucose, "5.4", "mmol<180.1558800000541>/L"),
            ("5.4".into(), Unit::MillimolePerLiter)
        );
        assert_eq!(
            q(Kind::BodyTemperature, "98.6", "degF"),
            ("98.6".into(), Unit::Fahrenheit)
        );
    }
}
