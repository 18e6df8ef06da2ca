//! Exact unit conversions shared by every reader (spec `lifelog.md` §6.3).
//!
//! Factors are the definitions (1 lb = 0.45359237 kg, 1 in = 2.54 cm, 1 mi = 1.609344 km, 1 kcal = 4.184 kJ),
//! applied in decimal arithmetic so no binary floating point touches a health value. Multiplications are
//! exact. Divisions by a factor that does not divide evenly (kJ → kcal) are rounded to
//! [`DIVISION_DECIMALS`] places, far below any device's resolution. Trailing zeros introduced by a factor's
//! own digits are removed (`150 lb` → `68.0388555 kg`, not `68.03885550`).
//!
//! Non-linear conversions (°F → °C) are never done here: `(F − 32) × 5/9` does not terminate in decimal,
//! and `[degF]` is a valid UCUM unit, so Fahrenheit stays Fahrenheit.

use rust_decimal::Decimal;

use super::{Quantity, Unit};

/// Decimal places kept after a division that does not terminate.
pub const DIVISION_DECIMALS: u32 = 6;

/// How to go from one unit to another.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Factor {
    /// Multiply by this exact factor.
    Mul(Decimal),
    /// Divide by this exact factor.
    Div(Decimal),
}

const fn d(mantissa: i64, scale: u32) -> Decimal {
    Decimal::from_parts(
        (mantissa & 0xFFFF_FFFF) as u32,
        ((mantissa >> 32) & 0xFFFF_FFFF) as u32,
        0,
        false,
        scale,
    )
}

/// The exact factor from `from` to `to`, if phrkit knows one (same dimension, linear).
pub fn exact_factor(from: Unit, to: Unit) -> Option<Factor> {
    use Factor::{Div, Mul};
    use Unit::*;
    Some(match (from, to) {
        (a, b) if a == b => Mul(Decimal::ONE),
        (Pound, Kilogram) => Mul(d(45_359_237, 8)),
        (Kilogram, Pound) => Div(d(45_359_237, 8)),
        (Gram, Kilogram) => Div(d(1000, 0)),
        (Kilogram, Gram) => Mul(d(1000, 0)),
        (Foot, Centimeter) => Mul(d(3048, 2)),
        (Inch, Centimeter) => Mul(d(254, 2)),
        (Centimeter, Inch) => Div(d(254, 2)),
        (Meter, Centimeter) => Mul(d(100, 0)),
        (Centimeter, Meter) => Div(d(100, 0)),
        (Mile, Kilometer) => Mul(d(1_609_344, 6)),
        (Mile, Meter) => Mul(d(1_609_344, 3)),
        (Yard, Meter) => Mul(d(9144, 4)),
        (Kilometer, Meter) => Mul(d(1000, 0)),
        (Meter, Kilometer) => Div(d(1000, 0)),
        (Kilojoule, Kilocalorie) => Div(d(4184, 3)),
        (Kilocalorie, Kilojoule) => Mul(d(4184, 3)),
        (MilePerHour, KilometerPerHour) => Mul(d(1_609_344, 6)),
        (KilometerPerHour, MeterPerSecond) => Div(d(36, 1)),
        (MeterPerSecond, KilometerPerHour) => Mul(d(36, 1)),
        (Hour, Minute) => Mul(d(60, 0)),
        (Second, Minute) => Div(d(60, 0)),
        (Millisecond, Second) => Div(d(1000, 0)),
        (Liter, Milliliter) => Mul(d(1000, 0)),
        (Milliliter, Liter) => Div(d(1000, 0)),
        _ => return None,
    })
}

/// Converts a value with an exact factor (see the module doc for rounding).
pub fn apply(value: Decimal, factor: Factor) -> Option<Decimal> {
    let out = match factor {
        Factor::Mul(f) if f == Decimal::ONE => return Some(value),
        Factor::Mul(f) => value.checked_mul(f)?,
        Factor::Div(f) => {
            let q = value.checked_div(f)?;
            if q.scale() > DIVISION_DECIMALS {
                q.round_dp(DIVISION_DECIMALS)
            } else {
                q
            }
        }
    };
    Some(out.normalize())
}

/// Converts a quantity to `to`, if an exact factor exists.
pub fn convert(q: &Quantity, to: Unit) -> Option<Quantity> {
    let f = exact_factor(q.unit, to)?;
    Some(Quantity::new(apply(q.value, f)?, to))
}

