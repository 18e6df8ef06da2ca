//! Who wins an overlap: source-priority patterns, and Health Connect's per-category priority lists.

use std::collections::BTreeMap;

use crate::record::{Kind, Source};

/// Whether a priority pattern names a source.
///
/// A pattern matches when, ignoring case, it is contained in the source name (Apple `sourceName` such as
/// "Hanako's Apple Watch", a Health Connect package name), or equals the device name or model (Apple's
/// `HKDevice` `name:` / `model:`, e.g. `iPhone`, `Watch`). Empty patterns match nothing.
pub fn pattern_matches(pattern: &str, source: &Source) -> bool {
    let p = pattern.trim().to_lowercase();
    if p.is_empty() {
        return false;
    }
    let eq = |v: &Option<String>| v.as_deref().is_some_and(|v| v.to_lowercase() == p);
    source
        .name
        .as_deref()
        .is_some_and(|n| n.to_lowercase().contains(&p))
        || source
            .device
            .as_ref()
            .is_some_and(|d| eq(&d.name) || eq(&d.model))
}

/// The rank of `source` under an ordered pattern list: the index of the first matching pattern, or the
/// list length (lowest) when none matches.
pub fn pattern_rank(patterns: &[String], source: &Source) -> u32 {
    let i = patterns
        .iter()
        .position(|p| pattern_matches(p, source))
        .unwrap_or(patterns.len());
    u32::try_from(i).unwrap_or(u32::MAX)
}

/// A Health Connect data category (`HealthDataCategory` constants, the integers stored in
/// `health_data_category_priority_table.health_data_category`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum HcCategory {
    /// 1: steps, distance, energy, floors, exercise, VO2 max.
    Activity,
    /// 2: weight, height, body fat, lean mass, BMR, waist.
    BodyMeasurements,
    /// 3: cycle tracking (no phrkit kind maps here yet).
    CycleTracking,
    /// 4: nutrition and hydration.
    Nutrition,
    /// 5: sleep.
    Sleep,
    /// 6: heart rate, blood pressure, SpO2, glucose, temperature, respiration.
    Vitals,
    /// 7: wellness (mindfulness; no phrkit kind maps here yet).
    Wellness,
}

impl HcCategory {
    /// The category of a stored integer; `None` for values Health Connect did not define.
    pub fn from_code(code: i64) -> Option<HcCategory> {
        Some(match code {
            1 => HcCategory::Activity,
            2 => HcCategory::BodyMeasurements,
            3 => HcCategory::CycleTracking,
            4 => HcCategory::Nutrition,
            5 => HcCategory::Sleep,
            6 => HcCategory::Vitals,
            7 => HcCategory::Wellness,
            _ => return None,
        })
    }

    /// The category a measurement kind belongs to, following the grouping of Health Connect's permission
    /// screen (unverified class by class; Apple-only kinds are placed by meaning):
    ///
    /// | category | kinds |
    /// |---|---|
    /// | Activity | steps, walking/running distance, active energy, flights, VO2 max, workout, total calories (LOINC 41981-2) |
    /// | BodyMeasurements | basal energy (HC BMR), weight, height, BMI, body fat, lean body mass, waist |
    /// | Vitals | heart rate, resting HR, walking HR average, HRV SDNN, blood pressure, SpO2, respiratory rate, body temperature, blood glucose |
    /// | Sleep | sleep session |
    /// | Nutrition | dietary energy |
    ///
    /// `None` for every other kind (raw `Kind::Other` codes): those are never dropped by Health Connect
    /// priority.
    pub fn of_kind(kind: &Kind) -> Option<HcCategory> {
        use HcCategory::*;
        Some(match kind {
            Kind::Steps
            | Kind::WalkingRunningDistance
            | Kind::ActiveEnergyBurned
            | Kind::FlightsClimbed
            | Kind::Vo2Max
            | Kind::Workout => Activity,
            // Health Connect total calories burned is read as LOINC 41981-2 (see read::health_connect).
            Kind::Other(c) if c.system == "http://loinc.org" && c.code == "41981-2" => Activity,
            Kind::BasalEnergyBurned
            | Kind::BodyWeight
            | Kind::BodyHeight
            | Kind::BodyMassIndex
            | Kind::BodyFatPercentage
            | Kind::LeanBodyMass
            | Kind::WaistCircumference => BodyMeasurements,
            Kind::HeartRate
            | Kind::RestingHeartRate
            | Kind::WalkingHeartRateAverage
            | Kind::HeartRateVariabilitySdnn
            | Kind::BloodPressure
            | Kind::OxygenSaturation
            | Kind::RespiratoryRate
            | Kind::BodyTemperature
            | Kind::BloodGlucose => Vitals,
            Kind::SleepSession => Sleep,
            Kind::DietaryEnergyConsumed => Nutrition,
            _ => return None,
        })
    }
}

