//! The lifelog measurement kinds and everything phrkit knows about each: codes, profiles, units, ranges.
//!
//! One row per kind in [`KIND_TABLE`] drives construction-time validation, the FHIR writer and the FHIR
//! reader, so adding a kind is adding a row (and a golden fixture). Codes follow `shared/spec/fhir-mapping.md`
//! §6; the PHR-IG (PGHD) code is the canonical concept id because it is stable and already dual-coded with
//! LOINC where LOINC exists.

use super::unit::Unit;
use super::Coding;

/// What a measurement measures.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Kind {
    /// Steps in an interval.
    Steps,
    /// Walking/running distance in an interval.
    WalkingRunningDistance,
    /// Active energy burned in an interval.
    ActiveEnergyBurned,
    /// Basal (resting) energy burned in an interval.
    BasalEnergyBurned,
    /// Dietary energy consumed.
    DietaryEnergyConsumed,
    /// Flights of stairs climbed.
    FlightsClimbed,
    /// Heart rate (pulse from optical sensors too).
    HeartRate,
    /// Resting heart rate.
    RestingHeartRate,
    /// Walking heart-rate average.
    WalkingHeartRateAverage,
    /// Heart-rate variability, SDNN.
    HeartRateVariabilitySdnn,
    /// Blood pressure: systolic and diastolic as one reading.
    BloodPressure,
    /// Oxygen saturation (SpO2), in percent (never a fraction).
    OxygenSaturation,
    /// Respiratory rate.
    RespiratoryRate,
    /// Body temperature.
    BodyTemperature,
    /// Body weight.
    BodyWeight,
    /// Body height.
    BodyHeight,
    /// Body-mass index.
    BodyMassIndex,
    /// Body-fat percentage, in percent (never a fraction).
    BodyFatPercentage,
    /// Lean body mass.
    LeanBodyMass,
    /// Waist (abdominal) circumference.
    WaistCircumference,
    /// Blood glucose, mass (mg/dL) or molar (mmol/L) concentration.
    BloodGlucose,
    /// VO2 max.
    Vo2Max,
    /// A sleep session with its stages.
    SleepSession,
    /// A workout / exercise session.
    Workout,
    /// A type phrkit has no row for, kept with the source's own code (e.g. a HealthKit identifier) rather
    /// than dropped.
    Other(Box<Coding>),
}

/// Which FHIR family (and so which JP Core profile) a kind belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// `JP_Observation_VitalSigns`.
    VitalSigns,
    /// `JP_Observation_BodyMeasurement`.
    BodyMeasurement,
    /// `JP_Observation_Common`, category `activity`.
    Activity,
    /// `JP_Observation_Common`, category `activity` (sleep has no JP Core profile).
    Sleep,
    /// `JP_Observation_Common`, category `laboratory` (glucose is not a vital sign).
    Laboratory,
}

/// The shape of a kind's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// A single quantity. `whole` requires an integer; `max` bounds the value (inclusive) in the canonical unit.
    Quantity {
        /// The value must be a whole number (step counts).
        whole: bool,
        /// Inclusive maximum in the canonical unit, if any.
        max: Option<u32>,
    },
    /// Systolic + diastolic.
    BloodPressure,
    /// A sleep session.
    Sleep,
    /// A workout.
    Workout,
}

/// Everything phrkit knows about one kind.
#[derive(Debug)]
pub struct KindInfo {
    /// The kind this row describes.
    pub kind: Kind,
    /// Code in `http://hl7.org/fhir/uv/phr/CodeSystem/observation-pghd-codes` (canonical concept id).
    pub pghd: &'static str,
    /// LOINC codings (code, display); the first is the primary. SpO2 carries two (2708-6 and 59408-5).
    pub loinc: &'static [(&'static str, &'static str)],
    /// MEDIS nursing-observation (vital signs) or JP body-measurement code, with its Japanese display.
    pub medis: Option<(&'static str, &'static str)>,
    /// HealthKit identifier of the same concept (source-native code).
    pub healthkit: Option<&'static str>,
    /// FHIR family, which picks the JP Core profile and category.
    pub family: Family,
    /// The HL7 R4 vital-signs profile the Observation may claim, where the spec names one.
    pub r4_profile: Option<&'static str>,
    /// Units accepted for this kind; the first is the canonical unit readers convert to.
    pub units: &'static [Unit],
    /// Value shape and range.
    pub shape: Shape,
}

macro_rules! row {
    ($kind:ident, $pghd:literal, [$(($lc:literal, $ld:literal)),*], $medis:expr, $hk:expr, $fam:ident, $r4:expr, [$($u:ident),+], $shape:expr) => {
        KindInfo {
            kind: Kind::$kind,
            pghd: $pghd,
            loinc: &[$(($lc, $ld)),*],
            medis: $medis,
            healthkit: $hk,
            family: Family::$fam,
            r4_profile: $r4,
            units: &[$(Unit::$u),+],
            shape: $shape,
        }
    };
}

const fn q(whole: bool, max: Option<u32>) -> Shape {
    Shape::Quantity { whole, max }
}

