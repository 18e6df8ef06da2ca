//! The fast lane (`fast.rs`) must change nothing but speed: every document below is read with and
//! without it, with the normal buffer and with small ones (so elements straddle refills and fall back
//! mid-document), and the records, the report (counts, skips, issues with their lines) and any error
//! must be identical.

use super::read_lane;
use crate::read::ReadOptions;

fn assert_same(doc: &[u8], opts: &ReadOptions) {
    let general = read_lane(doc, opts, false, 256 * 1024);
    for window in [256 * 1024, 97, 512, 4096] {
        let fast = read_lane(doc, opts, true, window);
        assert_eq!(
            fast,
            general,
            "window {window}, document:\n{}",
            String::from_utf8_lossy(doc)
        );
    }
}

const HEAD: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE HealthData [\n<!ELEMENT HealthData (Record)*>\n]>\n<HealthData locale=\"ja_JP\">\n <ExportDate value=\"2025-03-05 21:00:00 +0900\"/>\n";
const TAIL: &str = "</HealthData>\n";

/// Pieces of a document: records of the fast shape, records it leaves to the general path, broken
/// records, and other elements.
const PIECES: &[&str] = &[
    r#"<Record type="HKQuantityTypeIdentifierStepCount" sourceName="Phone" sourceVersion="18.3" device="&lt;&lt;HKDevice: 0x28a&gt;, name:iPhone, manufacturer:Apple Inc., model:iPhone, hardware:iPhone16,1, software:18.3&gt;" unit="count" creationDate="2025-03-01 08:10:00 +0900" startDate="2025-03-01 08:00:00 +0900" endDate="2025-03-01 08:05:00 +0900" value="340"/>"#,
    r#"<Record type="HKQuantityTypeIdentifierStepCount" sourceName="Phone" sourceVersion="18.3" device="&lt;&lt;HKDevice: 0x28b&gt;, name:iPhone, manufacturer:Apple Inc., model:iPhone, hardware:iPhone16,1, software:18.3&gt;" unit="count" creationDate="2025-03-01 08:10:00 +0900" startDate="2025-03-01 08:00:00 +0900" endDate="2025-03-01 08:05:00 +0900" value="340"/>"#,
    "<Record type=\"HKQuantityTypeIdentifierHeartRate\" sourceName=\"Watch\" unit=\"count/min\" startDate=\"2025-03-01 09:00:00 +0900\" endDate=\"2025-03-01 09:00:00 +0900\" value=\"72\">\n  <MetadataEntry key=\"HKMetadataKeyHeartRateMotionContext\" value=\"1\"/>\n  <MetadataEntry key=\"HKExternalUUID\" value=\"u-1\"/>\n </Record>",
    "<Record type=\"HKQuantityTypeIdentifierDistanceWalkingRunning\" sourceName=\"Phone\" unit=\"km\" startDate=\"2020-03-08 01:30:00 -0500\" endDate=\"2020-03-08 03:30:00 -0400\" value=\"0.7084\">\n  <MetadataEntry key=\"HKTimeZone\" value=\"America/New_York\"/>\n </Record>",
    "<Record type=\"HKQuantityTypeIdentifierHeartRateVariabilitySDNN\" sourceName=\"Watch\" unit=\"ms\" startDate=\"2025-03-01 10:00:00 +0900\" endDate=\"2025-03-01 10:01:00 +0900\" value=\"41.5\">\n  <HeartRateVariabilityMetadataList>\n   <InstantaneousBeatsPerMinute bpm=\"63\" time=\"10:00:01.20 AM\"/>\n   <InstantaneousBeatsPerMinute bpm=\"64\" time=\"10:00:02.10 AM\"/>\n  </HeartRateVariabilityMetadataList>\n </Record>",
    "<Record type=\"HKCategoryTypeIdentifierSleepAnalysis\" sourceName=\"Watch\" startDate=\"2025-03-01 23:00:00 +0900\" endDate=\"2025-03-02 01:00:00 +0900\" value=\"HKCategoryValueSleepAnalysisAsleepCore\"/>",
    "<Record type=\"HKCategoryTypeIdentifierSleepAnalysis\" sourceName=\"Watch\" startDate=\"2025-03-02 01:00:00 +0900\" endDate=\"2025-03-02 02:00:00 +0900\" value=\"HKCategoryValueSleepAnalysisAsleepDeep\"/>",
    "<Record type=\"HKQuantityTypeIdentifierBloodPressureSystolic\" sourceName=\"Cuff\" unit=\"mmHg\" startDate=\"2025-03-01 07:01:00 +0900\" endDate=\"2025-03-01 07:01:00 +0900\" value=\"128\"/>",
    "<Record type=\"HKQuantityTypeIdentifierBloodPressureDiastolic\" sourceName=\"Cuff\" unit=\"mmHg\" startDate=\"2025-03-01 07:01:00 +0900\" endDate=\"2025-03-01 07:01:00 +0900\" value=\"82\"/>",
    "<Correlation type=\"HKCorrelationTypeIdentifierBloodPressure\" sourceName=\"Cuff\" startDate=\"2025-03-01 07:01:00 +0900\" endDate=\"2025-03-01 07:01:00 +0900\">\n  <Record type=\"HKQuantityTypeIdentifierBloodPressureSystolic\" sourceName=\"Cuff\" unit=\"mmHg\" startDate=\"2025-03-01 07:01:00 +0900\" endDate=\"2025-03-01 07:01:00 +0900\" value=\"128\"/>\n  <Record type=\"HKQuantityTypeIdentifierBloodPressureDiastolic\" sourceName=\"Cuff\" unit=\"mmHg\" startDate=\"2025-03-01 07:01:00 +0900\" endDate=\"2025-03-01 07:01:00 +0900\" value=\"82\"/>\n </Correlation>",
    // Left to the general path: single quotes, spaces around `=`, a comment or text inside, a child
    // with content, an unknown child, an empty list.
    "<Record type='HKQuantityTypeIdentifierStepCount' sourceName=\"Phone\" unit=\"count\" startDate=\"2025-03-01 08:00:00 +0900\" endDate=\"2025-03-01 08:05:00 +0900\" value=\"12\"/>",
    "<Record type = \"HKQuantityTypeIdentifierStepCount\" sourceName=\"Phone\" unit=\"count\" startDate=\"2025-03-01 08:00:00 +0900\" endDate=\"2025-03-01 08:05:00 +0900\" value=\"13\"/>",
    "<Record type=\"HKQuantityTypeIdentifierBodyMass\" sourceName=\"Scale\" unit=\"lb\" startDate=\"2025-03-01 07:00:00 +0900\" endDate=\"2025-03-01 07:00:00 +0900\" value=\"150\"><!-- note --></Record>",
    "<Record type=\"HKQuantityTypeIdentifierBodyMass\" sourceName=\"Scale\" unit=\"kg\" startDate=\"2025-03-01 07:00:00 +0900\" endDate=\"2025-03-01 07:00:00 +0900\" value=\"60\">text</Record>",
    "<Record type=\"HKQuantityTypeIdentifierBodyMass\" sourceName=\"Scale\" unit=\"kg\" startDate=\"2025-03-01 07:00:00 +0900\" endDate=\"2025-03-01 07:00:00 +0900\" value=\"61\"><MetadataEntry key=\"a\" value=\"b\"></MetadataEntry><Extra/></Record>",
    "<Record type=\"HKQuantityTypeIdentifierBodyMass\" sourceName=\"Scale\" unit=\"kg\" startDate=\"2025-03-01 07:00:00 +0900\" endDate=\"2025-03-01 07:00:00 +0900\" value=\"62\"><HeartRateVariabilityMetadataList/></Record>",
    // Broken in content (skipped and counted the same way on both paths).
    "<Record type=\"HKQuantityTypeIdentifierStepCount\" sourceName=\"Phone\" unit=\"count\" startDate=\"yesterday\" endDate=\"2025-03-01 08:05:00 +0900\" value=\"1\"/>",
    "<Record type=\"HKQuantityTypeIdentifierStepCount\" sourceName=\"Phone\" unit=\"furlong\" startDate=\"2025-03-01 08:00:00 +0900\" endDate=\"2025-03-01 08:05:00 +0900\" value=\"1\"/>",
    "<Record type=\"HKQuantityTypeIdentifierStepCount\" sourceName=\"Phone\" unit=\"count\" startDate=\"2025-03-01 08:00:00 +0900\" endDate=\"2025-03-01 08:05:00 +0900\" value=\"1\"><MetadataEntry value=\"no key\"/><MetadataEntry key=\"k\" value=\"&bogus;\"/></Record>",
    "<Record type=\"HKQuantityTypeIdentifierHeartRate\" sourceName=\"Watch\" unit=\"count/min\" startDate=\"bad\" endDate=\"2025-03-01 09:00:00 +0900\" value=\"72\">\n  <MetadataEntry key=\"a\" value=\"&bad;\"/>\n\n  <HeartRateVariabilityMetadataList>\n   <InstantaneousBeatsPerMinute bpm=\"63\" time=\"1\"/>\n  </HeartRateVariabilityMetadataList>\n  <MetadataEntry key=\"b\"\n value=\"&worse;\"/>\n </Record>",
    "<Record type=\"HKQuantityTypeIdentifierHeartRate\" sourceName=\"Watch\" unit=\"count/min\" startDate=\"2025-03-01 09:00:00 +0900\" endDate=\"2025-03-01 09:00:00 +0900\" value=\"72\">\n  <MetadataEntry key=\"a\" value=\"1\"/>\n\n  <MetadataEntry key=\"b\" value=\"&worse;\"/>\n  <MetadataEntry key=\"c\" value=\"&worst;\"/>\n </Record>",
    "<Record sourceName=\"Phone\" unit=\"count\" startDate=\"2025-03-01 08:00:00 +0900\" endDate=\"2025-03-01 08:05:00 +0900\" value=\"1\" walkingSide=\"left\"/>",
    "<Record type=\"HKQuantityTypeIdentifierStepCount\" sourceName=\"Ph\none\" unit=\"count\" startDate=\"2025-03-01 08:00:00 +0900\"\n   endDate=\"2025-03-01 07:05:00 +0900\" value=\"1\"/>",
    "<Record type=\"HKQuantityTypeIdentifierFutureThing\" sourceName=\"App\" unit=\"zorg\" startDate=\"2025-03-01 08:00:00 +0900\" endDate=\"2025-03-01 08:05:00 +0900\" value=\"7\"/>",
    "<Record type=\"HKQuantityTypeIdentifierStepCount\" =\"nameless\" sourceName=\"Phone\" unit=\"count\" startDate=\"2025-03-01 08:00:00 +0900\" endDate=\"2025-03-01 08:05:00 +0900\" value=\"1\"/>",
    // Other elements.
    "<ActivitySummary dateComponents=\"2025-03-01\" activeEnergyBurned=\"400\" activeEnergyBurnedGoal=\"500\" activeEnergyBurnedUnit=\"kcal\" appleExerciseTime=\"20\" appleExerciseTimeGoal=\"30\" appleStandHours=\"8\" appleStandHoursGoal=\"12\"/>",
    "<!-- a comment between records -->",
    "<FutureElement a=\"b\"><Inner/></FutureElement>",
];

