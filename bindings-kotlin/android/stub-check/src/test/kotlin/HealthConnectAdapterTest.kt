// Runs HealthConnectAdapter on stand-in Health Connect records (see ../../pom.xml for what this proves and
// what it does not) and checks the phrkit measurements that come out. Synthetic data.
import androidx.health.connect.client.records.BloodPressureRecord
import androidx.health.connect.client.records.ExerciseSessionRecord
import androidx.health.connect.client.records.FloorsClimbedRecord
import androidx.health.connect.client.records.HeartRateRecord
import androidx.health.connect.client.records.HeightRecord
import androidx.health.connect.client.records.OxygenSaturationRecord
import androidx.health.connect.client.records.Record
import androidx.health.connect.client.records.SleepSessionRecord
import androidx.health.connect.client.records.StepsRecord
import androidx.health.connect.client.records.metadata.DataOrigin
import androidx.health.connect.client.records.metadata.Device
import androidx.health.connect.client.records.metadata.Metadata
import androidx.health.connect.client.units.Length
import androidx.health.connect.client.units.Percentage
import androidx.health.connect.client.units.Pressure
import dev.phrkit.android.HealthConnectAdapter
import dev.phrkit.ffi.Effective
import dev.phrkit.ffi.MeasurementValue
import dev.phrkit.ffi.PhrMeasurement
import dev.phrkit.ffi.PhrRecord
import dev.phrkit.ffi.Quantity
import dev.phrkit.ffi.SampleError
import dev.phrkit.ffi.Timestamp
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Test
import java.time.Instant
import java.time.ZoneOffset

class HealthConnectAdapterTest {
    private val md = Metadata("hc-1", DataOrigin("com.example.fit"), Device("Example", "Band 2", 0))
    private val t = Instant.ofEpochMilli(1_740_693_660_000L) // 2025-02-28T07:01:00+09:00
    private val jst = ZoneOffset.ofHours(9)
    private val ms = t.toEpochMilli()

    private fun PhrRecord.m(): PhrMeasurement = (this as PhrRecord.Measurement).measurement

    @Test
    fun `Health Connect records become phrkit measurements`() {
        val records = listOf<Record>(
            StepsRecord(t, jst, t.plusSeconds(900), jst, 812, md),
            HeartRateRecord(t, jst, t.plusSeconds(60), jst, listOf(HeartRateRecord.Sample(t, 70), HeartRateRecord.Sample(t.plusSeconds(30), 72)), md),
            BloodPressureRecord(t, jst, Pressure(128.0), Pressure(84.0), md),
            HeightRecord(t, jst, Length(1.715), md),
            OxygenSaturationRecord(t, null, Percentage(97.0), md),
            SleepSessionRecord(t, jst, t.plusSeconds(3600), jst, listOf(SleepSessionRecord.Stage(t, t.plusSeconds(3600), SleepSessionRecord.STAGE_TYPE_DEEP)), md),
            ExerciseSessionRecord(t, jst, t.plusSeconds(1800), jst, 56, md),
            FloorsClimbedRecord(t, jst, t.plusSeconds(60), jst, 3.0, md),
            HeartRateRecord(t, jst, t, jst, emptyList(), md), // an empty series: no sample, not "unsupported"
        )
        val (batch, unsupported) = HealthConnectAdapter.toBatch(records)
        assertEquals(emptyMap<String, Int>(), unsupported)
        assertEquals(emptyList<SampleError>(), batch.errors)
        batch.dataset.use { ds ->
            val m = ds.records().map { it.m() }
            assertEquals(9, m.size)
            assertEquals("stepCount", m[0].kind)
            assertEquals(MeasurementValue.Quantity(Quantity("812", "{steps}")), m[0].value)
            assertEquals(Effective.Period(Timestamp(ms, 32400, 0u), Timestamp(ms + 900_000, 32400, 0u)), m[0].effective)
            assertEquals(listOf("hc-1#0", "hc-1#1"), listOf(m[1].identifier, m[2].identifier))
            assertEquals(MeasurementValue.Quantity(Quantity("72", "/min")), m[2].value)
            assertEquals(MeasurementValue.BloodPressure("128", "84"), m[3].value)
            assertEquals(MeasurementValue.Quantity(Quantity("171.5", "cm")), m[4].value)
            assertEquals(MeasurementValue.Quantity(Quantity("97", "%")), m[5].value)
            val sleep = m[6].value as MeasurementValue.Sleep
            assertEquals(listOf("asleepDeep"), sleep.stages.map { it.stage })
            assertEquals("healthconnect-exercise-type:56", (m[7].value as MeasurementValue.Workout).workout.activity)
            assertEquals(MeasurementValue.Quantity(Quantity("3", "1")), m[8].value)
            assertEquals("Example", m[0].source?.device?.manufacturer)
        }
    }
}
