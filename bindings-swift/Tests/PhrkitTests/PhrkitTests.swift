// XCTest suite of the Swift bindings. NEVER RUN in this repository's CI (Linux, no Swift toolchain): run it
// on a Mac with `./build-xcframework.sh && swift test`. It mirrors the Kotlin JVM tests, which do run.
// All data is synthetic.
import XCTest
@testable import Phrkit
#if canImport(HealthKit)
import HealthKit
import PhrkitHealthKit
#endif

private let jst: Int32 = 9 * 3600
private let t0: Int64 = 1_740_693_660_000 // 2025-02-28T07:01:00+09:00
private let minute: Int64 = 60_000

private func sample(_ kind: String, _ value: Double?, _ unit: String, start: Int64 = t0, end: Int64? = nil) -> Sample {
    Sample(kind: kind, startEpochMs: start, endEpochMs: end ?? start, utcOffsetSeconds: jst,
           value: value, unit: unit, sourceName: "com.example.fit")
}

private func quantity(_ r: PhrRecord) -> Quantity? {
    guard case let .measurement(m) = r, case let .quantity(q) = m.value else { return nil }
    return q
}

final class PhrkitTests: XCTestCase {
    func testVersionKindsAndFormats() throws {
        XCTAssertEqual(try phrkitVersion(), "0.1.0")
        let steps = try knownKinds().first { $0.code == "stepCount" }
        XCTAssertEqual(steps?.healthkit, "HKQuantityTypeIdentifierStepCount")
        XCTAssertEqual(try supportedFormats(), [
            "fhir-json", "fhir-ndjson", "apple-health-xml", "apple-health-zip", "device-csv",
            "takeout-json", "takeout-zip", "health-connect", "kenshin-cda-xml", "kenshin-archive", "myna-expense-csv", "mapped",
        ])
    }

    func testBatchReportsBadSamplesByIndex() throws {
        var bp = sample("bloodPressure", 128, "mmHg")
        bp.diastolic = 84
        let batch = try samplesToDataset(samples: [
            sample("stepCount", 812, "steps", end: t0 + 15 * minute),
            bp,
            sample("stepCount", 1.5, "steps"),
            sample("noSuchKind", 1, "kg"),
        ])
        XCTAssertEqual(batch.errors.map { $0.index }, [2, 3])
        XCTAssertEqual(batch.errors.map { $0.code }, ["not-whole", "unknown-kind"])
        let report = try batch.dataset.report()
        XCTAssertEqual(report.itemsRead, 4)
        XCTAssertTrue(report.balanced)
        let records = try batch.dataset.records()
        XCTAssertEqual(quantity(records[0]), Quantity(value: "812", unit: "{steps}"))
        guard case let .measurement(m) = records[1] else { return XCTFail("measurement expected") }
        XCTAssertEqual(m.value, .bloodPressure(systolic: "128", diastolic: "84"))
    }

    func testLargeBatchOf100000Samples() throws {
        let n = 100_000
        let samples = (0..<n).map { i -> Sample in
            let t = t0 + Int64(i) * minute
            return i % 2 == 0
                ? sample("stepCount", i % 1000 == 0 ? -1 : Double(i % 200), "steps", start: t, end: t + minute)
                : sample("heartRate", Double(50 + i % 70), "/min", start: t)
        }
        let batch = try samplesToDataset(samples: samples)
        XCTAssertEqual(batch.errors.count, 100)
        XCTAssertEqual(try batch.dataset.recordCount(), UInt64(n - 100))
        XCTAssertTrue(try batch.dataset.report().balanced)
    }

    func testNdjsonRoundTrip() throws {
        let batch = try samplesToDataset(samples: [sample("bodyTemperature", 36.6, "℃")])
        let back = try readBytes(bytes: try batch.dataset.toFhir(format: .ndjson), options: ReadOptions())
        let measurements = try back.records().filter { if case .measurement = $0 { return true } else { return false } }
        XCTAssertEqual(measurements, try batch.dataset.records())
        XCTAssertEqual(quantity(measurements[0]), Quantity(value: "36.6", unit: "Cel"))
    }

