//! Deterministic synthetic Apple Health `export.xml` of a requested size, for benchmarks.
//!
//! The mix follows the census in `shared/spec/lifelog.md` §1.11 (energy and heart-rate records dominate,
//! about one metadata entry per three records, HRV beat lists, a few correlations, workouts and daily
//! summaries), with HKDevice memory addresses that change from record to record as in real exports.
//! Every value comes from a fixed-seed generator, so the same size gives byte-identical output.

use std::io::{self, Write};

/// A tiny xorshift generator: deterministic and dependency-free.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const HEADER: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE HealthData [
<!-- HealthKit Export Version: 14 -->
<!ELEMENT HealthData (ExportDate,Me,(Record|Correlation|Workout|ActivitySummary|ClinicalRecord|Audiogram|VisionPrescription)*)>
<!ATTLIST HealthData
  locale CDATA #REQUIRED
>
<!ELEMENT ExportDate EMPTY>
<!ATTLIST ExportDate
  value CDATA #REQUIRED
>
<!ELEMENT Record ((MetadataEntry|HeartRateVariabilityMetadataList)*)>
<!ATTLIST Record
  type          CDATA #REQUIRED
  unit          CDATA #IMPLIED
  value         CDATA #IMPLIED
  sourceName    CDATA #REQUIRED
  sourceVersion CDATA #IMPLIED
  device        CDATA #IMPLIED
  creationDate  CDATA #IMPLIED
  startDate     CDATA #REQUIRED
  endDate       CDATA #REQUIRED
>
]>
<HealthData locale="ja_JP">
 <ExportDate value="2025-03-01 21:10:05 +0900"/>
 <Me HKCharacteristicTypeIdentifierDateOfBirth="1980-04-01" HKCharacteristicTypeIdentifierBiologicalSex="HKBiologicalSexFemale" HKCharacteristicTypeIdentifierBloodType="HKBloodTypeNotSet" HKCharacteristicTypeIdentifierFitzpatrickSkinType="HKFitzpatrickSkinTypeNotSet" HKCharacteristicTypeIdentifierCardioFitnessMedicationsUse="None"/>
"#;

const WATCH: (&str, &str, &str) = (
    "Hanako’s Apple Watch",
    "11.3",
    "name:Apple Watch, manufacturer:Apple Inc., model:Watch, hardware:Watch7,1, software:11.3",
);
const PHONE: (&str, &str, &str) = (
    "Hanako’s iPhone",
    "18.3",
    "name:iPhone, manufacturer:Apple Inc., model:iPhone, hardware:iPhone16,1, software:18.3",
);

