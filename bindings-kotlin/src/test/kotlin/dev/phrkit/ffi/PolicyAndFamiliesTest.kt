// JVM tests of the policy calls (consent decisions, exports under consent, pseudonymisation) and of the
// マイナポータル / checkup record families, against the host libphrkit_ffi. Inputs are the repository's
// synthetic fixtures (fixtures/README files say how each was made).
package dev.phrkit.ffi

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import java.io.File

private fun fixture(path: String): File = File(System.getProperty("phrkit.fixtures.dir"), path)

private fun lifelog(): Dataset = readBytes(fixture("samples/lifelog.ndjson").readBytes(), ReadOptions())

private fun researchConsent(): Consent = Consent.fromFhirJson(fixture("consent/research-partner.json").readText())

private const val PARTNER = "Organization/research-partner"

// 2025-06-01T12:00:00+09:00: inside the consent's permit period (2025-04-01 … 2026-03-31).
private fun request(recipient: String = PARTNER, epochMs: Long = 1_748_746_800_000L) = ConsentRequest(
    recipient = recipient,
    purpose = Coding("http://terminology.hl7.org/CodeSystem/v3-ActReason", "HRESCH", null),
    at = Timestamp(epochMs, 9 * 3600, 0u),
)

private fun options() = PseudonymiseOptions(referenceDate = "2025-06-01")

/** Every personal value of the lifelog fixture's Patient (name, kana, insured id, postal code, birth date). */
private val SECRETS = listOf("見本", "花子", "ミホン", "ハナコ", "06139991", "記号", "100-0001", "1980-04-01", "Hanako")

class PolicyAndFamiliesTest {
    @Test
    fun `a FHIR Consent parses and writes back`() {
        researchConsent().use { c ->
            assertEquals("c1", c.id())
            assertEquals("active", c.status())
            Consent.fromFhirJson(c.toFhirJson()).use { again -> assertEquals("c1", again.id()) }
        }
        val bad = fixture("consent/research-partner.json").readText().replace("\"type\": \"permit\"", "\"type\": \"allow\"")
        val e = assertThrows<PhrkitException.Format> { Consent.fromFhirJson(bad) }
        assertTrue(e.location.contains("/provision/provision/0/type"), e.location)
        assertFalse(e.reason.contains("allow"), e.reason)
    }

    @Test
    fun `consent decisions permit observations to the partner and deny the patient, others and no consent`() {
        lifelog().use { ds ->
            researchConsent().use { c ->
                val d = decideConsent(ds, listOf(c), request())
                assertEquals(ds.recordCount(), d.size.toULong())
                // Record 0 is the Patient: not in the permitted class (Observation), the root deny decides.
                assertEquals(ConsentDecision(false, "Consent/c1#provision", "denied-by-provision"), d[0])
                val permitted = d.filter { it.permit }
                assertTrue(permitted.isNotEmpty())
                assertTrue(permitted.all { it.rule == "Consent/c1#provision.provision[0]" && it.reason == "permitted" })
                // Another recipient, or a time after the permit period: everything denied.
                assertTrue(decideConsent(ds, listOf(c), request("Organization/insurer")).none { it.permit })
                val afterPeriod = 1_775_000_000_000L // 2026-04-01
                assertTrue(decideConsent(ds, listOf(c), request(epochMs = afterPeriod)).none { it.permit })
            }
            val none = decideConsent(ds, emptyList(), request())
            assertTrue(none.all { !it.permit && it.rule == "no-consent" && it.reason == "no-consent" })
        }
    }