    func testErrorsAreTypedWithCodeAndLocation() {
        XCTAssertThrowsError(try readFile(path: "/nonexistent/phrkit.json", options: ReadOptions())) {
            guard case let PhrkitError.Io(code, _, _) = $0 else { return XCTFail("\($0)") }
            XCTAssertEqual(code, "not-found")
        }
        XCTAssertThrowsError(try readBytes(bytes: Data("hello".utf8), options: ReadOptions())) {
            guard case PhrkitError.UnknownFormat = $0 else { return XCTFail("\($0)") }
        }
        XCTAssertThrowsError(try Dataset.fromRecords(records: [.unsupported(typeName: "checkup")])) {
            guard case let PhrkitError.ApiMisuse(code, location, _) = $0 else { return XCTFail("\($0)") }
            XCTAssertEqual(code, "unsupported-record")
            XCTAssertEqual(location, "#/0")
        }
    }

    // ---------------------------------------------------------------- policy and マイナポータル families
    // Mirrors bindings-kotlin/src/test/kotlin/dev/phrkit/ffi/PolicyAndFamiliesTest.kt.

    private func fixture(_ path: String) throws -> Data {
        // Tests/PhrkitTests/PhrkitTests.swift → repository root → fixtures/
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        return try Data(contentsOf: root.appendingPathComponent("fixtures").appendingPathComponent(path))
    }

    private func lifelog() throws -> Dataset { try readBytes(bytes: try fixture("samples/lifelog.ndjson"), options: ReadOptions()) }

    private func consent() throws -> Consent {
        try Consent.fromFhirJson(json: String(decoding: try fixture("consent/research-partner.json"), as: UTF8.self))
    }

    private func request(_ recipient: String = "Organization/research-partner") -> ConsentRequest {
        ConsentRequest(recipient: recipient,
                       purpose: Coding(system: "http://terminology.hl7.org/CodeSystem/v3-ActReason", code: "HRESCH", display: nil),
                       at: Timestamp(epochMs: 1_748_746_800_000, utcOffsetSeconds: jst, nanosInMs: 0)) // 2025-06-01 12:00 JST
    }

    private let secrets = ["見本", "花子", "ミホン", "ハナコ", "06139991", "100-0001", "1980-04-01"]

    func testConsentDecisionsAndExport() throws {
        let ds = try lifelog()
        let c = try consent()
        XCTAssertEqual(try c.id(), "c1")
        let d = try decideConsent(dataset: ds, consents: [c], request: request())
        XCTAssertEqual(UInt64(d.count), try ds.recordCount())
        XCTAssertEqual(d[0], ConsentDecision(permit: false, rule: "Consent/c1#provision", reason: "denied-by-provision"))
        XCTAssertTrue(d.contains { $0.permit && $0.rule == "Consent/c1#provision.provision[0]" })
        XCTAssertTrue(try decideConsent(dataset: ds, consents: [], request: request()).allSatisfy { $0.reason == "no-consent" })

        let e = try exportWithConsent(dataset: ds, consents: [c], request: request(), format: .ndjson, mode: .enforce)
        XCTAssertEqual(e.permitted + e.denied, try ds.recordCount())
        XCTAssertTrue(e.auditEventJson.contains("AuditEvent"))
        for s in secrets { XCTAssertFalse(e.fhir.contains(s), s) }
        XCTAssertThrowsError(try exportWithConsent(dataset: ds, consents: [], request: request(), format: .ndjson, mode: .enforce)) {
            guard case let PhrkitError.ConsentDenied(code, _, _) = $0 else { return XCTFail("\($0)") }
            XCTAssertEqual(code, "consent-denied")
        }
        let own = try exportWithConsent(dataset: ds, consents: [], request: request("Patient/self"), format: .ndjson, mode: .dangerLocalNoConsent)
        XCTAssertEqual(own.denied, 0)
    }

    func testPseudonymiseRemovesIdentifiersAndRefusesShortKeys() throws {
        let out = try pseudonymise(dataset: try lifelog(), key: Data(repeating: 7, count: 32), method: .pseudonymised,
                                   options: PseudonymiseOptions(referenceDate: "2025-06-01"), format: .ndjson)
        for s in secrets { XCTAssertFalse(out.fhir.contains(s), s) }
        XCTAssertTrue(out.fhir.contains("PSEUDED"))
        XCTAssertThrowsError(try pseudonymise(dataset: try lifelog(), key: Data(repeating: 7, count: 31), method: .pseudonymised,
                                              options: PseudonymiseOptions(referenceDate: "2025-06-01"), format: .ndjson)) {
            guard case let PhrkitError.Key(code, _, reason) = $0 else { return XCTFail("\($0)") }
            XCTAssertEqual(code, "key")
            XCTAssertTrue(reason.contains("31 bytes"))
        }
    }

