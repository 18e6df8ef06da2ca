// JVM tests of Dataset.dedup and Report.duplicates (the core's phrkit::policy::dedup through the FFI).
// Input: fixtures/apple_health/multi_source.xml, a handwritten synthetic export in which an iPhone, an
// Apple Watch and the "Activity Diary" app write steps, heart rate and sleep over overlapping times. The
// expected counts are those of core/tests/dedup.rs, so the mobile binding gives the core's answers.
package dev.phrkit.ffi

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import java.io.File

private const val WATCH = "Hanako's Apple Watch"
private const val PHONE = "Hanako's iPhone"
private const val APP = "Activity Diary"
private val DUPLICATES = mapOf("heartRate" to 2uL, "sleepEpisode" to 2uL, "stepCount" to 6uL)

private fun multiSource(): Dataset = readFile(
    File(System.getProperty("phrkit.fixtures.dir"), "apple_health/multi_source.xml").path,
    ReadOptions(),
)

/** (source name, value) of every step record, sorted. */
private fun steps(ds: Dataset): List<Pair<String, String>> = ds.records()
    .mapNotNull { (it as? PhrRecord.Measurement)?.measurement }
    .filter { it.kind == "stepCount" }
    .map { (it.source?.name ?: "") to (it.value as MeasurementValue.Quantity).quantity.value }
    .sortedWith(compareBy({ it.first }, { it.second }))

private fun sorted(vararg p: Pair<String, String>) = p.sortedWith(compareBy({ it.first }, { it.second }))

class DedupTest {
    @Test
    fun `source priority keeps the Watch then the iPhone and counts duplicates per type`() {
        multiSource().use { ds ->
            // 16 items, 15 records: the Watch's two sleep-stage items form one session.
            assertEquals(15uL, ds.recordCount())
            assertEquals(emptyMap<String, ULong>(), ds.report().duplicates)
            ds.dedup(DedupStrategy.SourcePriority(listOf("Apple Watch", "iPhone"))).use { d ->
                assertEquals(10uL, d.recordCount())
                assertEquals(
                    sorted(WATCH to "260", WATCH to "250", WATCH to "90", PHONE to "300", PHONE to "100", APP to "50"),
                    steps(d),
                )
                val r = d.report()
                assertEquals(DUPLICATES, r.duplicates)
                assertEquals(mapOf("duplicate-lower-priority-source" to 5uL), r.skipped)
                assertEquals(16uL, r.itemsRead)
                assertEquals(11uL, r.converted)
                // The reader also counts the 4 sleep-stage items under sleepStage; dropped records leave
                // their own type (sleepEpisode 3 -> 2).
                assertEquals(
                    mapOf("heartRate" to 2uL, "sleepEpisode" to 2uL, "sleepStage" to 4uL, "stepCount" to 6uL),
                    r.byType,
                )
                assertTrue(r.balanced)
                assertTrue(r.issues.none { it.message.contains("Hanako") }, "source names stay out of messages")
            }
            // The input dataset is unchanged.
            assertEquals(15uL, ds.recordCount())
        }
    }

    @Test
    fun `keep-all drops nothing and max-per-bucket keeps the source with the most steps per hour`() {
        multiSource().use { ds ->
            ds.dedup(DedupStrategy.KeepAll).use { d ->
                assertEquals(15uL, d.recordCount())
                assertEquals(DUPLICATES, d.report().duplicates)
                assertEquals(emptyMap<String, ULong>(), d.report().skipped)
            }
            ds.dedup(DedupStrategy.MaxPerBucket(60u)).use { d ->
                assertEquals(
                    sorted(WATCH to "260", WATCH to "250", APP to "320", PHONE to "100", APP to "50"),
                    steps(d),
                )
                assertEquals(mapOf("duplicate-not-max-in-bucket" to 4uL), d.report().skipped)
                assertEquals(12uL, d.report().converted)
                assertTrue(d.report().balanced)
            }
        }
    }

    @Test
    fun `Health Connect priority is read from the export, by path or bytes`() {
        val zip = File(System.getProperty("phrkit.fixtures.dir"), "health_connect/Health Connect.zip")
        readFile(zip.path, ReadOptions()).use { ds ->
            for (strategy in listOf(
                DedupStrategy.HealthConnectPriorityFile(zip.path),
                DedupStrategy.HealthConnectPriority(zip.readBytes()),
            )) {
                ds.dedup(strategy).use { d ->
                    // One writer per type and no priority table in the synthetic export: nothing is a
                    // duplicate or dropped, and the missing table is reported instead of guessed.
                    assertEquals(ds.recordCount(), d.recordCount())
                    assertEquals(emptyMap<String, ULong>(), d.report().duplicates)
                    assertEquals(ds.report().skipped, d.report().skipped)
                    assertEquals(1, d.report().issues.count { it.code == "hc-priority-table-absent" && it.severity == "warning" })
                    assertTrue(d.report().balanced)
                }
            }
        }
    }

    @Test
    fun `bad strategies are ApiMisuse and a non-Health-Connect export is a Format error`() {
        multiSource().use { ds ->
            val none = assertThrows<PhrkitException.ApiMisuse> { ds.dedup(DedupStrategy.SourcePriority(emptyList())) }
            assertEquals("no-source-patterns", none.code)
            val blank = assertThrows<PhrkitException.ApiMisuse> {
                ds.dedup(DedupStrategy.SourcePriority(listOf("Watch", " ")))
            }
            assertEquals("blank-source-pattern", blank.code)
            assertEquals("#/1", blank.location)
            val zero = assertThrows<PhrkitException.ApiMisuse> { ds.dedup(DedupStrategy.MaxPerBucket(0u)) }
            assertEquals("bad-bucket-minutes", zero.code)
            val xml = File(System.getProperty("phrkit.fixtures.dir"), "apple_health/multi_source.xml").readBytes()
            assertThrows<PhrkitException.Format> { ds.dedup(DedupStrategy.HealthConnectPriority(xml)) }
        }
    }
}