    @Test
    fun `export under consent leaves denied records out, counts them and returns the AuditEvent`() {
        lifelog().use { ds ->
            researchConsent().use { c ->
                val e = exportWithConsent(ds, listOf(c), request(), OutputFormat.NDJSON, ConsentMode.ENFORCE)
                assertEquals(ds.recordCount(), e.permitted + e.denied)
                assertTrue(e.permitted > 0uL && e.denied > 0uL)
                assertEquals(e.denied, e.deniedByRule.values.sum())
                assertTrue(e.deniedByRule.keys.all { it.startsWith("consent-denied:Consent/c1#") }, e.deniedByRule.toString())
                assertTrue(e.report.balanced)
                assertTrue(e.auditEventJson.contains("\"resourceType\":\"AuditEvent\""))
                assertTrue(e.auditEventJson.contains("HRESCH"))
                val types = e.fhir.lines().filter { it.isNotBlank() }.map { Regex("\"resourceType\":\"(\\w+)\"").find(it)!!.groupValues[1] }
                assertEquals("Provenance", types.last())
                assertTrue(types.contains("Consent"))
                assertTrue(e.fhir.contains(e.provenanceId))
                // The withheld Patient became a placeholder: none of the person's values left.
                SECRETS.filter { it != "Hanako" }.forEach { assertFalse(e.fhir.contains(it), it) }
            }
        }
    }

    @Test
    fun `export without consent is refused unless the danger opt-out is named`() {
        lifelog().use { ds ->
            val e = assertThrows<PhrkitException.ConsentDenied> {
                exportWithConsent(ds, emptyList(), request(), OutputFormat.NDJSON, ConsentMode.ENFORCE)
            }
            assertEquals("consent-denied", e.code)
            val own = exportWithConsent(ds, emptyList(), request("Patient/self"), OutputFormat.BUNDLE_COLLECTION, ConsentMode.DANGER_LOCAL_NO_CONSENT)
            assertEquals(0uL, own.denied)
            assertEquals(ds.recordCount(), own.permitted)
            assertTrue(own.fhir.contains("urn:phrkit:policy:danger-local-no-consent"))
        }
    }

    @Test
    fun `pseudonymised output contains no input name or identifier and is keyed`() {
        val plain = lifelog().use { it.toFhirString(OutputFormat.NDJSON) }
        SECRETS.forEach { assertTrue(plain.contains(it), "fixture must contain $it for the scan to mean anything") }
        val key = ByteArray(32) { it.toByte() }
        val out = lifelog().use { pseudonymise(it, key, PseudonymiseMethod.Pseudonymised, options(), OutputFormat.NDJSON) }
        SECRETS.forEach { assertFalse(out.fhir.contains(it), it) }
        assertTrue(out.fhir.contains("PSEUDED"))
        assertTrue(out.fhir.contains("\"birthDate\":\"1980\""))
        assertEquals(out.recordsIn, out.recordsOut)
        assertTrue(out.changeReportJson.contains("\"profile\": \"pseudonymised\""), out.changeReportJson)
        SECRETS.forEach { assertFalse(out.changeReportJson.contains(it), it) }
        // Same key → same output; another key → other pseudonyms.
        val again = lifelog().use { pseudonymise(it, key, PseudonymiseMethod.Pseudonymised, options(), OutputFormat.NDJSON) }
        assertEquals(out.fhir, again.fhir)
        val other = lifelog().use { pseudonymise(it, ByteArray(32) { 9 }, PseudonymiseMethod.Pseudonymised, options(), OutputFormat.NDJSON) }
        assertNotEquals(out.fhir, other.fhir)
    }

    @Test
    fun `anonymised and rules methods run, a bad rules document is a Config error`() {
        val key = ByteArray(48) { 3 }
        val anon = lifelog().use { pseudonymise(it, key, PseudonymiseMethod.Anonymised(1u), options(), OutputFormat.BUNDLE_COLLECTION) }
        assertTrue(anon.fhir.contains("ANONYED"))
        assertTrue(anon.changeReportJson.contains("\"key_id\": \"ephemeral\""), anon.changeReportJson)
        SECRETS.forEach { assertFalse(anon.fhir.contains(it), it) }
        val e = assertThrows<PhrkitException.Config> {
            lifelog().use { pseudonymise(it, key, PseudonymiseMethod.Rules("{\"rules\": 3}"), options(), OutputFormat.NDJSON) }
        }
        assertEquals("config", e.code)
    }