    func testMynaPortalFamiliesArriveAsSummaries() throws {
        let ds = try readBytes(bytes: try fixture("myna_portal/expense.csv"), options: ReadOptions())
        let expenses = try ds.records().compactMap { r -> ExpenseSummary? in
            if case let .expense(e) = r { return e } else { return nil }
        }
        XCTAssertEqual(expenses.count, 3)
        XCTAssertEqual(expenses.reduce(0) { $0 + $1.totalYen }, 12_340)
        let imm = try readMapped(bytes: try fixture("myna_portal/immunization.csv"),
                                 mappingJson: String(decoding: try fixture("myna_portal/immunization_mapping.json"), as: UTF8.self),
                                 options: ReadOptions())
        let dates = try imm.records().compactMap { r -> String? in
            if case let .immunization(i) = r { return i.occurred } else { return nil }
        }
        XCTAssertEqual(dates, ["2025-10-01", "2024-06-15"])
    }

    func testPanicBecomesInternalError() throws {
        XCTAssertThrowsError(try testOnlyTriggerPanic()) {
            guard case let PhrkitError.Internal(code, _, _) = $0 else { return XCTFail("\($0)") }
            XCTAssertEqual(code, "panic")
        }
        XCTAssertEqual(try phrkitVersion(), "0.1.0")
    }

    #if canImport(HealthKit)
    func testHealthKitAdapterConvertsQuantityCategoryAndCorrelation() throws {
        let start = Date(timeIntervalSince1970: TimeInterval(t0) / 1000)
        let tokyo = [HKMetadataKeyTimeZone: "Asia/Tokyo"]
        let steps = HKQuantitySample(type: HKQuantityType(.stepCount), quantity: HKQuantity(unit: .count(), doubleValue: 812),
                                     start: start, end: start.addingTimeInterval(900), metadata: tokyo)
        let spo2 = HKQuantitySample(type: HKQuantityType(.oxygenSaturation), quantity: HKQuantity(unit: .percent(), doubleValue: 0.97),
                                    start: start, end: start, metadata: tokyo)
        let sleep = HKCategorySample(type: HKCategoryType(.sleepAnalysis), value: 4,
                                     start: start, end: start.addingTimeInterval(5400), metadata: tokyo)
        let mmHg = HKUnit.millimeterOfMercury()
        let sys = HKQuantitySample(type: HKQuantityType(.bloodPressureSystolic), quantity: HKQuantity(unit: mmHg, doubleValue: 128), start: start, end: start)
        let dia = HKQuantitySample(type: HKQuantityType(.bloodPressureDiastolic), quantity: HKQuantity(unit: mmHg, doubleValue: 84), start: start, end: start)
        let bp = HKCorrelation(type: HKCorrelationType(.bloodPressure), start: start, end: start, objects: [sys, dia], metadata: tokyo)

        let (batch, unsupported) = try HealthKitAdapter.batch(from: [steps, spo2, sleep, bp])
        XCTAssertTrue(unsupported.isEmpty)
        XCTAssertEqual(batch.errors, [])
        let records = try batch.dataset.records()
        XCTAssertEqual(quantity(records[0]), Quantity(value: "812", unit: "{steps}"))
        XCTAssertEqual(quantity(records[1]), Quantity(value: "97", unit: "%"))
        guard case let .measurement(s) = records[2], case let .sleep(stages) = s.value else { return XCTFail() }
        XCTAssertEqual(stages.map { $0.stage }, ["asleepDeep"])
        guard case let .measurement(m) = records[3] else { return XCTFail() }
        XCTAssertEqual(m.value, .bloodPressure(systolic: "128", diastolic: "84"))
        guard case let .instant(at) = m.effective else { return XCTFail() }
        XCTAssertEqual(at.utcOffsetSeconds, jst)
    }
    #endif
}
