// JVM tests of the generated Kotlin bindings against the host libphrkit_ffi (built by ../test.sh).
// Every exported function and every error variant that can be provoked through the API is exercised here
// (policy calls and the マイナポータル/checkup families in PolicyAndFamiliesTest.kt). All data is synthetic.
package dev.phrkit.ffi

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import java.nio.file.Files

private const val JST = 9 * 3600
private const val T0 = 1_740_693_660_000L // 2025-02-28T07:01:00+09:00
private const val MIN = 60_000L

private fun sample(kind: String, value: Double?, unit: String, start: Long = T0, end: Long = start) =
    Sample(
        kind = kind,
        startEpochMs = start,
        endEpochMs = end,
        utcOffsetSeconds = JST,
        value = value,
        unit = unit,
        sourceName = "com.example.fit",
        device = SourceDevice(manufacturer = "Example", model = "Band 2"),
    )

private fun PhrRecord.measurement(): PhrMeasurement = (this as PhrRecord.Measurement).measurement

private fun quantity(m: PhrMeasurement): Quantity = (m.value as MeasurementValue.Quantity).quantity

class PhrkitFfiTest {
    @Test
    fun `version, kinds and formats describe the library`() {
        assertEquals("0.1.0", phrkitVersion())
        val steps = knownKinds().single { it.code == "stepCount" }
        assertEquals("HKQuantityTypeIdentifierStepCount", steps.healthkit)
        assertEquals(listOf("{steps}"), steps.units)
        val weight = knownKinds().single { it.code == "bodyMass" }
        assertEquals(listOf("kg", "g", "[lb_av]"), weight.units)
        assertEquals(
            listOf(
                "fhir-json", "fhir-ndjson", "apple-health-xml", "apple-health-zip", "device-csv",
                "takeout-json", "takeout-zip", "health-connect", "kenshin-cda-xml", "kenshin-archive", "myna-expense-csv", "mapped",
            ),
            supportedFormats(),
        )
    }

    @Test
    fun `a mixed batch converts good samples and reports bad ones by index`() {
        val samples = listOf(
            sample("stepCount", 812.0, "steps", T0, T0 + 15 * MIN),
            sample("HKQuantityTypeIdentifierHeartRate", 72.5, "count/min"),
            sample("bloodPressure", 128.0, "mmHg").copy(diastolic = 84.0),
            sample("stepCount", 1.5, "steps"), // not a whole number
            sample("noSuchKind", 1.0, "kg"),
            sample("bodyMass", 60.2, "furlong"),
            sample("oxygenSaturation", 101.0, "%"), // above 100 %
            sample("bloodPressure", 80.0, "mmHg").copy(diastolic = 120.0),
            sample("stepCount", 10.0, "steps", T0, T0 - MIN), // ends before it starts
            sample("bodyMass", null, "kg"),
        )
        val batch = samplesToDataset(samples)
        assertEquals(
            listOf(
                3uL to "not-whole", 4uL to "unknown-kind", 5uL to "unknown-unit", 6uL to "above-maximum",
                7uL to "systolic-below-diastolic", 8uL to "end-before-start", 9uL to "missing-value",
            ),
            batch.errors.map { it.index to it.code },
        )
        batch.errors.forEach { assertFalse(it.reason.contains("60.2") || it.reason.contains("101")) }
        batch.dataset.use { ds ->
            assertEquals(3uL, ds.recordCount())
            val report = ds.report()
            assertEquals(10uL, report.itemsRead)
            assertEquals(3uL, report.converted)
            assertTrue(report.balanced)
            assertEquals(1uL, report.skipped["unknown-kind"])
            assertEquals(mapOf("stepCount" to 1uL, "heartRate" to 1uL, "bloodPressure" to 1uL), report.byType)
            assertEquals("#/4", report.issues.single { it.code == "unknown-kind" }.location)

            val (steps, hr, bp) = ds.records().map { it.measurement() }
            assertEquals(Quantity("812", "{steps}"), quantity(steps))
            assertEquals(
                Effective.Period(Timestamp(T0, JST, 0u), Timestamp(T0 + 15 * MIN, JST, 0u)),
                steps.effective,
            )
            assertEquals(Quantity("72.5", "/min"), quantity(hr))
            assertEquals(Effective.Instant(Timestamp(T0, JST, 0u)), hr.effective)
            assertEquals("heartRate", hr.kind)
            assertEquals(MeasurementValue.BloodPressure("128", "84"), bp.value)
            assertEquals(Source("com.example.fit", null, SourceDevice(null, "Example", "Band 2", null, null)), bp.source)
        }
    }