/// A small deterministic generator (no dependency; the sequence only has to vary).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

fn document(pieces: &[&str], rng: &mut Lcg) -> Vec<u8> {
    let mut doc = String::from(HEAD);
    for p in pieces {
        doc.push_str(["\n ", " ", "\n\n\t", "", "\r\n  "][rng.next(5)]);
        doc.push_str(p);
    }
    doc.push('\n');
    doc.push_str(TAIL);
    doc.into_bytes()
}

#[test]
fn every_piece_reads_the_same_both_ways() {
    let mut rng = Lcg(1);
    for piece in PIECES {
        assert_same(&document(&[piece], &mut rng), &ReadOptions::default());
    }
}

#[test]
fn shuffled_documents_read_the_same_both_ways() {
    let mut rng = Lcg(7);
    for _ in 0..60 {
        let n = 1 + rng.next(40);
        let pieces: Vec<&str> = (0..n).map(|_| PIECES[rng.next(PIECES.len())]).collect();
        let doc = document(&pieces, &mut rng);
        assert_same(&doc, &ReadOptions::default());
        let strict = ReadOptions {
            strict: true,
            ..ReadOptions::default()
        };
        assert_same(&doc, &strict);
    }
}

#[test]
fn fixtures_and_their_truncations_read_the_same_both_ways() {
    let fixtures: [&[u8]; 3] = [
        include_bytes!("../../../../fixtures/apple_health/export.xml"),
        include_bytes!("../../../../fixtures/apple_health/export_ios16_broken_dtd.xml"),
        include_bytes!("../../../../fixtures/apple_health/multi_source.xml"),
    ];
    for doc in fixtures {
        assert_same(doc, &ReadOptions::default());
        // Cut anywhere: a record cut short must fail (or fall back) identically.
        for cut in (doc.len() / 2..doc.len()).step_by(97) {
            assert_same(&doc[..cut], &ReadOptions::default());
        }
    }
}

#[test]
fn the_token_limit_applies_to_fast_records_too() {
    let mut rng = Lcg(3);
    let doc = document(&PIECES[..6], &mut rng);
    let mut opts = ReadOptions::default();
    opts.limits.max_token_bytes = 200;
    assert_same(&doc, &opts);
    let (_, outcome) = read_lane(&doc, &opts, true, 256 * 1024);
    assert!(
        outcome.is_err(),
        "a 300-byte tag exceeds a 200-byte token limit"
    );
}