    @Test
    fun `a key shorter than 32 bytes is a typed Key error that never shows the key`() {
        val short = "short-secret-key-31-bytes-long!".toByteArray()
        assertEquals(31, short.size)
        val e = assertThrows<PhrkitException.Key> {
            lifelog().use { pseudonymise(it, short, PseudonymiseMethod.Pseudonymised, options(), OutputFormat.NDJSON) }
        }
        assertEquals("key", e.code)
        assertTrue(e.reason.contains("31 bytes"), e.reason)
        assertFalse(e.reason.contains("short-secret"), e.reason)
        val bad = assertThrows<PhrkitException.ApiMisuse> {
            lifelog().use { pseudonymise(it, ByteArray(32), PseudonymiseMethod.Pseudonymised, PseudonymiseOptions(referenceDate = "1 June"), OutputFormat.NDJSON) }
        }
        assertEquals("bad-date", bad.code)
    }

    @Test
    fun `medical expenses arrive with amounts and survive a FHIR round trip`() {
        readBytes(fixture("myna_portal/expense.csv").readBytes(), ReadOptions()).use { ds ->
            val ex = ds.records().filterIsInstance<PhrRecord.Expense>().map { it.expense }
            assertEquals(3, ex.size)
            assertEquals(12_340uL, ex.sumOf { it.totalYen })
            assertEquals(3_702uL, ex.sumOf { it.patientYen })
            assertTrue(ex.all { it.month.matches(Regex("\\d{4}-\\d{2}")) })
            val back = fhirToRecords(ds.toFhirString(OutputFormat.NDJSON), ReadOptions())
            assertEquals(ex, back.filterIsInstance<PhrRecord.Expense>().map { it.expense })
        }
    }

    @Test
    fun `medication and immunization payloads read through a mapping, checkups from CDA`() {
        val meds = readMapped(
            fixture("myna_portal/medication_payload.json").readBytes(),
            fixture("myna_portal/medication_mapping.json").readText(),
            ReadOptions(),
        ).use { ds -> ds.records().filterIsInstance<PhrRecord.Medication>().map { it.medication } }
        val first = meds.first()
        assertEquals("ムコダイン錠２５０ｍｇ", first.drugName)
        assertEquals("103835401", first.drugCode)
        assertEquals("2025-03-02", first.dispensed)
        assertEquals("21", first.quantity)
        assertEquals("錠", first.quantityUnit)
        assertEquals(7u, first.daysSupplied)

        readMapped(
            fixture("myna_portal/immunization.csv").readBytes(),
            fixture("myna_portal/immunization_mapping.json").readText(),
            ReadOptions(),
        ).use { ds ->
            val imm = ds.records().filterIsInstance<PhrRecord.Immunization>().map { it.immunization }
            assertEquals(listOf("2025-10-01", "2024-06-15"), imm.map { it.occurred })
            assertEquals("AB1234", imm[0].lot)
            // FHIR round trip through the Dataset (which keeps the full records).
            val back = fhirToRecords(ds.toFhirString(OutputFormat.BUNDLE_COLLECTION), ReadOptions())
            assertEquals(imm.map { it.occurred }, back.filterIsInstance<PhrRecord.Immunization>().map { it.immunization.occurred })
        }

        readBytes(fixture("kenshin/hc08_sample.xml").readBytes(), ReadOptions()).use { ds ->
            val checkup = ds.records().filterIsInstance<PhrRecord.Checkup>().single().checkup
            assertTrue(checkup.examDate.matches(Regex("\\d{4}-\\d{2}-\\d{2}")))
            assertTrue(checkup.results.any { it.valueType == "quantity" && it.value != null })
            val back = fhirToRecords(ds.toFhirString(OutputFormat.NDJSON), ReadOptions())
            assertEquals(checkup.examDate, back.filterIsInstance<PhrRecord.Checkup>().single().checkup.examDate)
        }

        val e = assertThrows<PhrkitException.Config> { readMapped("{}".toByteArray(), "{\"not\": \"a mapping\"}", ReadOptions()) }
        assertEquals("config", e.code)
        val ro = assertThrows<PhrkitException.ApiMisuse> {
            recordsToFhir(listOf(PhrRecord.Medication(first)), OutputFormat.NDJSON)
        }
        assertEquals("read-only-record", ro.code)
        assertEquals("#/0", ro.location)
    }
}