    @Test
    fun `a Health Connect like batch of 100000 samples converts in one call`() {
        val n = 100_000
        val samples = ArrayList<Sample>(n)
        for (i in 0 until n) {
            val t = T0 + i * MIN
            samples += when (i % 4) {
                0 -> sample("stepCount", if (i % 1000 == 0) -1.0 else (i % 200).toDouble(), "steps", t, t + MIN)
                1 -> sample("heartRate", 50.0 + i % 70, "/min", t)
                2 -> sample("bodyMass", 60.0 + (i % 10) / 10.0, "kg", t)
                else -> sample("bloodPressure", 120.0 + i % 20, "mm[Hg]", t).copy(diastolic = 80.0)
            }
        }
        val batch = samplesToDataset(samples)
        // Every 1000th sample (i % 4 == 0 holds for them all) is a negative step count.
        assertEquals(100, batch.errors.size)
        assertEquals((0 until n step 1000).map { it.toULong() }, batch.errors.map { it.index })
        assertTrue(batch.errors.all { it.code == "negative" })
        batch.dataset.use { ds ->
            assertEquals((n - 100).toULong(), ds.recordCount())
            val report = ds.report()
            assertEquals(n.toULong(), report.itemsRead)
            assertTrue(report.balanced)
            assertEquals(100uL, report.skipped["negative"])
            assertEquals((n / 4 - 100).toULong(), report.byType["stepCount"])
            assertEquals((n / 4).toULong(), report.byType["heartRate"])
            assertEquals((n / 4).toULong(), report.byType["bodyMass"])
            assertEquals((n / 4).toULong(), report.byType["bloodPressure"])

            // Sample 1 is heart rate 51 at T0+1min; record 0 is sample 1 because sample 0 failed.
            val first = ds.recordsRange(0uL, 3uL).map { it.measurement() }
            assertEquals(Quantity("51", "/min"), quantity(first[0]))
            assertEquals(Effective.Instant(Timestamp(T0 + MIN, JST, 0u)), first[0].effective)
            assertEquals(Quantity("60.2", "kg"), quantity(first[1]))
            assertEquals(MeasurementValue.BloodPressure("123", "80"), first[2].value)
            val last = ds.recordsRange((n - 101).toULong(), 10uL)
            assertEquals(1, last.size)
            assertEquals(MeasurementValue.BloodPressure("139", "80"), last[0].measurement().value)

            // NDJSON: one anonymous Patient, one Device (all samples share a source), one line per record.
            val lines = ds.toFhirString(OutputFormat.NDJSON).lineSequence().filter { it.isNotEmpty() }.toList()
            assertEquals(n - 100 + 2, lines.size)
            assertEquals(1, lines.count { it.contains("\"resourceType\":\"Patient\"") })
            assertEquals(1, lines.count { it.contains("\"resourceType\":\"Device\"") })
        }
    }