/// The user's app priority per data category, as stored in a Health Connect export
/// (`health_data_category_priority_table`, app ids resolved through `application_info_table`).
///
/// Read by `read::health_connect::read_priorities_path` (the table's schema is single-source and
/// unverified, so what could not be read is counted here rather than guessed).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HealthConnectPriorities {
    /// Package names per category, highest priority first.
    pub by_category: BTreeMap<HcCategory, Vec<String>>,
    /// Whether the export held the priority table at all.
    pub table_found: bool,
    /// Category integers the table held that Health Connect does not define (their rows are ignored).
    pub unknown_categories: Vec<i64>,
    /// App ids in priority lists with no row in `application_info_table` (left out of the lists).
    pub unknown_app_ids: u64,
}

impl HealthConnectPriorities {
    /// The rank of `source` for `kind`: its position in the kind's category list; the list length for apps
    /// not listed; 0 for everyone when the kind has no category or the category no list (nothing is then
    /// outranked).
    pub fn rank(&self, kind: &Kind, source: &Source) -> u32 {
        let Some(list) = HcCategory::of_kind(kind).and_then(|c| self.by_category.get(&c)) else {
            return 0;
        };
        let name = source.name.as_deref().unwrap_or("");
        let i = list.iter().position(|p| p == name).unwrap_or(list.len());
        u32::try_from(i).unwrap_or(u32::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::SourceDevice;

    fn src(name: &str, device: Option<(&str, &str)>) -> Source {
        Source {
            name: Some(name.into()),
            version: None,
            device: device.map(|(n, m)| SourceDevice {
                name: Some(n.into()),
                model: Some(m.into()),
                ..SourceDevice::default()
            }),
        }
    }

    #[test]
    fn patterns_match_names_by_substring_and_devices_by_equality() {
        let watch = src("Hanako's Apple Watch", Some(("Apple Watch", "Watch")));
        let phone = src("Hanako's iPhone", Some(("iPhone", "iPhone")));
        let app = src("Pedometer Plus", None);
        let list = vec!["apple watch".to_owned(), "iPhone".to_owned()];
        assert_eq!(pattern_rank(&list, &watch), 0);
        assert_eq!(pattern_rank(&list, &phone), 1);
        assert_eq!(pattern_rank(&list, &app), 2);
        assert!(pattern_matches("watch", &watch));
        assert!(!pattern_matches("", &watch));
        assert!(!pattern_matches("Phone X", &phone));
    }

    #[test]
    fn health_connect_rank_follows_the_category_list() {
        let mut p = HealthConnectPriorities::default();
        p.by_category
            .insert(HcCategory::Activity, vec!["b.app".into(), "a.app".into()]);
        assert_eq!(p.rank(&Kind::Steps, &src("a.app", None)), 1);
        assert_eq!(p.rank(&Kind::Steps, &src("b.app", None)), 0);
        assert_eq!(p.rank(&Kind::Steps, &src("c.app", None)), 2);
        // No Vitals list: nobody is outranked.
        assert_eq!(p.rank(&Kind::HeartRate, &src("c.app", None)), 0);
        assert_eq!(
            HcCategory::of_kind(&Kind::SleepSession),
            Some(HcCategory::Sleep)
        );
        assert_eq!(HcCategory::from_code(9), None);
    }
}
