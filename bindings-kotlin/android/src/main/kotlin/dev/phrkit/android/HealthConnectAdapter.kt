// Health Connect → phrkit samples. Android-only source set: it needs androidx.health.connect, which the
// JVM build does not have. NOT COMPILED in this repository's CI (no Android SDK there); see ../../README.md.
//
// The adapter only reads fields and picks units; every rule (ranges, whole steps, systolic ≥ diastolic …)
// is applied by phrkit when `samplesToDataset` converts the batch, and failures come back per sample.
package dev.phrkit.android

import androidx.health.connect.client.records.ActiveCaloriesBurnedRecord
import androidx.health.connect.client.records.BasalMetabolicRateRecord
import androidx.health.connect.client.records.BloodGlucoseRecord
import androidx.health.connect.client.records.BloodPressureRecord
import androidx.health.connect.client.records.BodyFatRecord
import androidx.health.connect.client.records.BodyTemperatureRecord
import androidx.health.connect.client.records.DistanceRecord
import androidx.health.connect.client.records.ExerciseSessionRecord
import androidx.health.connect.client.records.FloorsClimbedRecord
import androidx.health.connect.client.records.HeartRateRecord
import androidx.health.connect.client.records.HeightRecord
import androidx.health.connect.client.records.LeanBodyMassRecord
import androidx.health.connect.client.records.NutritionRecord
import androidx.health.connect.client.records.OxygenSaturationRecord
import androidx.health.connect.client.records.Record
import androidx.health.connect.client.records.RespiratoryRateRecord
import androidx.health.connect.client.records.RestingHeartRateRecord
import androidx.health.connect.client.records.SleepSessionRecord
import androidx.health.connect.client.records.StepsRecord
import androidx.health.connect.client.records.Vo2MaxRecord
import androidx.health.connect.client.records.WeightRecord
import dev.phrkit.ffi.SampleBatch
import dev.phrkit.ffi.SleepStageInterval
import dev.phrkit.ffi.SourceDevice
import dev.phrkit.ffi.Timestamp
import dev.phrkit.ffi.Workout
import dev.phrkit.ffi.samplesToDataset
import java.time.Instant
import java.time.ZoneId
import java.time.ZoneOffset
import kotlin.math.roundToLong
import dev.phrkit.ffi.Sample as PhrSample

/** Samples built from Health Connect records, and the record types the adapter has no mapping for. */
data class AdaptedSamples(
    val samples: List<PhrSample>,
    /** Record class simple name → how many records of it were not converted (never dropped silently). */
    val unsupported: Map<String, Int>,
)

/**
 * Maps Health Connect records to phrkit [PhrSample]s, one list per call, for one batch
 * [samplesToDataset] call. Kinds are sent as PGHD codes (`stepCount` …): phrkit's kind table has no Health
 * Connect identifiers.
 */
object HealthConnectAdapter {
    /** Converts the records it knows; counts the others by type in [AdaptedSamples.unsupported]. */
    fun toSamples(records: List<Record>): AdaptedSamples {
        val out = ArrayList<PhrSample>(records.size)
        val unsupported = HashMap<String, Int>()
        for (r in records) {
            val before = out.size
            adapt(r, out)
            if (out.size == before && !isEmptyButKnown(r)) {
                val name = r::class.java.simpleName
                unsupported[name] = (unsupported[name] ?: 0) + 1
            }
        }
        return AdaptedSamples(out, unsupported)
    }

    /** Adapts and converts in one go. */
    fun toBatch(records: List<Record>): Pair<SampleBatch, Map<String, Int>> {
        val adapted = toSamples(records)
        return samplesToDataset(adapted.samples) to adapted.unsupported
    }

    // A heart-rate series without samples or a nutrition entry without energy yields no sample by design.
    private fun isEmptyButKnown(r: Record): Boolean =
        (r is HeartRateRecord && r.samples.isEmpty()) || (r is NutritionRecord && r.energy == null)