/// One row per known kind. Sources: `shared/spec/fhir-mapping.md` §6 and §7.3. Codes marked (S) or (U) there
/// are used as the spec recommends; see the comments on individual rows.
pub static KIND_TABLE: &[KindInfo] = &[
    row!(
        Steps,
        "stepCount",
        [("55423-8", "Number of steps in unspecified time Pedometer")],
        None,
        Some("HKQuantityTypeIdentifierStepCount"),
        Activity,
        None,
        [Steps],
        q(true, None)
    ),
    // No LOINC for an arbitrary interval (41953-1 is a 24-hour total): PGHD code only (spec row 3, S).
    row!(
        WalkingRunningDistance,
        "distanceWalkingRunning",
        [],
        None,
        Some("HKQuantityTypeIdentifierDistanceWalkingRunning"),
        Activity,
        None,
        [Meter, Kilometer],
        q(false, None)
    ),
    row!(
        ActiveEnergyBurned,
        "activeEnergyBurned",
        [("41981-2", "Calories burned")],
        None,
        Some("HKQuantityTypeIdentifierActiveEnergyBurned"),
        Activity,
        None,
        [Kilocalorie, Kilojoule],
        q(false, None)
    ),
    row!(
        BasalEnergyBurned,
        "basalEnergyBurned",
        [],
        None,
        Some("HKQuantityTypeIdentifierBasalEnergyBurned"),
        Activity,
        None,
        [Kilocalorie, Kilojoule, KilocaloriePerDay],
        q(false, None)
    ),
    // 9052-2 is single-source (spec row 7).
    row!(
        DietaryEnergyConsumed,
        "dietaryEnergyConsumed",
        [("9052-2", "Calorie intake total")],
        None,
        Some("HKQuantityTypeIdentifierDietaryEnergyConsumed"),
        Activity,
        None,
        [Kilocalorie, Kilojoule],
        q(false, None)
    ),
    row!(
        FlightsClimbed,
        "flightsClimbed",
        [("100304-5", "Flights climbed")],
        None,
        Some("HKQuantityTypeIdentifierFlightsClimbed"),
        Activity,
        None,
        [One],
        q(true, None)
    ),
    // MEDIS 31001390 脈拍数 (verified) rather than 31000595 心拍数 (single source): wearables measure pulse.
    row!(
        HeartRate,
        "heartRate",
        [("8867-4", "Heart rate")],
        Some(("31001390", "脈拍数")),
        Some("HKQuantityTypeIdentifierHeartRate"),
        VitalSigns,
        Some("heartrate"),
        [PerMinute],
        q(false, Some(400))
    ),
    row!(
        RestingHeartRate,
        "restingHeartRate",
        [("40443-4", "Heart rate --resting")],
        None,
        Some("HKQuantityTypeIdentifierRestingHeartRate"),
        VitalSigns,
        None,
        [PerMinute],
        q(false, Some(400))
    ),
    row!(
        WalkingHeartRateAverage,
        "walkingHeartRateAverage",
        [],
        None,
        Some("HKQuantityTypeIdentifierWalkingHeartRateAverage"),
        VitalSigns,
        None,
        [PerMinute],
        q(false, Some(400))
    ),
    // 80404-7 is single-source (spec row 12).
    row!(
        HeartRateVariabilitySdnn,
        "heartRateVariabilitySDNN",
        [(
            "80404-7",
            "R-R interval.standard deviation (Heart rate variability)"
        )],
        None,
        Some("HKQuantityTypeIdentifierHeartRateVariabilitySDNN"),
        VitalSigns,
        None,
        [Millisecond],
        q(false, None)
    ),
    row!(
        BloodPressure,
        "bloodPressure",
        [("85354-9", "Blood pressure panel with all children optional")],
        Some(("31002365", "血圧")),
        Some("HKCorrelationTypeIdentifierBloodPressure"),
        VitalSigns,
        Some("bp"),
        [MillimeterOfMercury],
        Shape::BloodPressure
    ),
    row!(
        OxygenSaturation,
        "oxygenSaturation",
        [
            ("2708-6", "Oxygen saturation in Arterial blood"),
            (
                "59408-5",
                "Oxygen saturation in Arterial blood by Pulse oximetry"
            )
        ],
        Some(("31000001", "SpO2")),
        Some("HKQuantityTypeIdentifierOxygenSaturation"),
        VitalSigns,
        Some("oxygensat"),
        [Percent],
        q(false, Some(100))
    ),
    row!(
        RespiratoryRate,
        "respiratoryRate",
        [("9279-1", "Respiratory rate")],
        Some(("31001369", "呼吸数")),
        Some("HKQuantityTypeIdentifierRespiratoryRate"),
        VitalSigns,
        Some("resprate"),
        [PerMinute],
        q(false, Some(200))
    ),
    row!(
        BodyTemperature,
        "bodyTemperature",
        [("8310-5", "Body temperature")],
        Some(("31001368", "体温")),
        Some("HKQuantityTypeIdentifierBodyTemperature"),
        VitalSigns,
        Some("bodytemp"),
        [Celsius, Fahrenheit],
        q(false, Some(120))
    ),
    row!(
        BodyWeight,
        "bodyMass",
        [("29463-7", "Body weight")],
        Some(("31000296", "体重")),
        Some("HKQuantityTypeIdentifierBodyMass"),
        BodyMeasurement,
        Some("bodyweight"),
        [Kilogram, Gram, Pound],
        q(false, None)
    ),
    row!(
        BodyHeight,
        "height",
        [("8302-2", "Body height")],
        Some(("31000298", "身長")),
        Some("HKQuantityTypeIdentifierHeight"),
        BodyMeasurement,
        Some("bodyheight"),
        [Centimeter, Inch],
        q(false, None)
    ),
    row!(
        BodyMassIndex,
        "bodyMassIndex",
        [("39156-5", "Body mass index (BMI) [Ratio]")],
        Some(("31003020", "ＢＭＩ")),
        Some("HKQuantityTypeIdentifierBodyMassIndex"),
        BodyMeasurement,
        Some("bmi"),
        [KilogramPerSquareMeter],
        q(false, None)
    ),
    row!(
        BodyFatPercentage,
        "bodyFatPercentage",
        [("41982-0", "Percentage of body fat Measured")],
        Some(("31001697", "体脂肪率")),
        Some("HKQuantityTypeIdentifierBodyFatPercentage"),
        BodyMeasurement,
        None,
        [Percent],
        q(false, Some(100))
    ),
    row!(
        LeanBodyMass,
        "leanBodyMass",
        [("91557-9", "Lean body mass")],
        None,
        Some("HKQuantityTypeIdentifierLeanBodyMass"),
        BodyMeasurement,
        None,
        [Kilogram, Gram, Pound],
        q(false, None)
    ),
    row!(
        WaistCircumference,
        "waistCircumference",
        [("8280-0", "Waist Circumference at umbilicus by Tape measure")],
        Some(("31000300", "腹囲（臍上）")),
        Some("HKQuantityTypeIdentifierWaistCircumference"),
        BodyMeasurement,
        None,
        [Centimeter, Inch],
        q(false, None)
    ),
    // LOINC chosen by unit at write time: 2339-0 (mass) / 15074-8 (molar); see fhir::codes.
    row!(
        BloodGlucose,
        "bloodGlucose",
        [
            ("2339-0", "Glucose [Mass/volume] in Blood"),
            ("15074-8", "Glucose [Moles/volume] in Blood")
        ],
        None,
        Some("HKQuantityTypeIdentifierBloodGlucose"),
        Laboratory,
        None,
        [MilligramPerDeciliter, MillimolePerLiter],
        q(false, None)
    ),
    row!(
        Vo2Max,
        "vo2Max",
        [],
        None,
        Some("HKQuantityTypeIdentifierVO2Max"),
        VitalSigns,
        None,
        [MilliliterPerKilogramMinute],
        q(false, None)
    ),
    row!(
        SleepSession,
        "sleepEpisode",
        [],
        None,
        Some("HKCategoryTypeIdentifierSleepAnalysis"),
        Sleep,
        None,
        [Minute],
        Shape::Sleep
    ),
    row!(
        Workout,
        "workout",
        [("73985-4", "Exercise activity")],
        None,
        Some("HKWorkoutTypeIdentifier"),
        Activity,
        None,
        [Minute],
        Shape::Workout
    ),
];

