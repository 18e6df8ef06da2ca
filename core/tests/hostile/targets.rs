//! The readers under test, each with a small valid document (a template) that the cases corrupt.
//!
//! Templates hold four slots: `{NUM}` (a measured value), `{DATE}` (a time), `{TEXT}` (free Japanese text)
//! and `{TOKEN}` (a string where one huge token can go). All data is synthetic.

use std::io::Read;

use phrkit::fhir::consent::read_consent;
use phrkit::policy::pseudonymise::RuleSet;
use phrkit::read::mapping::Mapping;
use phrkit::read::{open_reader, ArchiveLimits, Format, Limits, ReadOptions, RecordReader};
use phrkit::{Error, Report};

use super::craft::zip_of;

/// Every reader of the matrix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    FhirJson,
    FhirNdjson,
    AppleXml,
    AppleZip,
    KenshinCda,
    KenshinArchive,
    MynaExpenseCsv,
    DeviceCsv,
    TakeoutJson,
    TakeoutZip,
    HealthConnect,
    MappingFile,
    MappedPayload,
    ConsentFile,
    PseudonymiseRules,
}

/// How a target's document is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Syntax {
    Json,
    Xml,
    Csv,
    Toml,
    Sqlite,
}

const FHIR_OBSERVATION: &str = r#"{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"29463-7"}],"text":"{TEXT}"},"note":[{"text":"{TOKEN}"}],"effectiveDateTime":"{DATE}","valueQuantity":{"value":{NUM},"unit":"kg","system":"http://unitsofmeasure.org","code":"kg"}}"#;

const APPLE_XML: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE HealthData [
<!ATTLIST HealthData locale CDATA #REQUIRED>
]>
<HealthData locale="ja_JP">
 <ExportDate value="2024-04-02 08:00:00 +0900"/>
 <Record type="HKQuantityTypeIdentifierBodyMass" sourceName="{TEXT}" unit="kg" creationDate="{DATE}" startDate="{DATE}" endDate="{DATE}" value="{NUM}" device="{TOKEN}"/>
</HealthData>
"#;

const KENSHIN_INDEX: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<index xmlns="http://tokuteikenshin.jp/checkup/2007">
  <interactionType code="6"/><creationTime value="20260730"/>
  <sender><id root="1.2.392.200119.6.102" extension="0123456789"/></sender>
  <receiver><id root="1.2.392.200119.6.101" extension="263129"/></receiver>
  <serviceEventType code="1"/><totalRecordCount value="1"/>
</index>"#;

/// The 2007-namespace index of a one-person 特定健診 archive.
pub fn kenshin_index() -> &'static str {
    KENSHIN_INDEX
}

const DEVICE_CSV: &str =
    "測定日時,体重(kg),体脂肪率(%),BMI,メモ\n{DATE},{NUM},24.1,21.9,{TEXT}{TOKEN}\n";

const TAKEOUT_JSON: &str = r#"{"Data Source":"derived:com.google.step_count.delta:com.google.android.gms:merge_step_deltas","Data Points":[{"fitValue":[{"value":{"intVal":{NUM}}}],"originDataSourceId":"{TEXT}{TOKEN}","endTimeNanos":{DATE},"dataTypeName":"com.google.step_count.delta","startTimeNanos":1551312302000000000}]}"#;

const RULES_JSON: &str = r#"{"base":"pseudonymised","rules":[{"path":"measurement.value","method":"perturb","span":{NUM},"rangeType":"proportional"},{"path":"subject.name.kanji","method":"substitute","replaceWith":"{TEXT}{TOKEN}"}]}"#;

