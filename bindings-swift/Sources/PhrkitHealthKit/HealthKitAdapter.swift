// HealthKit → phrkit samples. NOT COMPILED in this repository's CI (no Swift toolchain there); see README.md.
//
// The adapter reads sample fields and picks a unit per type; every rule (ranges, whole steps,
// systolic ≥ diastolic …) is applied by phrkit when `samplesToDataset` converts the batch, and failures come
// back per sample by index. Kinds are sent as HealthKit identifiers, which phrkit's kind table knows; an
// identifier it has no row for is kept under the HealthKit code system.
#if canImport(HealthKit)
import Foundation
import HealthKit
import Phrkit

public enum HealthKitAdapter {
    /// Unit to read a quantity type in, the spelling phrkit accepts for it, and a factor
    /// (HealthKit's percent unit is a fraction 0…1; phrkit stores percent 0…100).
    struct UnitRule {
        let unit: HKUnit
        let spelling: String
        let factor: Double
    }

    static let rules: [HKQuantityTypeIdentifier: UnitRule] = [
        // `steps`, not `count`: phrkit reads a bare `count` as `{count}`, which step counts do not accept.
        .stepCount: UnitRule(unit: .count(), spelling: "steps", factor: 1),
        .distanceWalkingRunning: UnitRule(unit: .meter(), spelling: "m", factor: 1),
        .activeEnergyBurned: UnitRule(unit: .kilocalorie(), spelling: "kcal", factor: 1),
        .basalEnergyBurned: UnitRule(unit: .kilocalorie(), spelling: "kcal", factor: 1),
        .dietaryEnergyConsumed: UnitRule(unit: .kilocalorie(), spelling: "kcal", factor: 1),
        .flightsClimbed: UnitRule(unit: .count(), spelling: "1", factor: 1),
        .heartRate: UnitRule(unit: HKUnit.count().unitDivided(by: .minute()), spelling: "/min", factor: 1),
        .restingHeartRate: UnitRule(unit: HKUnit.count().unitDivided(by: .minute()), spelling: "/min", factor: 1),
        .walkingHeartRateAverage: UnitRule(unit: HKUnit.count().unitDivided(by: .minute()), spelling: "/min", factor: 1),
        .heartRateVariabilitySDNN: UnitRule(unit: .secondUnit(with: .milli), spelling: "ms", factor: 1),
        .oxygenSaturation: UnitRule(unit: .percent(), spelling: "%", factor: 100),
        .respiratoryRate: UnitRule(unit: HKUnit.count().unitDivided(by: .minute()), spelling: "/min", factor: 1),
        .bodyTemperature: UnitRule(unit: .degreeCelsius(), spelling: "Cel", factor: 1),
        .bodyMass: UnitRule(unit: .gramUnit(with: .kilo), spelling: "kg", factor: 1),
        .height: UnitRule(unit: .meterUnit(with: .centi), spelling: "cm", factor: 1),
        .bodyMassIndex: UnitRule(unit: .count(), spelling: "kg/m2", factor: 1),
        .bodyFatPercentage: UnitRule(unit: .percent(), spelling: "%", factor: 100),
        .leanBodyMass: UnitRule(unit: .gramUnit(with: .kilo), spelling: "kg", factor: 1),
        .waistCircumference: UnitRule(unit: .meterUnit(with: .centi), spelling: "cm", factor: 1),
        .bloodGlucose: UnitRule(unit: HKUnit(from: "mg/dL"), spelling: "mg/dL", factor: 1),
        .vo2Max: UnitRule(unit: HKUnit(from: "ml/kg*min"), spelling: "mL/(kg.min)", factor: 1),
    ]

    /// Samples the adapter converted, and the type identifiers it could not (counted, never dropped silently).
    public struct Adapted {
        public var samples: [Sample] = []
        public var unsupported: [String: Int] = [:]
    }

    /// Converts quantity, category and correlation samples; anything else is counted in `unsupported`.
    public static func samples(from objects: [HKSample]) -> Adapted {
        var out = Adapted()
        out.samples.reserveCapacity(objects.count)
        for object in objects {
            let converted: Sample?
            switch object {
            case let q as HKQuantitySample: converted = sample(from: q)
            case let c as HKCategorySample: converted = sample(from: c)
            case let c as HKCorrelation: converted = sample(from: c)
            default: converted = nil
            }
            if let s = converted {
                out.samples.append(s)
            } else {
                out.unsupported[object.sampleType.identifier, default: 0] += 1
            }
        }
        return out
    }

