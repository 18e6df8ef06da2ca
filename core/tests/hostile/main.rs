//! The hostile-input matrix (issue #9): every reader × every hostile case, one test each.
//!
//! Each test builds its input (gigabyte inputs are generated lazily or as crafted deflate streams, never
//! held whole), reads it through the reader's public stream entry point, and checks the outcome the
//! matrix in [`expect`] documents: a typed error, or a tolerant reading that counts the hostile item as
//! skipped, or a documented tolerant reading. Errors must not echo the input's values.
//!
//! Cases that could exhaust memory (`Case::measures_memory`) run in a child process (this test binary
//! re-run for that one test) whose peak RSS (`VmHWM`) must stay under [`MAX_PEAK_RSS_KB`]; on systems
//! without `/proc` the memory check is skipped and says so.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod craft;
mod targets;

use std::io::Read;
use std::time::{Duration, Instant};

use craft::{deflate_repeat, zip_of, zip_raw, HugeToken, RawEntry};
use phrkit::read::ReadOptions;
use phrkit::{Error, Report};
use targets::{tight_archive_options, Syntax, Target};

/// Peak RSS a child may reach: far below the gigabyte inputs, above the 16 MiB token and 64 MiB line
/// limits plus the test binary itself.
const MAX_PEAK_RSS_KB: u64 = 200 * 1024;

/// Time a case may take (debug build, loaded CI machine): a hang, not a speed measurement.
const MAX_CASE_TIME: Duration = Duration::from_secs(240);

const GIB: u64 = 1024 * 1024 * 1024;
const MIB: u64 = 1024 * 1024;

/// The hostile cases.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Case {
    BillionLaughs,
    ExternalEntity,
    DeepNesting,
    SingleToken1Gib,
    ZipBombRatio,
    ZipBombSize,
    ZipTraversal,
    ZipAbsolutePath,
    Truncated,
    InvalidUtf8,
    ShiftJisWhereUtf8,
    Utf8WhereShiftJis,
    NumberOverflow,
    NanInfinity,
    ImpossibleDate,
    Empty,
    WrongFormat,
}

impl Case {
    fn measures_memory(self) -> bool {
        matches!(
            self,
            Case::BillionLaughs
                | Case::DeepNesting
                | Case::SingleToken1Gib
                | Case::ZipBombRatio
                | Case::ZipBombSize
        )
    }
}