fn fixture(path: &str) -> String {
    std::fs::read_to_string(format!("{}/../fixtures/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// Replaces the first occurrence of `from` (which must be present).
fn slot(text: String, from: &str, to: &str) -> String {
    assert!(text.contains(from), "fixture lacks {from}");
    text.replacen(from, to, 1)
}

/// The hc08 sample with its slots: body weight, the checkup date, a name, the telephone number.
fn kenshin_cda() -> String {
    let t = fixture("kenshin/hc08_sample.xml");
    let t = slot(t, r#"value="65.0" unit="kg""#, r#"value="{NUM}" unit="kg""#);
    let t = slot(
        t,
        r#"<effectiveTime value="20260415"/>"#,
        r#"<effectiveTime value="{DATE}"/>"#,
    );
    slot(t, "tel:03-0000-0000", "tel:{TEXT}{TOKEN}")
}

fn myna_expense_csv() -> String {
    let t = fixture("myna_portal/expense.csv");
    let t = slot(
        t,
        r#""医療費の総額（円）","4,120""#,
        r#""医療費の総額（円）","{NUM}""#,
    );
    let t = slot(t, r#""診療年月","2025年3月""#, r#""診療年月","{DATE}""#);
    slot(t, "サンプル内科クリニック", "{TEXT}{TOKEN}")
}

fn mapped_payload() -> String {
    let t = fixture("myna_portal/dummy_env_payload.json");
    let t = slot(t, r#""数量": "14""#, r#""数量": {NUM}"#);
    let t = slot(t, "2025年3月2日", "{DATE}");
    slot(t, "サンプル薬局", "{TEXT}{TOKEN}")
}

fn mapping_file() -> String {
    let t = fixture("myna_portal/dummy_env_mapping.json");
    let t = slot(t, r#""phrkit_mapping": 1"#, r#""phrkit_mapping": {NUM}"#);
    slot(
        t,
        "\"version\": \"0.0.1\"",
        "\"version\": \"{TEXT}{TOKEN}\"",
    )
}

fn consent() -> String {
    let t = fixture("consent/research-partner.json");
    let t = slot(t, r#""end": "2026-03-31""#, r#""end": "{DATE}""#);
    slot(
        t,
        "\"id\": \"c1\"",
        "\"id\": \"c1\", \"language\": \"{TEXT}{TOKEN}\"",
    )
}

impl Target {
    pub const ALL: [Target; 15] = [
        Target::FhirJson,
        Target::FhirNdjson,
        Target::AppleXml,
        Target::AppleZip,
        Target::KenshinCda,
        Target::KenshinArchive,
        Target::MynaExpenseCsv,
        Target::DeviceCsv,
        Target::TakeoutJson,
        Target::TakeoutZip,
        Target::HealthConnect,
        Target::MappingFile,
        Target::MappedPayload,
        Target::ConsentFile,
        Target::PseudonymiseRules,
    ];

    /// The syntax of the document the target reads (inside its zip, for zip targets).
    pub fn syntax(self) -> Syntax {
        match self {
            Target::AppleXml | Target::AppleZip | Target::KenshinCda | Target::KenshinArchive => {
                Syntax::Xml
            }
            Target::MynaExpenseCsv | Target::DeviceCsv => Syntax::Csv,
            Target::HealthConnect => Syntax::Sqlite,
            Target::PseudonymiseRules => Syntax::Toml,
            _ => Syntax::Json,
        }
    }

    /// Whether the target reads a zip archive.
    pub fn is_zip(self) -> bool {
        matches!(
            self,
            Target::AppleZip | Target::KenshinArchive | Target::HealthConnect | Target::TakeoutZip
        )
    }

    /// The template of the document (for zip targets: of the main entry).
    pub fn template(self) -> String {
        match self {
            Target::FhirJson => format!(
                r#"{{"resourceType":"Bundle","type":"collection","entry":[{{"resource":{FHIR_OBSERVATION}}}]}}"#
            ),
            Target::FhirNdjson => format!("{FHIR_OBSERVATION}\n"),
            Target::AppleXml | Target::AppleZip => APPLE_XML.to_owned(),
            Target::KenshinCda | Target::KenshinArchive => kenshin_cda(),
            Target::MynaExpenseCsv => myna_expense_csv(),
            Target::DeviceCsv => DEVICE_CSV.to_owned(),
            Target::TakeoutJson | Target::TakeoutZip => TAKEOUT_JSON.to_owned(),
            Target::HealthConnect => String::new(),
            Target::MappingFile => mapping_file(),
            Target::MappedPayload => mapped_payload(),
            Target::ConsentFile => consent(),
            Target::PseudonymiseRules => RULES_JSON.to_owned(),
        }
    }

    /// Slot values that make the template valid.
    pub fn good_values(self) -> [(&'static str, &'static str); 4] {
        let (num, date) = match self {
            Target::FhirJson | Target::FhirNdjson => ("62.5", "2024-04-01T07:30:00+09:00"),
            Target::AppleXml | Target::AppleZip => ("62.5", "2024-04-01 07:30:00 +0900"),
            Target::KenshinCda | Target::KenshinArchive => ("65.0", "20260415"),
            Target::MynaExpenseCsv => ("4,120", "2025年3月"),
            Target::DeviceCsv => ("58.4", "2025/01/12 07:30"),
            Target::TakeoutJson | Target::TakeoutZip => ("812", "1551312880000000000"),
            Target::MappedPayload => ("14", "2025年3月2日"),
            Target::MappingFile => ("1", ""),
            Target::ConsentFile => ("true", "2026-03-31"),
            Target::PseudonymiseRules => ("0.05", ""),
            Target::HealthConnect => ("65400.0", "1735689600000"),
        };
        let text = match self {
            Target::KenshinArchive | Target::KenshinCda => "0000",
            _ => "テスト",
        };
        [
            ("{NUM}", num),
            ("{DATE}", date),
            ("{TEXT}", text),
            ("{TOKEN}", "x"),
        ]
    }

    /// A date that cannot exist, written the way this target writes dates (`None`: it has no dates).
    pub fn impossible_date(self) -> Option<&'static str> {
        Some(match self {
            Target::FhirJson | Target::FhirNdjson => "2024-13-45T25:61:00+09:00",
            Target::AppleXml | Target::AppleZip => "2024-13-45 25:61:00 +0900",
            Target::KenshinCda | Target::KenshinArchive => "20241345",
            Target::MynaExpenseCsv => "2025年13月",
            Target::DeviceCsv => "2025/13/45 25:61",
            Target::TakeoutJson | Target::TakeoutZip => "99999999999999999999999",
            Target::MappedPayload => "2025年13月45日",
            Target::ConsentFile => "2026-13-45",
            Target::HealthConnect => "9223372036854775807",
            Target::MappingFile | Target::PseudonymiseRules => return None,
        })
    }

    /// The template with `values` in its slots (slots not given take their good value).
    pub fn document(self, values: &[(&str, &str)]) -> String {
        let mut doc = self.template();
        for (name, good) in self.good_values() {
            let v = values
                .iter()
                .find(|(n, _)| *n == name)
                .map_or(good, |(_, v)| *v);
            doc = doc.replace(name, v);
        }
        doc
    }

    /// Whether the template has this slot.
    pub fn has_slot(self, name: &str) -> bool {
        if self == Target::HealthConnect {
            // Text slots make no sense in SQLite (it stores UTF-8 itself); the database entry is the token.
            return name != "{TEXT}";
        }
        self.template().contains(name)
    }

    /// Wraps a main document in the target's container (zip targets), else returns it.
    pub fn wrap(self, main: &[u8]) -> Vec<u8> {
        match self {
            Target::AppleZip => zip_of(&[("apple_health_export/書き出したデータ.xml", main)]),
            Target::KenshinArchive => zip_of(&[
                ("R/ix08.xml", KENSHIN_INDEX.as_bytes()),
                ("R/DATA/h01234567892026073001000001.xml", main),
            ]),
            Target::HealthConnect => zip_of(&[("health_connect_export.db", main)]),
            Target::TakeoutZip => zip_of(&[(self.main_entry(), main)]),
            _ => main.to_vec(),
        }
    }

    /// The name of the main entry inside the target's zip.
    pub fn main_entry(self) -> &'static str {
        match self {
            Target::KenshinArchive => "R/DATA/h01234567892026073001000001.xml",
            Target::HealthConnect => "health_connect_export.db",
            Target::TakeoutZip => "Takeout/Fit/All Data/derived_com.google.step_count.delta.json",
            _ => "apple_health_export/書き出したデータ.xml",
        }
    }

    /// A valid input of this target with slot values (a built SQLite db for Health Connect).
    pub fn input(self, values: &[(&str, &str)]) -> Vec<u8> {
        if self == Target::HealthConnect {
            return self.wrap(&health_connect_db(self, values));
        }
        self.wrap(self.document(values).as_bytes())
    }

    fn format(self) -> Option<Format> {
        Some(match self {
            Target::FhirJson => Format::FhirJson,
            Target::FhirNdjson => Format::FhirNdjson,
            Target::AppleXml => Format::AppleHealthXml,
            Target::AppleZip => Format::AppleHealthZip,
            Target::KenshinCda => Format::KenshinCdaXml,
            Target::KenshinArchive => Format::KenshinArchive,
            Target::MynaExpenseCsv => Format::MynaExpenseCsv,
            Target::DeviceCsv => Format::DeviceCsv,
            Target::TakeoutJson => Format::TakeoutJson,
            Target::TakeoutZip => Format::TakeoutZip,
            Target::HealthConnect => Format::HealthConnectZip,
            _ => return None,
        })
    }

    /// Reads `input` to its end with the target's public entry point for streams.
    pub fn run(self, input: impl Read, opts: &ReadOptions) -> Result<Option<Report>, Error> {
        if let Some(format) = self.format() {
            let opts = opts.clone().with_format(format);
            let mut reader = open_reader(input, None, &opts)?;
            return drain(reader.as_mut()).map(Some);
        }
        match self {
            Target::MappingFile => Mapping::from_reader(input).map(|_| None),
            Target::MappedPayload => {
                let mapping =
                    Mapping::from_json(fixture("myna_portal/dummy_env_mapping.json").as_bytes())
                        .unwrap();
                mapping.read_reader(input, opts).map(|d| Some(d.report))
            }
            Target::ConsentFile => read_consent(input).map(|_| None),
            _ => RuleSet::from_reader("rules.json", input).map(|_| None),
        }
    }
}

fn drain(reader: &mut dyn RecordReader) -> Result<Report, Error> {
    while reader.next_record()?.is_some() {}
    Ok(reader.report().clone())
}

/// Default options with archive limits low enough that a size bomb of 100 MiB trips them.
pub fn tight_archive_options() -> ReadOptions {
    let mut limits = Limits::default();
    limits.archive = ArchiveLimits::new(1000, 16 * 1024 * 1024, 200);
    ReadOptions::default().with_limits(limits)
}

/// A Health Connect database with one weight row (`{NUM}` grams at `{DATE}` epoch ms, app `{TEXT}`).
fn health_connect_db(t: Target, values: &[(&str, &str)]) -> Vec<u8> {
    let good = t.good_values();
    let get = |name: &str| {
        values
            .iter()
            .chain(good.iter())
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.to_string())
            .unwrap()
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("health_connect_export.db");
    let c = rusqlite::Connection::open(&path).unwrap();
    c.execute_batch(
        "CREATE TABLE application_info_table (row_id INTEGER PRIMARY KEY, package_name TEXT, app_name TEXT);
         CREATE TABLE weight_record_table (row_id INTEGER PRIMARY KEY, time INTEGER, zone_offset INTEGER, weight REAL, app_info_id INTEGER);",
    )
    .unwrap();
    c.execute(
        "INSERT INTO application_info_table VALUES (1, 'jp.example.scale', ?1)",
        [get("{TEXT}")],
    )
    .unwrap();
    // Values go in as SQL literals when they are numbers, as text otherwise (as a broken app might).
    let literal = |v: String| {
        if v.parse::<f64>().is_ok_and(f64::is_finite) {
            v
        } else {
            format!("'{}'", v.replace('\'', "''"))
        }
    };
    let sql = format!(
        "INSERT INTO weight_record_table VALUES (1, {}, 32400, {}, 1)",
        literal(get("{DATE}")),
        literal(get("{NUM}"))
    );
    c.execute_batch(&sql).unwrap();
    drop(c);
    std::fs::read(&path).unwrap()
}