    /// Adapts and converts in one FFI call.
    public static func batch(from objects: [HKSample]) throws -> (SampleBatch, [String: Int]) {
        let adapted = samples(from: objects)
        return (try samplesToDataset(samples: adapted.samples), adapted.unsupported)
    }

    /// A quantity sample; `nil` for a quantity type phrkit has no unit rule for.
    public static func sample(from q: HKQuantitySample) -> Sample? {
        let id = HKQuantityTypeIdentifier(rawValue: q.quantityType.identifier)
        guard let rule = rules[id], q.quantity.is(compatibleWith: rule.unit) else { return nil }
        var s = base(q)
        let raw = q.quantity.doubleValue(for: rule.unit)
        // Scaling a fraction adds binary noise (0.57 * 100 = 56.99999999999999): round to 9 decimals.
        s.value = rule.factor == 1 ? raw : (raw * rule.factor * 1e9).rounded() / 1e9
        s.unit = rule.spelling
        return s
    }

    /// A category sample: sleep analysis becomes a one-stage sleep session; other categories keep their
    /// raw value as text under their HealthKit identifier.
    public static func sample(from c: HKCategorySample) -> Sample? {
        var s = base(c)
        if c.categoryType.identifier == HKCategoryTypeIdentifier.sleepAnalysis.rawValue {
            guard let code = sleepStageCode(c.value) else { return nil }
            s.valueText = code
        } else {
            s.valueText = String(c.value)
        }
        return s
    }

    /// A blood-pressure correlation (systolic + diastolic); `nil` for other correlations.
    public static func sample(from c: HKCorrelation) -> Sample? {
        guard c.correlationType.identifier == HKCorrelationTypeIdentifier.bloodPressure.rawValue,
              let sysType = HKObjectType.quantityType(forIdentifier: .bloodPressureSystolic),
              let diaType = HKObjectType.quantityType(forIdentifier: .bloodPressureDiastolic),
              let sys = c.objects(for: sysType).first as? HKQuantitySample,
              let dia = c.objects(for: diaType).first as? HKQuantitySample
        else { return nil }
        let mmHg = HKUnit.millimeterOfMercury()
        var s = base(c)
        s.value = sys.quantity.doubleValue(for: mmHg)
        s.diastolic = dia.quantity.doubleValue(for: mmHg)
        s.unit = "mmHg"
        return s
    }

    /// HKCategoryValueSleepAnalysis raw values → phrkit stage codes (iOS 16 stages included).
    static func sleepStageCode(_ value: Int) -> String? {
        switch value {
        case 0: return "inBed"
        case 1: return "asleepUnspecified" // also the pre-iOS 16 `asleep`
        case 2: return "awake"
        case 3: return "asleepCore"
        case 4: return "asleepDeep"
        case 5: return "asleepREM"
        default: return nil
        }
    }

    /// Offset at `date` of the zone HealthKit recorded (`HKMetadataKeyTimeZone`), else of the device zone.
    static func utcOffset(_ sample: HKSample, at date: Date) -> Int32 {
        let zone = (sample.metadata?[HKMetadataKeyTimeZone] as? String).flatMap(TimeZone.init(identifier:))
            ?? TimeZone.current
        return Int32(zone.secondsFromGMT(for: date))
    }

    static func epochMs(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded())
    }

    static func base(_ s: HKSample) -> Sample {
        let startOffset = utcOffset(s, at: s.startDate)
        let endOffset = utcOffset(s, at: s.endDate)
        let device = s.device.map {
            SourceDevice(name: $0.name, manufacturer: $0.manufacturer, model: $0.model,
                         hardware: $0.hardwareVersion, software: $0.softwareVersion)
        }
        return Sample(
            kind: s.sampleType.identifier,
            startEpochMs: epochMs(s.startDate),
            endEpochMs: epochMs(s.endDate),
            utcOffsetSeconds: startOffset,
            endUtcOffsetSeconds: endOffset == startOffset ? nil : endOffset,
            sourceName: s.sourceRevision.source.name,
            sourceVersion: s.sourceRevision.version,
            device: device,
            identifier: s.uuid.uuidString
        )
    }
}
#endif