/// What a reader must do with a case.
#[derive(Clone, Copy, Debug)]
enum Expect {
    /// A typed error with one of these codes (`ErrorKind::code`).
    Refused(&'static [&'static str]),
    /// Read to the end; the hostile item is counted as skipped (the report balances).
    Skipped,
    /// Read to the end, balanced: a documented tolerant reading (why).
    Tolerated(#[allow(dead_code)] &'static str),
    /// Read to the end with every item converted: the input is accepted as it is (why).
    ReadAll(#[allow(dead_code)] &'static str),
    /// The case cannot be expressed for this reader (why).
    NotApplicable(#[allow(dead_code)] &'static str),
}

const FORMAT: &[&str] = &["format"];
const LIMIT: &[&str] = &["limit-exceeded"];
const NOT_THIS_FORMAT: &[&str] = &["format", "unknown-format"];
const CONFIG_OR_FORMAT: &[&str] = &["config", "format"];
/// Takeout zips recognise their files by content: an entry that is not valid JSON is counted as
/// unrecognised, and an archive in which nothing is recognised is not a Takeout archive.
const UNRECOGNISED: &[&str] = &["unknown-format"];
const CONFIG_FORMAT_OR_LIMIT: &[&str] = &["config", "format", "limit-exceeded"];

/// The matrix.
fn expect(t: Target, case: Case) -> Expect {
    use Case::*;
    use Expect::*;
    use Target::*;
    let policy_file = matches!(t, MappingFile | ConsentFile | PseudonymiseRules);
    let syntax = t.syntax();
    match case {
        // XML readers refuse DTD entity declarations; the others see a document of another format.
        // The archive reader skips (and counts) the one person's document that is refused.
        BillionLaughs | ExternalEntity if t == KenshinArchive => Skipped,
        BillionLaughs | ExternalEntity if syntax == Syntax::Xml => Refused(FORMAT),
        _ if policy_file => policy_file_expect(t, case),
        BillionLaughs | ExternalEntity | WrongFormat => Refused(NOT_THIS_FORMAT),
        DeepNesting => match syntax {
            Syntax::Csv => NotApplicable("CSV has no nesting; its unbounded token, the line, is the token case"),
            Syntax::Sqlite => NotApplicable("SQLite rows do not nest"),
            Syntax::Xml if matches!(t, AppleXml | AppleZip) => Tolerated(
                "an unknown element is skipped as one subtree, without recursion, bounded by the token limit",
            ),
            // 特定健診 archives judge compression early (4 KiB grace): repetitive nesting trips the ratio.
            Syntax::Xml if t == KenshinArchive => Refused(LIMIT),
            _ if t == FhirNdjson => Skipped,
            _ if t == TakeoutZip => Refused(UNRECOGNISED),
            _ => Refused(LIMIT),
        },
        SingleToken1Gib => match t {
            FhirNdjson => Skipped,
            // The database entry is copied out of the zip (to a temporary file, in bounded memory) before
            // SQLite can open it; 1 GiB is within the archive limits, so it ends as "not a database" (or,
            // here, a CRC mismatch, since the crafted entry carries none).
            HealthConnect => Refused(FORMAT),
            _ => Refused(LIMIT),
        },
        ZipBombRatio | ZipBombSize if t.is_zip() => Refused(LIMIT),
        ZipTraversal | ZipAbsolutePath if t.is_zip() => Refused(FORMAT),
        ZipBombRatio | ZipBombSize | ZipTraversal | ZipAbsolutePath => Refused(NOT_THIS_FORMAT),
        Truncated => match t {
            // Line- and item-oriented readers read what is there and count the broken item.
            FhirNdjson | MynaExpenseCsv => Skipped,
            DeviceCsv => Tolerated("a CSV cut between rows is a shorter CSV: nothing marks the cut"),
            _ => Refused(FORMAT),
        },
        Empty => match t {
            FhirNdjson => Tolerated("an empty NDJSON file is an export with no resources"),
            _ => Refused(NOT_THIS_FORMAT),
        },
        InvalidUtf8 | ShiftJisWhereUtf8 => text_expect(t, case),
        Utf8WhereShiftJis => match syntax {
            Syntax::Csv => ReadAll("UTF-8 is recognised by its validity before Shift_JIS is tried"),
            Syntax::Xml if matches!(t, AppleXml | AppleZip) => {
                ReadAll("Apple writes UTF-8 only: the declaration is not trusted, the bytes are checked")
            }
            Syntax::Xml if t == KenshinArchive => Skipped,
            Syntax::Xml => Refused(FORMAT),
            Syntax::Sqlite => NotApplicable("SQLite stores its text as UTF-8 itself"),
            _ => NotApplicable("JSON is UTF-8 by definition (RFC 8259 §8.1): nothing declares Shift_JIS"),
        },
        NumberOverflow | NanInfinity | ImpossibleDate => value_expect(t, case),
    }
}

/// Consent, mapping and rule files are configuration: any defect refuses the whole file.
fn policy_file_expect(t: Target, case: Case) -> Expect {
    match case {
        Case::ImpossibleDate if t != Target::ConsentFile => {
            Expect::NotApplicable("mapping and rule files hold no dates")
        }
        Case::NumberOverflow | Case::NanInfinity if t == Target::ConsentFile => {
            Expect::NotApplicable("a FHIR Consent has no numeric elements")
        }
        Case::DeepNesting | Case::SingleToken1Gib => Expect::Refused(CONFIG_FORMAT_OR_LIMIT),
        Case::Utf8WhereShiftJis => Expect::NotApplicable("JSON and TOML are UTF-8 by definition"),
        _ => Expect::Refused(CONFIG_OR_FORMAT),
    }
}

/// Invalid UTF-8 and Shift_JIS bytes in a UTF-8 format.
fn text_expect(t: Target, case: Case) -> Expect {
    use Target::*;
    match t {
        HealthConnect => Expect::NotApplicable("SQLite stores its text as UTF-8 itself"),
        // Japanese downloads come in Shift_JIS: detected and decoded as a whole.
        MynaExpenseCsv | DeviceCsv | MappedPayload if case == Case::ShiftJisWhereUtf8 => {
            Expect::ReadAll("Shift_JIS is detected and decoded")
        }
        // Bytes valid in neither encoding: detection falls back to Shift_JIS and the header matches nothing.
        DeviceCsv => Expect::Refused(NOT_THIS_FORMAT),
        MynaExpenseCsv | MappedPayload => Expect::Refused(FORMAT),
        TakeoutZip => Expect::Refused(UNRECOGNISED),
        // Item-oriented readers skip the one record with broken text.
        AppleXml | AppleZip | FhirNdjson | KenshinArchive => Expect::Skipped,
        _ => Expect::Refused(FORMAT),
    }
}

/// Overflowing numbers, NaN/Infinity and impossible dates.
fn value_expect(t: Target, case: Case) -> Expect {
    use Target::*;
    match t {
        // JSON has no NaN or Infinity: a whole JSON document with one is malformed.
        FhirJson | MappedPayload | TakeoutJson if case == Case::NanInfinity => {
            Expect::Refused(FORMAT)
        }
        TakeoutZip if case == Case::NanInfinity => Expect::Refused(UNRECOGNISED),
        // One checkup document is one person's record: an invalid value invalidates the document.
        KenshinCda => Expect::Refused(FORMAT),
        _ => Expect::Skipped,
    }
}

/// One input of a case.
enum Input {
    Bytes(Vec<u8>),
    Stream(HugeToken),
}

/// The personal-looking values templates carry; no error message may contain them.
const SECRETS: &[&str] = &["テスト", "9999999999999999", "NaN", "Infinity"];

fn inputs(t: Target, case: Case) -> Vec<Input> {
    use Case::*;
    let doc = |values: &[(&str, &str)]| Input::Bytes(t.input(values));
    match case {
        BillionLaughs => vec![Input::Bytes(t.wrap(&billion_laughs(t)))],
        ExternalEntity => vec![Input::Bytes(t.wrap(&external_entity(t)))],
        DeepNesting => vec![Input::Bytes(t.wrap(&deep_nesting(t)))],
        SingleToken1Gib => vec![huge_token(t)],
        ZipBombRatio => vec![Input::Bytes(ratio_bomb(t))],
        ZipBombSize => vec![Input::Bytes(size_bomb(t))],
        ZipTraversal => vec![Input::Bytes(with_hostile_entry(t, "../../evil.xml"))],
        ZipAbsolutePath => vec![Input::Bytes(with_hostile_entry(t, "/tmp/evil.xml"))],
        Truncated => {
            let whole = t.input(&[]);
            vec![Input::Bytes(whole[..whole.len() / 2].to_vec())]
        }
        InvalidUtf8 => vec![Input::Bytes(invalid_utf8(t))],
        ShiftJisWhereUtf8 => {
            let text = t.document(&[]);
            let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode(&text);
            vec![Input::Bytes(t.wrap(&sjis))]
        }
        Utf8WhereShiftJis => {
            let text =
                t.document(&[])
                    .replacen(r#"encoding="UTF-8""#, r#"encoding="Shift_JIS""#, 1);
            vec![Input::Bytes(t.wrap(text.as_bytes()))]
        }
        NumberOverflow => vec![doc(&[(
            "{NUM}",
            "9999999999999999999999999999999999999999",
        )])],
        NanInfinity => vec![doc(&[("{NUM}", "NaN")]), doc(&[("{NUM}", "Infinity")])],
        ImpossibleDate => vec![doc(&[("{DATE}", t.impossible_date().unwrap())])],
        Empty => vec![Input::Bytes(Vec::new())],
        WrongFormat => {
            let other = if t.syntax() == Syntax::Xml {
                Target::FhirJson
            } else {
                Target::AppleXml
            };
            vec![Input::Bytes(other.input(&[]))]
        }
    }
}

/// The slot a case needs, if any (a reader without it gets `NotApplicable`).
fn needed_slot(case: Case) -> Option<&'static str> {
    match case {
        Case::NumberOverflow | Case::NanInfinity => Some("{NUM}"),
        Case::ImpossibleDate => Some("{DATE}"),
        Case::InvalidUtf8 | Case::ShiftJisWhereUtf8 => Some("{TEXT}"),
        Case::SingleToken1Gib => Some("{TOKEN}"),
        _ => None,
    }
}

fn root_of(t: Target) -> &'static str {
    match t {
        Target::KenshinCda | Target::KenshinArchive => "ClinicalDocument",
        _ => "HealthData",
    }
}

fn billion_laughs(t: Target) -> Vec<u8> {
    let root = root_of(t);
    let mut s = format!("<?xml version=\"1.0\"?>\n<!DOCTYPE {root} [\n<!ENTITY l0 \"ha\">\n");
    for i in 1..10 {
        let refs = format!("&l{};", i - 1).repeat(10);
        s.push_str(&format!("<!ENTITY l{i} \"{refs}\">\n"));
    }
    s.push_str(&format!("]>\n<{root}>&l9;</{root}>\n"));
    s.into_bytes()
}

fn external_entity(t: Target) -> Vec<u8> {
    let root = root_of(t);
    format!("<?xml version=\"1.0\"?>\n<!DOCTYPE {root} [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n<{root}>&x;</{root}>\n").into_bytes()
}

fn deep_nesting(t: Target) -> Vec<u8> {
    const DEPTH: usize = 100_000;
    match t.syntax() {
        Syntax::Xml => {
            let root = root_of(t);
            format!(
                "<?xml version=\"1.0\"?>\n<{root}>{}{}</{root}>\n",
                "<a>".repeat(DEPTH),
                "</a>".repeat(DEPTH)
            )
            .into_bytes()
        }
        Syntax::Toml => {
            format!("{{\"base\":{}{}}}", "[".repeat(DEPTH), "]".repeat(DEPTH)).into_bytes()
        }
        _ => format!("{{\"a\":{}{}}}\n", "[".repeat(DEPTH), "]".repeat(DEPTH)).into_bytes(),
    }
}

/// The document split at `{TOKEN}`, with 1 GiB of `a` in between.
fn huge_token(t: Target) -> Input {
    if t == Target::HealthConnect {
        // The database entry itself is the gigabyte: it is copied out of the zip before SQLite opens it.
        let raw = deflate_repeat(b"", b"a", GIB, b"");
        return Input::Bytes(zip_raw(&[entry(t.main_entry(), 8, &raw, GIB)]));
    }
    let marked = t.document(&[("{TOKEN}", "\u{1}TOKEN\u{1}")]);
    let (before, after) = marked.split_once("\u{1}TOKEN\u{1}").unwrap();
    if !t.is_zip() {
        return Input::Stream(HugeToken::new(
            before.as_bytes(),
            b'a',
            GIB,
            after.as_bytes(),
        ));
    }
    let raw = deflate_repeat(before.as_bytes(), b"a", GIB, after.as_bytes());
    let size = before.len() as u64 + GIB + after.len() as u64;
    let main = entry(t.main_entry(), 8, &raw, size);
    Input::Bytes(zip_with_index(t, main))
}

fn entry<'a>(name: &'a str, method: u16, data: &'a [u8], size: u64) -> RawEntry<'a> {
    let crc = if method == 0 { craft::crc32(data) } else { 0 };
    RawEntry {
        name,
        method,
        data,
        size,
        crc,
    }
}

/// Kenshin archives need their index entry next to the hostile one.
fn zip_with_index(t: Target, main: RawEntry<'_>) -> Vec<u8> {
    let index = targets::kenshin_index().as_bytes();
    if t == Target::KenshinArchive {
        zip_raw(&[entry("R/ix08.xml", 0, index, index.len() as u64), main])
    } else {
        zip_raw(&[main])
    }
}

/// 64 MiB of zeros deflated (about 1000:1) under the main entry's name.
fn ratio_bomb(t: Target) -> Vec<u8> {
    let zeros = vec![0u8; 64 * MIB as usize];
    let mut entries: Vec<(&str, &[u8])> = vec![(t.main_entry(), &zeros)];
    if t == Target::KenshinArchive {
        entries.insert(0, ("R/ix08.xml", targets::kenshin_index().as_bytes()));
    }
    zip_of(&entries)
}

/// 100 MiB of plausible content at a normal compression ratio: only the size limits can stop it.
fn size_bomb(t: Target) -> Vec<u8> {
    let unit = br#"<Record type="HKQuantityTypeIdentifierStepCount" sourceName="x" unit="count" startDate="2024-04-01 07:30:00 +0900" endDate="2024-04-01 07:31:00 +0900" value="1"/>
"#;
    let prefix = b"<?xml version=\"1.0\"?>\n<HealthData locale=\"ja_JP\">\n";
    let size = 100 * MIB;
    let raw = deflate_repeat(prefix, unit, size, b"</HealthData>\n");
    let total = prefix.len() as u64 + size + 14;
    zip_with_index(t, entry(t.main_entry(), 8, &raw, total))
}

fn with_hostile_entry(t: Target, hostile: &str) -> Vec<u8> {
    let main = t.input(&[]);
    let valid_main: Vec<u8> = if t.is_zip() {
        // The main entry's own bytes, extracted from the valid archive the target would read.
        let mut z = zip::ZipArchive::new(std::io::Cursor::new(&main)).unwrap();
        let mut f = z
            .by_name(t.main_entry())
            .unwrap_or_else(|_| panic!("entry"));
        let mut b = Vec::new();
        f.read_to_end(&mut b).unwrap();
        b
    } else {
        main
    };
    let mut entries: Vec<(&str, &[u8])> =
        vec![(hostile, &valid_main), (t.main_entry(), &valid_main)];
    if t == Target::KenshinArchive {
        entries.insert(0, ("R/ix08.xml", targets::kenshin_index().as_bytes()));
    }
    zip_of(&entries)
}

fn invalid_utf8(t: Target) -> Vec<u8> {
    let doc = t.document(&[("{TEXT}", "\u{1}BAD\u{1}")]).into_bytes();
    let at = doc.windows(5).position(|w| w == b"\x01BAD\x01").unwrap();
    let mut bad = doc[..at].to_vec();
    bad.extend_from_slice(&[0xFF, 0xFE, 0xC3, 0x28]);
    bad.extend_from_slice(&doc[at + 5..]);
    t.wrap(&bad)
}

fn options(case: Case) -> ReadOptions {
    match case {
        Case::ZipBombSize => tight_archive_options(),
        _ => ReadOptions::default(),
    }
}

fn run_input(t: Target, case: Case, input: Input) -> Result<Option<Report>, Error> {
    let opts = options(case);
    match input {
        Input::Bytes(b) => t.run(&b[..], &opts),
        Input::Stream(s) => t.run(s, &opts),
    }
}

fn check(t: Target, case: Case, expected: Expect, got: Result<Option<Report>, Error>) {
    let what = format!("{t:?} × {case:?}");
    match (expected, got) {
        (Expect::Refused(codes), Err(e)) => {
            let code = e.kind().code();
            assert!(
                codes.contains(&code),
                "{what}: error code {code} not in {codes:?}: {e}"
            );
            let message = e.to_string();
            for s in SECRETS {
                assert!(
                    !message.contains(s),
                    "{what}: error message echoes input: {message}"
                );
            }
        }
        (Expect::Refused(codes), Ok(r)) => {
            panic!("{what}: expected an error {codes:?}, read {r:?}")
        }
        (Expect::Skipped, Ok(Some(r))) => {
            assert!(r.is_balanced(), "{what}: report does not balance: {r:?}");
            assert!(
                r.skipped_total() >= 1,
                "{what}: hostile item not counted as skipped: {r:?}"
            );
        }
        (Expect::Tolerated(_), Ok(Some(r))) => {
            assert!(r.is_balanced(), "{what}: report does not balance: {r:?}");
        }
        (Expect::ReadAll(_), Ok(Some(r))) => {
            assert!(r.is_balanced(), "{what}: report does not balance: {r:?}");
            assert!(r.converted >= 1, "{what}: nothing read: {r:?}");
            assert_eq!(r.skipped_total(), 0, "{what}: {r:?}");
        }
        (expected, got) => panic!("{what}: expected {expected:?}, got {got:?}"),
    }
}

/// Runs one case in this process.
fn run_here(t: Target, case: Case) {
    let expected = expect(t, case);
    if let Expect::NotApplicable(why) = expected {
        // A case that needs a slot the template has is applicable: the matrix must then say what happens.
        if let Some(slot) = needed_slot(case) {
            assert!(
                !t.has_slot(slot),
                "{t:?} × {case:?}: marked not applicable, yet the template has {slot}"
            );
        }
        eprintln!("{t:?} × {case:?}: not applicable: {why}");
        return;
    }
    if let Some(slot) = needed_slot(case) {
        if !t.has_slot(slot) {
            panic!("{t:?} × {case:?}: the template lacks {slot}; mark the case not applicable");
        }
    }
    for input in inputs(t, case) {
        let started = Instant::now();
        let got = run_input(t, case, input);
        check(t, case, expected, got);
        assert!(
            started.elapsed() < MAX_CASE_TIME,
            "{t:?} × {case:?}: took {:?}",
            started.elapsed()
        );
    }
}

fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

const CHILD_ENV: &str = "PHRKIT_HOSTILE_CHILD";
const RSS_MARK: &str = "hostile-peak-rss-kb:";

/// Runs one case: memory-measuring cases in a child process, the rest here.
fn run(module: &str, test: &str, t: Target, case: Case) {
    if std::env::var_os(CHILD_ENV).is_some() {
        run_here(t, case);
        if let Some(kb) = peak_rss_kb() {
            println!("{RSS_MARK} {kb}");
        }
        return;
    }
    if !case.measures_memory() || matches!(expect(t, case), Expect::NotApplicable(_)) {
        return run_here(t, case);
    }
    let name = format!("{module}::{test}");
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([name.as_str(), "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > MAX_CASE_TIME {
            child.kill().unwrap();
            panic!("{name}: no result within {MAX_CASE_TIME:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{name} failed:\n{stdout}\n{stderr}");
    assert!(
        stdout.contains("1 passed"),
        "{name}: the child ran no test:\n{stdout}"
    );
    // The mark may share a line with the harness's own "test … ok" output.
    match stdout.lines().find_map(|l| l.split(RSS_MARK).nth(1)) {
        Some(kb) => {
            let kb: u64 = kb.trim().parse().unwrap();
            assert!(kb < MAX_PEAK_RSS_KB, "{name}: peak RSS {kb} kB");
            eprintln!("{name}: peak RSS {kb} kB");
        }
        None if cfg!(target_os = "linux") => panic!("{name}: the child reported no peak RSS"),
        None => eprintln!("{name}: no /proc/self/status here; memory not measured"),
    }
}

macro_rules! matrix_row {
    ($module:ident, $target:expr) => {
        mod $module {
            use super::*;
            matrix_row!(@cases $module, $target,
                billion_laughs => BillionLaughs,
                external_entity => ExternalEntity,
                deep_nesting => DeepNesting,
                single_token_1gib => SingleToken1Gib,
                zip_bomb_ratio => ZipBombRatio,
                zip_bomb_size => ZipBombSize,
                zip_traversal => ZipTraversal,
                zip_absolute_path => ZipAbsolutePath,
                truncated => Truncated,
                invalid_utf8 => InvalidUtf8,
                shift_jis_where_utf8 => ShiftJisWhereUtf8,
                utf8_where_shift_jis => Utf8WhereShiftJis,
                number_overflow => NumberOverflow,
                nan_infinity => NanInfinity,
                impossible_date => ImpossibleDate,
                empty => Empty,
                wrong_format => WrongFormat);
        }
    };
    (@cases $module:ident, $target:expr, $($test:ident => $case:ident),*) => {
        $(
            #[test]
            fn $test() {
                run(stringify!($module), stringify!($test), $target, Case::$case);
            }
        )*
    };
}

matrix_row!(fhir_json, Target::FhirJson);
matrix_row!(fhir_ndjson, Target::FhirNdjson);
matrix_row!(apple_xml, Target::AppleXml);
matrix_row!(apple_zip, Target::AppleZip);
matrix_row!(kenshin_cda, Target::KenshinCda);
matrix_row!(kenshin_archive, Target::KenshinArchive);
matrix_row!(myna_expense_csv, Target::MynaExpenseCsv);
matrix_row!(device_csv, Target::DeviceCsv);
matrix_row!(takeout_json, Target::TakeoutJson);
matrix_row!(takeout_zip, Target::TakeoutZip);
matrix_row!(health_connect, Target::HealthConnect);
matrix_row!(mapping_file, Target::MappingFile);
matrix_row!(mapped_payload, Target::MappedPayload);
matrix_row!(consent_file, Target::ConsentFile);
matrix_row!(pseudonymise_rules, Target::PseudonymiseRules);

/// Every template reads cleanly with its good values, so the cases corrupt something that works.
#[test]
fn every_template_reads_cleanly() {
    for t in Target::ALL {
        let got = t.run(&t.input(&[])[..], &ReadOptions::default());
        match got {
            Ok(Some(r)) => {
                assert!(r.is_balanced(), "{t:?}: {r:?}");
                assert_eq!(r.skipped_total(), 0, "{t:?}: {r:?}");
                assert!(r.converted >= 1, "{t:?}: {r:?}");
            }
            Ok(None) => {}
            Err(e) => panic!("{t:?}: template does not read: {e}"),
        }
    }
}
