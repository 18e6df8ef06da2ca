// HAND-WRITTEN STAND-INS of androidx.health.connect.client (1.1) for the stub check only — see ../../pom.xml.
// Only the members HealthConnectAdapter reads; signatures follow the public API as documented, unverified here.

@file:Suppress("unused")
package androidx.health.connect.client.records

import androidx.health.connect.client.records.metadata.Metadata
import androidx.health.connect.client.units.*
import java.time.Instant
import java.time.ZoneOffset

interface Record { val metadata: Metadata }
class StepsRecord(val startTime: Instant, val startZoneOffset: ZoneOffset?, val endTime: Instant, val endZoneOffset: ZoneOffset?, val count: Long, override val metadata: Metadata) : Record
class DistanceRecord(val startTime: Instant, val startZoneOffset: ZoneOffset?, val endTime: Instant, val endZoneOffset: ZoneOffset?, val distance: Length, override val metadata: Metadata) : Record
class ActiveCaloriesBurnedRecord(val startTime: Instant, val startZoneOffset: ZoneOffset?, val endTime: Instant, val endZoneOffset: ZoneOffset?, val energy: Energy, override val metadata: Metadata) : Record
class FloorsClimbedRecord(val startTime: Instant, val startZoneOffset: ZoneOffset?, val endTime: Instant, val endZoneOffset: ZoneOffset?, val floors: Double, override val metadata: Metadata) : Record
class NutritionRecord(val startTime: Instant, val startZoneOffset: ZoneOffset?, val endTime: Instant, val endZoneOffset: ZoneOffset?, val energy: Energy?, override val metadata: Metadata) : Record
class HeartRateRecord(val startTime: Instant, val startZoneOffset: ZoneOffset?, val endTime: Instant, val endZoneOffset: ZoneOffset?, val samples: List<Sample>, override val metadata: Metadata) : Record {
    class Sample(val time: Instant, val beatsPerMinute: Long)
}
class RestingHeartRateRecord(val time: Instant, val zoneOffset: ZoneOffset?, val beatsPerMinute: Long, override val metadata: Metadata) : Record
class RespiratoryRateRecord(val time: Instant, val zoneOffset: ZoneOffset?, val rate: Double, override val metadata: Metadata) : Record
class OxygenSaturationRecord(val time: Instant, val zoneOffset: ZoneOffset?, val percentage: Percentage, override val metadata: Metadata) : Record
class BodyTemperatureRecord(val time: Instant, val zoneOffset: ZoneOffset?, val temperature: Temperature, override val metadata: Metadata) : Record
class WeightRecord(val time: Instant, val zoneOffset: ZoneOffset?, val weight: Mass, override val metadata: Metadata) : Record
class HeightRecord(val time: Instant, val zoneOffset: ZoneOffset?, val height: Length, override val metadata: Metadata) : Record
class BodyFatRecord(val time: Instant, val zoneOffset: ZoneOffset?, val percentage: Percentage, override val metadata: Metadata) : Record
class LeanBodyMassRecord(val time: Instant, val zoneOffset: ZoneOffset?, val mass: Mass, override val metadata: Metadata) : Record
class BloodGlucoseRecord(val time: Instant, val zoneOffset: ZoneOffset?, val level: BloodGlucose, override val metadata: Metadata) : Record
class Vo2MaxRecord(val time: Instant, val zoneOffset: ZoneOffset?, val vo2MillilitersPerMinuteKilogram: Double, override val metadata: Metadata) : Record
class BasalMetabolicRateRecord(val time: Instant, val zoneOffset: ZoneOffset?, val basalMetabolicRate: Power, override val metadata: Metadata) : Record
class BloodPressureRecord(val time: Instant, val zoneOffset: ZoneOffset?, val systolic: Pressure, val diastolic: Pressure, override val metadata: Metadata) : Record
class ExerciseSessionRecord(val startTime: Instant, val startZoneOffset: ZoneOffset?, val endTime: Instant, val endZoneOffset: ZoneOffset?, val exerciseType: Int, override val metadata: Metadata) : Record
class SleepSessionRecord(val startTime: Instant, val startZoneOffset: ZoneOffset?, val endTime: Instant, val endZoneOffset: ZoneOffset?, val stages: List<Stage>, override val metadata: Metadata) : Record {
    class Stage(val startTime: Instant, val endTime: Instant, val stage: Int)
    companion object {
        const val STAGE_TYPE_UNKNOWN = 0; const val STAGE_TYPE_AWAKE = 1; const val STAGE_TYPE_SLEEPING = 2
        const val STAGE_TYPE_OUT_OF_BED = 3; const val STAGE_TYPE_LIGHT = 4; const val STAGE_TYPE_DEEP = 5
        const val STAGE_TYPE_REM = 6; const val STAGE_TYPE_AWAKE_IN_BED = 7
    }
}