    private fun adapt(r: Record, out: MutableList<PhrSample>) {
        when (r) {
            is StepsRecord -> out += interval(r, "stepCount", r.startTime, r.startZoneOffset, r.endTime, r.endZoneOffset, r.count.toDouble(), "{steps}")
            is DistanceRecord -> out += interval(r, "distanceWalkingRunning", r.startTime, r.startZoneOffset, r.endTime, r.endZoneOffset, r.distance.inMeters, "m")
            is ActiveCaloriesBurnedRecord -> out += interval(r, "activeEnergyBurned", r.startTime, r.startZoneOffset, r.endTime, r.endZoneOffset, r.energy.inKilocalories, "kcal")
            is FloorsClimbedRecord -> out += interval(r, "flightsClimbed", r.startTime, r.startZoneOffset, r.endTime, r.endZoneOffset, r.floors, "1")
            is NutritionRecord -> r.energy?.let {
                out += interval(r, "dietaryEnergyConsumed", r.startTime, r.startZoneOffset, r.endTime, r.endZoneOffset, it.inKilocalories, "kcal")
            }
            is HeartRateRecord -> r.samples.forEachIndexed { i, s ->
                // One Health Connect record holds a series: each point gets the record id + its index.
                out += instant(r, "heartRate", s.time, r.startZoneOffset, s.beatsPerMinute.toDouble(), "/min")
                    .let { it.copy(identifier = it.identifier?.let { id -> "$id#$i" }) }
            }
            is RestingHeartRateRecord -> out += instant(r, "restingHeartRate", r.time, r.zoneOffset, r.beatsPerMinute.toDouble(), "/min")
            is RespiratoryRateRecord -> out += instant(r, "respiratoryRate", r.time, r.zoneOffset, r.rate, "/min")
            is OxygenSaturationRecord -> out += instant(r, "oxygenSaturation", r.time, r.zoneOffset, r.percentage.value, "%")
            is BodyTemperatureRecord -> out += instant(r, "bodyTemperature", r.time, r.zoneOffset, r.temperature.inCelsius, "Cel")
            is WeightRecord -> out += instant(r, "bodyMass", r.time, r.zoneOffset, r.weight.inKilograms, "kg")
            is HeightRecord -> out += instant(r, "height", r.time, r.zoneOffset, centi(r.height.inMeters), "cm")
            is BodyFatRecord -> out += instant(r, "bodyFatPercentage", r.time, r.zoneOffset, r.percentage.value, "%")
            is LeanBodyMassRecord -> out += instant(r, "leanBodyMass", r.time, r.zoneOffset, r.mass.inKilograms, "kg")
            is BloodGlucoseRecord -> out += instant(r, "bloodGlucose", r.time, r.zoneOffset, r.level.inMilligramsPerDeciliter, "mg/dL")
            is Vo2MaxRecord -> out += instant(r, "vo2Max", r.time, r.zoneOffset, r.vo2MillilitersPerMinuteKilogram, "mL/(kg.min)")
            is BasalMetabolicRateRecord -> out += instant(r, "basalEnergyBurned", r.time, r.zoneOffset, r.basalMetabolicRate.inKilocaloriesPerDay, "kcal/d")
            is BloodPressureRecord -> out += instant(r, "bloodPressure", r.time, r.zoneOffset, r.systolic.inMillimetersOfMercury, "mm[Hg]")
                .copy(diastolic = r.diastolic.inMillimetersOfMercury)
            is SleepSessionRecord -> out += sleep(r)
            is ExerciseSessionRecord -> out += interval(r, "workout", r.startTime, r.startZoneOffset, r.endTime, r.endZoneOffset, null, "")
                .copy(workout = Workout(activity = "healthconnect-exercise-type:${r.exerciseType}", duration = null, energy = null, distance = null))
            else -> Unit
        }
    }

    /** Metres → centimetres, rounded to 9 decimals so binary noise (1.715 * 100) does not reach the record. */
    private fun centi(meters: Double): Double = (meters * 100.0 * 1e9).roundToLong() / 1e9

    /** The offset Health Connect stored, or the device zone's offset at that instant when it stored none. */
    private fun offset(at: Instant, stored: ZoneOffset?): Int =
        (stored ?: ZoneId.systemDefault().rules.getOffset(at)).totalSeconds

    private fun base(r: Record, kind: String, start: Instant, startOffset: ZoneOffset?, end: Instant, endOffset: ZoneOffset?, value: Double?, unit: String): PhrSample {
        val device = r.metadata.device?.let { SourceDevice(name = null, manufacturer = it.manufacturer, model = it.model, hardware = null, software = null) }
        val startSeconds = offset(start, startOffset)
        val endSeconds = offset(end, endOffset)
        return PhrSample(
            kind = kind,
            startEpochMs = start.toEpochMilli(),
            endEpochMs = end.toEpochMilli(),
            utcOffsetSeconds = startSeconds,
            endUtcOffsetSeconds = if (endSeconds != startSeconds) endSeconds else null,
            value = value,
            unit = unit,
            sourceName = r.metadata.dataOrigin.packageName,
            device = device,
            identifier = r.metadata.id.ifEmpty { null },
        )
    }

    private fun interval(r: Record, kind: String, start: Instant, startOffset: ZoneOffset?, end: Instant, endOffset: ZoneOffset?, value: Double?, unit: String) =
        base(r, kind, start, startOffset, end, endOffset, value, unit)

    private fun instant(r: Record, kind: String, time: Instant, zoneOffset: ZoneOffset?, value: Double, unit: String) =
        base(r, kind, time, zoneOffset, time, zoneOffset, value, unit)

    private fun sleep(r: SleepSessionRecord): PhrSample {
        val stages = r.stages.map {
            SleepStageInterval(
                stage = stageCode(it.stage),
                start = Timestamp(it.startTime.toEpochMilli(), offset(it.startTime, r.startZoneOffset), 0u),
                end = Timestamp(it.endTime.toEpochMilli(), offset(it.endTime, r.endZoneOffset), 0u),
            )
        }.ifEmpty {
            // A session written without stages: one "asleep, stage unknown" stage over the whole session.
            listOf(
                SleepStageInterval(
                    stage = "asleepUnspecified",
                    start = Timestamp(r.startTime.toEpochMilli(), offset(r.startTime, r.startZoneOffset), 0u),
                    end = Timestamp(r.endTime.toEpochMilli(), offset(r.endTime, r.endZoneOffset), 0u),
                ),
            )
        }
        return interval(r, "sleepEpisode", r.startTime, r.startZoneOffset, r.endTime, r.endZoneOffset, null, "")
            .copy(sleepStages = stages)
    }

    /** Health Connect stage constants → phrkit stage codes. */
    private fun stageCode(stage: Int): String = when (stage) {
        SleepSessionRecord.STAGE_TYPE_AWAKE, SleepSessionRecord.STAGE_TYPE_AWAKE_IN_BED -> "awake"
        SleepSessionRecord.STAGE_TYPE_SLEEPING -> "asleepUnspecified"
        SleepSessionRecord.STAGE_TYPE_OUT_OF_BED -> "outOfBed"
        SleepSessionRecord.STAGE_TYPE_LIGHT -> "asleepCore"
        SleepSessionRecord.STAGE_TYPE_DEEP -> "asleepDeep"
        SleepSessionRecord.STAGE_TYPE_REM -> "asleepREM"
        // STAGE_TYPE_UNKNOWN and future values: in bed, not counted as asleep (the safe reading).
        else -> "inBed"
    }
}