/// The metric (or kcal) unit phrkit prefers for a customary unit: lb → kg, ft/in → cm, mi → km,
/// yd → m, mph → km/h, kJ → kcal. `None` when the unit is already preferred.
pub fn preferred_unit(unit: Unit) -> Option<Unit> {
    Some(match unit {
        Unit::Pound => Unit::Kilogram,
        Unit::Foot | Unit::Inch => Unit::Centimeter,
        Unit::Mile => Unit::Kilometer,
        Unit::Yard => Unit::Meter,
        Unit::MilePerHour => Unit::KilometerPerHour,
        Unit::Kilojoule => Unit::Kilocalorie,
        _ => return None,
    })
}

/// Converts a customary unit to the preferred one ([`preferred_unit`]); other quantities pass unchanged.
pub fn to_preferred(q: Quantity) -> Quantity {
    match preferred_unit(q.unit).and_then(|to| convert(&q, to)) {
        Some(c) => c,
        None => q,
    }
}

/// A fraction (`0.96`) as a percentage (`96`), exactly: the decimal point moves two places, so the
/// significant digits the source wrote are kept (`0.161` → `16.1`, not `16.100`).
pub fn fraction_to_percent(v: Decimal) -> Option<Decimal> {
    let scale = v.scale();
    if scale >= 2 {
        let mut out = v;
        out.set_scale(scale - 2).ok()?;
        Some(out)
    } else {
        let mut out = v.checked_mul(Decimal::ONE_HUNDRED)?;
        out.rescale(0);
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn conv(v: &str, from: Unit, to: Unit) -> String {
        convert(&Quantity::new(dec(v), from), to)
            .unwrap()
            .value
            .to_string()
    }

    #[test]
    fn exact_definitional_factors() {
        assert_eq!(conv("150", Unit::Pound, Unit::Kilogram), "68.0388555");
        assert_eq!(conv("1", Unit::Pound, Unit::Kilogram), "0.45359237");
        assert_eq!(conv("5.5", Unit::Foot, Unit::Centimeter), "167.64");
        assert_eq!(conv("32", Unit::Inch, Unit::Centimeter), "81.28");
        assert_eq!(conv("3.1", Unit::Mile, Unit::Kilometer), "4.9889664");
        assert_eq!(conv("25", Unit::Yard, Unit::Meter), "22.86");
        assert_eq!(conv("2.5", Unit::Kilometer, Unit::Meter), "2500");
    }

    #[test]
    fn kilojoules_to_kilocalories_divides_by_4184_exactly() {
        assert_eq!(conv("418.4", Unit::Kilojoule, Unit::Kilocalorie), "100");
        assert_eq!(conv("4.184", Unit::Kilojoule, Unit::Kilocalorie), "1");
        // 1 / 4.184 does not terminate: rounded to 6 places.
        assert_eq!(conv("1", Unit::Kilojoule, Unit::Kilocalorie), "0.239006");
        assert_eq!(conv("100", Unit::Kilojoule, Unit::Kilocalorie), "23.900574");
    }

    #[test]
    fn no_factor_across_dimensions_or_for_fahrenheit() {
        assert_eq!(exact_factor(Unit::Kilogram, Unit::Centimeter), None);
        assert_eq!(exact_factor(Unit::Fahrenheit, Unit::Celsius), None);
        assert_eq!(preferred_unit(Unit::Fahrenheit), None);
    }

    #[test]
    fn fractions_become_percent_keeping_significant_digits() {
        assert_eq!(fraction_to_percent(dec("0.96")).unwrap().to_string(), "96");
        assert_eq!(
            fraction_to_percent(dec("0.161")).unwrap().to_string(),
            "16.1"
        );
        assert_eq!(fraction_to_percent(dec("0.5")).unwrap().to_string(), "50");
        assert_eq!(fraction_to_percent(dec("1")).unwrap().to_string(), "100");
        assert_eq!(
            fraction_to_percent(dec("0.9750")).unwrap().to_string(),
            "97.50"
        );
    }

    #[test]
    fn preferred_units_are_metric() {
        let q = to_preferred(Quantity::new(dec("10"), Unit::Mile));
        assert_eq!(
            (q.value.to_string().as_str(), q.unit),
            ("16.09344", Unit::Kilometer)
        );
        let q = to_preferred(Quantity::new(dec("72.5"), Unit::Kilogram));
        assert_eq!(
            (q.value.to_string().as_str(), q.unit),
            ("72.5", Unit::Kilogram)
        );
    }
}
