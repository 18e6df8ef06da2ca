package dev.phrkit.fhirvalidator;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * With the JP Core 1.1.2-url package (from $PHRKIT_FHIR_PACKAGES or ../shared/fhir-packages beside the
 * repository). Skipped, with a message, where the package is not there.
 */
class JpCoreValidationTest {

    private static final String JP_VITALS = "http://jpfhir.jp/fhir/core/StructureDefinition/JP_Observation_VitalSigns";
    private static PhrkitValidator validator;

    private static final String SKIP_MESSAGE = "JP Core package jp-core.r4-1.1.2-url.tgz not found (set "
            + "PHRKIT_FHIR_PACKAGES, or provide ../shared/fhir-packages beside the repository): JP Core tests skipped";

    @BeforeAll
    static void start() throws Exception {
        Optional<Path> pkg = Fixtures.jpCoreUrlPackage();
        if (pkg.isEmpty()) {
            System.err.println("[JpCoreValidationTest] " + SKIP_MESSAGE);
            return;
        }
        validator = new PhrkitValidator(List.of(FhirPackage.read(pkg.get())), false); // slow: once per class
        validator.warmUp();
    }

    @BeforeEach
    void needsPackage() {
        assumeTrue(validator != null, SKIP_MESSAGE);
    }

    @Test
    void packageIsReadAndReported() {
        FhirPackage p = validator.packages().get(0);
        assertEquals("jp-core.r4#1.1.2-url", p.id());
        assertEquals("http://jpfhir.jp/fhir/core", p.canonical());
        assertTrue(p.countsByType().getOrDefault("StructureDefinition", 0) > 50, p.countsByType().toString());
        assertEquals("jp-core.r4#1.1.2-url", validator.profilesChecked());
        assertTrue(validator.isProfileLoaded(JP_VITALS));
    }

    @Test
    void observationClaimingJpVitalSignsIsCheckedAgainstIt() {
        // phrkit's example carries JP Core's first category slice but not the second one
        // (category:vitalSignCategory, 1..* in JP Core 1.1.2): only a validator that really applies
        // JP_Observation_VitalSigns reports that.
        List<Issue> issues = validator.validate(Fixtures.read("bp-bundle.json"));
        assertFalse(issues.stream().anyMatch(i -> i.message().startsWith("profile not loaded")), Fixtures.dump(issues));
        assertTrue(issues.stream().anyMatch(i -> i.isError() && i.message().contains("vitalSignCategory")
                && i.message().contains(JP_VITALS)), Fixtures.dump(issues));
    }

    @Test
    void observationMeetingJpVitalSignsHasNoErrors() {
        String json = Fixtures.read("bp-bundle.json").replace(
                "\"code\": \"vital-signs\" } ] },\n",
                "\"code\": \"vital-signs\" } ] },\n"
                        + "          { \"coding\": [ { \"system\": \"http://jpfhir.jp/fhir/core/CodeSystem/JP_ObservationVitalSignsCategory_CS\", \"code\": \"blood-pressure\" } ] },\n");
        assertTrue(json.contains("JP_ObservationVitalSignsCategory_CS"), "fixture edit failed");
        List<Issue> issues = validator.validate(json);
        assertEquals(0, Fixtures.errors(issues), Fixtures.dump(issues));
    }

    @Test
    void jpPatientIsChecked() {
        // JP_Patient: a Patient without an identifier still validates, but gender with a wrong code fails.
        String json = Fixtures.read("bp-bundle.json").replace("\"gender\": \"female\"", "\"gender\": \"F\"");
        List<Issue> issues = validator.validate(json);
        assertTrue(issues.stream().anyMatch(i -> i.isError() && i.location().startsWith("Bundle.entry[0].resource.gender")),
                Fixtures.dump(issues));
    }

    @Test
    void misspeltJpCoreProfileIsAnError() {
        String json = Fixtures.read("bp-bundle.json").replace("JP_Observation_VitalSigns", "JP_Observation_VitalSign");
        List<Issue> issues = validator.validate(json);
        assertTrue(issues.stream().anyMatch(i -> i.isError() && i.message().contains("is not defined in loaded package")),
                Fixtures.dump(issues));
    }

    @Test
    void bothVariantsOfJpCoreTogetherAreRefused() throws Exception {
        Path dir = Fixtures.packagesDir().orElseThrow();
        Path oid = dir.resolve("jp-core.r4-1.1.2.tgz");
        assumeTrue(java.nio.file.Files.isRegularFile(oid), "jp-core.r4-1.1.2.tgz not found: skipped");
        PhrkitValidator.ConfigException e = org.junit.jupiter.api.Assertions.assertThrows(PhrkitValidator.ConfigException.class,
                () -> new PhrkitValidator(List.of(validator.packages().get(0), FhirPackage.read(oid)), false));
        assertTrue(e.getMessage().contains("validate once per package"), e.getMessage());
    }
}