impl Kind {
    /// The table row of a known kind; `None` for [`Kind::Other`].
    pub fn info(&self) -> Option<&'static KindInfo> {
        if let Kind::Other(_) = self {
            return None;
        }
        KIND_TABLE.iter().find(|r| r.kind == *self)
    }

    /// Looks a kind up by its PGHD code (`stepCount`, `bodyMass` …).
    pub fn from_pghd(code: &str) -> Option<Kind> {
        KIND_TABLE
            .iter()
            .find(|r| r.pghd == code)
            .map(|r| r.kind.clone())
    }

    /// Looks a kind up by a HealthKit identifier.
    pub fn from_healthkit(identifier: &str) -> Option<Kind> {
        KIND_TABLE
            .iter()
            .find(|r| r.healthkit == Some(identifier))
            .map(|r| r.kind.clone())
    }

    /// A short stable name for reports and tables (`stepCount`; `other:<code>` for unknown kinds).
    pub fn name(&self) -> std::borrow::Cow<'static, str> {
        match self {
            Kind::Other(c) => format!("other:{}", c.code).into(),
            k => k.info().map(|i| i.pghd).unwrap_or("unknown").into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_kind_has_exactly_one_row_with_a_unit() {
        for row in KIND_TABLE {
            assert!(!row.units.is_empty());
            let n = KIND_TABLE.iter().filter(|r| r.kind == row.kind).count();
            assert_eq!(n, 1, "{:?}", row.kind);
            assert_eq!(Kind::from_pghd(row.pghd), Some(row.kind.clone()));
        }
        assert!(KIND_TABLE.len() >= 24);
    }
}