    @Test
    fun `NDJSON written from a dataset reads back to the same records`() {
        val stages = listOf(
            SleepStageInterval("asleepCore", Timestamp(T0, JST, 0u), Timestamp(T0 + 60 * MIN, JST, 0u)),
            SleepStageInterval("asleepREM", Timestamp(T0 + 60 * MIN, JST, 0u), Timestamp(T0 + 90 * MIN, JST, 0u)),
        )
        val samples = listOf(
            sample("bodyTemperature", 36.6, "℃"),
            sample("height", 171.5, "cm"),
            sample("sleepEpisode", null, "", T0, T0 + 90 * MIN).copy(sleepStages = stages),
            sample("workout", null, "", T0, T0 + 30 * MIN).copy(
                workout = Workout("HKWorkoutActivityTypeRunning", Quantity("30", "min"), Quantity("250", "kcal"), Quantity("5.2", "km")),
            ),
            sample("stepCount", 400.0, "steps", T0, T0 + 10 * MIN).copy(endUtcOffsetSeconds = 0),
        )
        val batch = samplesToDataset(samples)
        assertEquals(emptyList<SampleError>(), batch.errors)
        val original = batch.dataset.records()
        val ndjson = batch.dataset.toFhir(OutputFormat.NDJSON)
        readBytes(ndjson, ReadOptions()).use { back ->
            val report = back.report()
            assertTrue(report.balanced)
            val measurements = back.records().filterIsInstance<PhrRecord.Measurement>()
            assertEquals(original, measurements)
            val temp = quantity(measurements[0].measurement)
            assertEquals(Quantity("36.6", "Cel"), temp)
            val steps = measurements[4].measurement.effective as Effective.Period
            assertEquals(0, steps.end.utcOffsetSeconds)
            assertEquals(JST, steps.start.utcOffsetSeconds)
        }
    }

    @Test
    fun `records built in Kotlin convert to a Bundle and back, subject included`() {
        val subject = Subject(
            insuredId = "12345:12-34:5678:",
            nameKanji = PersonName("山田", "花子", "山田 花子"),
            nameKana = PersonName(null, null, "ヤマダ ハナコ"),
            birthDate = "1980-04-01",
            sex = "female",
            address = Address("123-4567", "東京都", null),
        )
        val weight = PhrMeasurement(
            kind = "bodyMass",
            effective = Effective.Instant(Timestamp(T0, JST, 123_456u)),
            value = MeasurementValue.Quantity(Quantity("60.20", "kg")),
            identifier = "hc-0001",
        )
        val records = listOf(PhrRecord.Subject(subject), PhrRecord.Measurement(weight))
        val bundle = recordsToFhir(records, OutputFormat.BUNDLE_COLLECTION).toString(Charsets.UTF_8)
        assertTrue(bundle.startsWith("{\"resourceType\":\"Bundle\",\"type\":\"collection\""))
        val back = fhirToRecords(bundle, ReadOptions(strict = true))
        assertEquals(2, back.size)
        val s = (back[0] as PhrRecord.Subject).subject
        // phrkit normalises the insured id the JP Core way: insurer padded to 8, symbol full-width.
        assertEquals("00012345:１２－３４:5678:", s.insuredId)
        assertEquals("山田 花子", s.nameKanji?.text)
        assertEquals("1980-04-01", s.birthDate)
        assertEquals("female", s.sex)
        assertEquals(weight, back[1].measurement())

        Dataset.fromRecords(records).use { ds ->
            assertEquals(2uL, ds.recordCount())
            assertEquals(mapOf("subject" to 1uL, "bodyMass" to 1uL), ds.report().byType)
            val tx = ds.toFhirString(OutputFormat.BUNDLE_TRANSACTION)
            assertTrue(tx.contains("\"type\":\"transaction\"") && tx.contains("\"ifNoneExist\""))
            assertEquals(tx, ds.toFhir(OutputFormat.BUNDLE_TRANSACTION).toString(Charsets.UTF_8))
        }
    }

    @Test
    fun `readFile reads a file and detects NDJSON by name`() {
        val ndjson = samplesToDataset(listOf(sample("heartRate", 64.0, "bpm"))).dataset.toFhir(OutputFormat.NDJSON)
        val file = Files.createTempFile("phrkit", ".ndjson")
        try {
            Files.write(file, ndjson)
            readFile(file.toString(), ReadOptions()).use { ds ->
                val m = ds.records().filterIsInstance<PhrRecord.Measurement>().single().measurement
                assertEquals(Quantity("64", "/min"), quantity(m))
                // Patient placeholder and Device are read and absorbed (the device becomes the source).
                val report = ds.report()
                assertEquals(3uL, report.itemsRead)
                assertEquals(mapOf("heartRate" to 1uL, "source" to 1uL, "subject-placeholder" to 1uL), report.byType)
                assertEquals(1uL, ds.recordCount())
            }
            readFile(file.toString(), ReadOptions(format = "fhir-ndjson")).use { assertEquals(1uL, it.recordCount()) }
        } finally {
            Files.delete(file)
        }
    }

