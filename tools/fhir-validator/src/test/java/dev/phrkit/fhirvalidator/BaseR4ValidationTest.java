package dev.phrkit.fhirvalidator;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Base R4 only (no package): what phrkit's CI checks on a machine without shared/. */
class BaseR4ValidationTest {

    private static PhrkitValidator validator;

    @BeforeAll
    static void start() throws Exception {
        validator = new PhrkitValidator(List.of(), false); // slow: once per class
        validator.warmUp();
    }

    @Test
    void validBloodPressureBundleHasNoErrors() {
        List<Issue> issues = validator.validate(Fixtures.read("bp-bundle.json"));
        assertEquals(0, Fixtures.errors(issues), Fixtures.dump(issues));
        assertEquals("base R4 only", validator.profilesChecked());
    }

    @Test
    void jpCoreProfileWithoutPackageIsAWarningNotAnError() {
        List<Issue> issues = validator.validate(Fixtures.read("bp-bundle.json"));
        assertTrue(issues.stream().anyMatch(i -> i.isWarning()
                        && i.message().equals("profile not loaded, checked against base R4 only: "
                        + "http://jpfhir.jp/fhir/core/StructureDefinition/JP_Observation_VitalSigns")
                        && i.location().startsWith("Bundle.entry[1].resource.meta.profile")),
                Fixtures.dump(issues));
        assertTrue(issues.stream().anyMatch(i -> i.isWarning() && i.message().endsWith("JP_Patient")), Fixtures.dump(issues));
    }

    @Test
    void standaloneObservationAgainstR4BpProfileHasNoErrors() {
        List<Issue> issues = validator.validate(Fixtures.read("bp-observation.json"));
        assertEquals(0, Fixtures.errors(issues), Fixtures.dump(issues));
    }

    @Test
    void invalidStatusIsAnError() {
        List<Issue> issues = validator.validate(Fixtures.read("bp-bundle-bad-status.json"));
        assertTrue(issues.stream().anyMatch(i -> i.isError() && i.location().equals("Bundle.entry[1].resource.status")
                && i.message().contains("nonsense")), Fixtures.dump(issues));
    }

    @Test
    void stringWhereDecimalIsRequiredIsAnError() {
        List<Issue> issues = validator.validate(Fixtures.read("bp-bundle-bad-value.json"));
        assertTrue(issues.stream().anyMatch(i -> i.isError() && i.location().startsWith("Bundle.entry[1].resource.component[0]")
                && i.line() != null && i.line() == 130), Fixtures.dump(issues));
    }

    @Test
    void wrongUcumCodeIsAnError() {
        String json = Fixtures.read("bp-observation.json").replace("\"code\": \"mm[Hg]\"", "\"code\": \"mmHg\"");
        List<Issue> issues = validator.validate(json);
        assertTrue(issues.stream().anyMatch(i -> i.isError() && i.message().contains("mmHg")), Fixtures.dump(issues));
    }

    @Test
    void phrkitOwnCodeSystemAndExtensionAreNotErrors() {
        List<Issue> issues = validator.validate(Fixtures.read("observation-phrkit-extension.json"));
        assertEquals(0, Fixtures.errors(issues), Fixtures.dump(issues));
        assertTrue(issues.stream().anyMatch(i -> i.isWarning()
                && i.message().contains("http://phrkit.dev/fhir/CodeSystem/source-type")), Fixtures.dump(issues));
        assertTrue(validator.unknownCodeSystemsSeen().contains("http://loinc.org")
                || validator.unknownCodeSystemsSeen().contains("http://medis.or.jp/CodeSystem/master-nursingObservationKeyCode"));
    }

    @Test
    void misspeltCoreExtensionIsAnError() {
        String json = Fixtures.read("bp-bundle.json").replace("iso21090-EN-representation\", \"valueCode\": \"IDE\"",
                "iso21090-EN-representaton\", \"valueCode\": \"IDE\"");
        List<Issue> issues = validator.validate(json);
        assertTrue(issues.stream().anyMatch(i -> i.isError() && i.message().contains("iso21090-EN-representaton")),
                Fixtures.dump(issues));
    }

    @Test
    void unknownCodeInFhirCodeSystemIsAnError() {
        String json = Fixtures.read("bp-observation.json").replace(
                "\"system\": \"http://terminology.hl7.org/CodeSystem/observation-category\",\n     \"code\": \"vital-signs\"",
                "\"system\": \"http://terminology.hl7.org/CodeSystem/observation-category\",\n     \"code\": \"vital-signz\"");
        List<Issue> issues = validator.validate(json);
        assertTrue(issues.stream().anyMatch(i -> i.isError() && i.message().contains("vital-signz")), Fixtures.dump(issues));
    }
}