fn date(secs: u64) -> String {
    // Seconds since 2020-01-01 00:00:00 in JST, written the Apple way.
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let d = chrono_like_date(days);
    format!(
        "{} {:02}:{:02}:{:02} +0900",
        d,
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

fn chrono_like_date(days: u64) -> String {
    let mut y = 2020;
    let mut d = days;
    loop {
        let len = if y % 4 == 0 { 366 } else { 365 };
        if d < len {
            break;
        }
        d -= len;
        y += 1;
    }
    let months = [
        31,
        if y % 4 == 0 { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    let mut m = 0;
    while d >= months[m] {
        d -= months[m];
        m += 1;
    }
    format!("{y:04}-{:02}-{:02}", m + 1, d + 1)
}

struct Gen<W: Write> {
    out: W,
    rng: Rng,
    t: u64,
    written: u64,
}

impl<W: Write> Gen<W> {
    fn put(&mut self, s: &str) -> io::Result<()> {
        self.written += s.len() as u64;
        self.out.write_all(s.as_bytes())
    }

    fn record(
        &mut self,
        ty: &str,
        unit: &str,
        value: &str,
        src: (&str, &str, &str),
        len: u64,
        children: &str,
    ) -> io::Result<()> {
        let addr = 0x2_8200_0000u64 + self.rng.below(0xff_ffff);
        let start = self.t;
        let s = format!(
            " <Record type=\"{ty}\" sourceName=\"{}\" sourceVersion=\"{}\" device=\"&lt;&lt;HKDevice: 0x{addr:x}&gt;, {}&gt;\" unit=\"{unit}\" creationDate=\"{}\" startDate=\"{}\" endDate=\"{}\" value=\"{value}\"",
            src.0,
            src.1,
            src.2,
            date(start + len + 30),
            date(start),
            date(start + len)
        );
        self.put(&s)?;
        if children.is_empty() {
            self.put("/>\n")
        } else {
            self.put(">\n")?;
            self.put(children)?;
            self.put(" </Record>\n")
        }
    }

    fn step(&mut self) -> io::Result<()> {
        self.t += 20 + self.rng.below(200);
        let r = self.rng.below(100);
        let meta_tz = "  <MetadataEntry key=\"HKTimeZone\" value=\"Asia/Tokyo\"/>\n";
        match r {
            0..=29 => {
                let v = format!("{}.{:03}", self.rng.below(3), self.rng.below(1000));
                self.record(
                    "HKQuantityTypeIdentifierActiveEnergyBurned",
                    "kcal",
                    &v,
                    WATCH,
                    60,
                    "",
                )
            }
            30..=44 => {
                let v = format!("{}.{:02}", 1 + self.rng.below(2), self.rng.below(100));
                self.record(
                    "HKQuantityTypeIdentifierBasalEnergyBurned",
                    "kcal",
                    &v,
                    WATCH,
                    60,
                    "",
                )
            }
            45..=64 => {
                let v = format!("{}", 50 + self.rng.below(100));
                let ctx = format!(
                    "  <MetadataEntry key=\"HKMetadataKeyHeartRateMotionContext\" value=\"{}\"/>\n",
                    self.rng.below(3)
                );
                self.record(
                    "HKQuantityTypeIdentifierHeartRate",
                    "count/min",
                    &v,
                    WATCH,
                    0,
                    &ctx,
                )
            }
            65..=79 => {
                let v = format!("{}", 10 + self.rng.below(900));
                let src = if self.rng.below(2) == 0 { PHONE } else { WATCH };
                self.record(
                    "HKQuantityTypeIdentifierStepCount",
                    "count",
                    &v,
                    src,
                    300,
                    "",
                )
            }
            80..=89 => {
                let v = format!("0.{:04}", self.rng.below(10_000));
                self.record(
                    "HKQuantityTypeIdentifierDistanceWalkingRunning",
                    "km",
                    &v,
                    PHONE,
                    300,
                    meta_tz,
                )
            }
            90..=93 => {
                let v = format!("{}", 30 + self.rng.below(60));
                self.record(
                    "HKQuantityTypeIdentifierAppleStandTime",
                    "min",
                    &v,
                    WATCH,
                    300,
                    "",
                )
            }
            94 => {
                let mut beats = String::from("  <HeartRateVariabilityMetadataList>\n");
                for i in 0..40 {
                    beats.push_str(&format!(
                        "   <InstantaneousBeatsPerMinute bpm=\"{}\" time=\"23:40:{:02}.{:02}\"/>\n",
                        55 + self.rng.below(20),
                        i,
                        self.rng.below(100)
                    ));
                }
                beats.push_str("  </HeartRateVariabilityMetadataList>\n");
                let v = format!("{}.{}", 20 + self.rng.below(60), self.rng.below(10));
                self.record(
                    "HKQuantityTypeIdentifierHeartRateVariabilitySDNN",
                    "ms",
                    &v,
                    WATCH,
                    60,
                    &beats,
                )
            }
            95 => {
                let v = [
                    "HKCategoryValueSleepAnalysisAsleepCore",
                    "HKCategoryValueSleepAnalysisAsleepDeep",
                    "HKCategoryValueSleepAnalysisAsleepREM",
                    "HKCategoryValueSleepAnalysisAwake",
                ][self.rng.below(4) as usize];
                self.record(
                    "HKCategoryTypeIdentifierSleepAnalysis",
                    "",
                    v,
                    WATCH,
                    1200,
                    meta_tz,
                )
            }
            96 => {
                let v = format!("0.{}", 94 + self.rng.below(6));
                self.record(
                    "HKQuantityTypeIdentifierOxygenSaturation",
                    "%",
                    &v,
                    WATCH,
                    0,
                    "",
                )
            }
            97 => {
                let (s, d) = (110 + self.rng.below(30), 70 + self.rng.below(15));
                let t = date(self.t);
                let child = |ty: &str, v: u64| {
                    format!("  <Record type=\"HKQuantityTypeIdentifierBloodPressure{ty}\" sourceName=\"OMRON connect\" sourceVersion=\"5.2\" unit=\"mmHg\" creationDate=\"{t}\" startDate=\"{t}\" endDate=\"{t}\" value=\"{v}\"/>\n")
                };
                let top = format!(
                    " {}{}",
                    child("Systolic", s).trim_start(),
                    child("Diastolic", d)
                );
                let s_ = format!(" {}", top.trim_start());
                self.put(&s_)?;
                let s_ = format!(" <Correlation type=\"HKCorrelationTypeIdentifierBloodPressure\" sourceName=\"OMRON connect\" sourceVersion=\"5.2\" creationDate=\"{t}\" startDate=\"{t}\" endDate=\"{t}\">\n  <MetadataEntry key=\"HKExternalUUID\" value=\"omron-{:x}\"/>\n", self.rng.next());
                self.put(&s_)?;
                self.put(&child("Systolic", s))?;
                self.put(&child("Diastolic", d))?;
                self.put(" </Correlation>\n")
            }
            98 => {
                let (st, en) = (date(self.t), date(self.t + 1800));
                let s_ = format!(" <Workout workoutActivityType=\"HKWorkoutActivityTypeRunning\" duration=\"30\" durationUnit=\"min\" sourceName=\"{}\" sourceVersion=\"11.3\" creationDate=\"{en}\" startDate=\"{st}\" endDate=\"{en}\">\n  <WorkoutEvent type=\"HKWorkoutEventTypePause\" date=\"{st}\" duration=\"1\" durationUnit=\"min\"/>\n  <WorkoutActivity uuid=\"{:x}\" startDate=\"{st}\" endDate=\"{en}\" duration=\"30\" durationUnit=\"min\">\n   <WorkoutStatistics type=\"HKQuantityTypeIdentifierDistanceWalkingRunning\" startDate=\"{st}\" endDate=\"{en}\" sum=\"5.{}\" unit=\"km\"/>\n  </WorkoutActivity>\n  <WorkoutStatistics type=\"HKQuantityTypeIdentifierActiveEnergyBurned\" startDate=\"{st}\" endDate=\"{en}\" sum=\"{}\" unit=\"kcal\"/>\n </Workout>\n", WATCH.0, self.rng.next(), self.rng.below(10), 250 + self.rng.below(100));
                self.put(&s_)
            }
            _ => {
                let day = chrono_like_date(self.t / 86_400);
                let s_ = format!(" <ActivitySummary dateComponents=\"{day}\" activeEnergyBurned=\"{}.5\" activeEnergyBurnedGoal=\"400\" activeEnergyBurnedUnit=\"kcal\" appleMoveTime=\"0\" appleMoveTimeGoal=\"0\" appleExerciseTime=\"{}\" appleExerciseTimeGoal=\"30\" appleStandHours=\"{}\" appleStandHoursGoal=\"12\"/>\n", 200 + self.rng.below(400), self.rng.below(90), self.rng.below(16));
                self.put(&s_)
            }
        }
    }
}

/// Writes an export of at least `target_bytes` bytes; returns the bytes written.
pub fn generate(out: impl Write, target_bytes: u64) -> io::Result<u64> {
    let mut g = Gen {
        out: io::BufWriter::with_capacity(1 << 20, out),
        rng: Rng(0x9E37_79B9_7F4A_7C15),
        t: 0,
        written: 0,
    };
    g.put(HEADER)?;
    while g.written < target_bytes {
        g.step()?;
    }
    g.put("</HealthData>\n")?;
    g.out.flush()?;
    Ok(g.written)
}