    @Test
    fun `lenient reads count an invalid resource as skipped, strict reads throw InvalidRecord`() {
        val good = samplesToDataset(listOf(sample("stepCount", 100.0, "steps", T0, T0 + MIN))).dataset
            .toFhirString(OutputFormat.NDJSON)
        val bad = good.replace("\"value\":100", "\"value\":-100")
        assertTrue(bad != good)
        readBytes(bad.toByteArray(), ReadOptions()).use { ds ->
            val report = ds.report()
            assertTrue(report.balanced)
            assertEquals(1uL, report.skipped["invalid-record"])
        }
        val e = assertThrows<PhrkitException.InvalidRecord> { readBytes(bad.toByteArray(), ReadOptions(strict = true)) }
        assertEquals("negative", e.code)
        assertTrue(e.location.startsWith("line "), e.location)
    }

    @Test
    fun `every error variant reachable through the API arrives typed with code and location`() {
        val io = assertThrows<PhrkitException.Io> { readFile("/nonexistent/phrkit/input.json", ReadOptions()) }
        assertEquals("not-found", io.code)

        val format = assertThrows<PhrkitException.Format> { readBytes("{\"resourceType\": ".toByteArray(), ReadOptions()) }
        assertEquals("fhir-json", format.code)

        val unknown = assertThrows<PhrkitException.UnknownFormat> { readBytes("hello".toByteArray(), ReadOptions()) }
        assertEquals("unknown-format", unknown.code)

        val deep = "[".repeat(40) + "]".repeat(40)
        val limit = assertThrows<PhrkitException.LimitExceeded> {
            readBytes("{\"resourceType\":\"Observation\",\"x\":$deep}".toByteArray(), ReadOptions())
        }
        assertEquals("depth", limit.code)
        assertTrue(limit.location.startsWith("#/x"), limit.location)

        val misuse = assertThrows<PhrkitException.ApiMisuse> { readBytes("{}".toByteArray(), ReadOptions(format = "csv")) }
        assertEquals("unknown-format-name", misuse.code)

        val unsupported = assertThrows<PhrkitException.ApiMisuse> {
            Dataset.fromRecords(listOf(PhrRecord.Unsupported("checkup")))
        }
        assertEquals("unsupported-record", unsupported.code)
        assertEquals("#/0", unsupported.location)

        val badUnit = PhrMeasurement(
            kind = "bodyMass",
            effective = Effective.Instant(Timestamp(T0, JST, 0u)),
            value = MeasurementValue.Quantity(Quantity("60", "kg")),
        )
        val invalid = assertThrows<PhrkitException.InvalidRecord> {
            recordsToFhir(
                listOf(PhrRecord.Measurement(badUnit), PhrRecord.Measurement(badUnit.copy(value = MeasurementValue.BloodPressure("80", "120")))),
                OutputFormat.NDJSON,
            )
        }
        assertEquals("wrong-shape", invalid.code)
        assertEquals("#/1", invalid.location)

        assertThrows<PhrkitException.ApiMisuse> {
            Dataset.fromRecords(listOf(PhrRecord.Measurement(badUnit.copy(kind = "notAKind"))))
        }.also { assertEquals("unknown-kind", it.code) }
    }

    @Test
    fun `a Rust panic becomes PhrkitException Internal and the library keeps working`() {
        val e = assertThrows<PhrkitException.Internal> { testOnlyTriggerPanic() }
        assertEquals("panic", e.code)
        assertTrue(e.reason.contains("test_only_trigger_panic was called"), e.reason)
        // The process is alive and the next call works.
        assertEquals("0.1.0", phrkitVersion())
        assertEquals(1uL, samplesToDataset(listOf(sample("heartRate", 60.0, "/min"))).dataset.recordCount())
    }
}
