package dev.phrkit.fhirvalidator;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The command line: exit codes, per-resource lines, locations and the summary line. */
class MainTest {

    record Run(int rc, String out, String err) {}

    static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc = new Main(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8))
                .run(args);
        return new Run(rc, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void usageProblemsExitWith2() {
        assertEquals(2, run().rc());
        assertEquals(2, run("--bogus", "x.json").rc());
        assertEquals(2, run("/no/such/file.json").rc());
        assertEquals(2, run("--package").rc());
        assertEquals(2, run("pom.xml").rc()); // not .json / .ndjson
        assertEquals(0, run("--help").rc());
    }

    @Test
    void missingPackageIsAnIoProblem(@TempDir Path tmp) throws Exception {
        Path f = Files.writeString(tmp.resolve("a.json"), "{}");
        Run r = run("--package", tmp.resolve("nope.tgz").toString(), f.toString());
        assertEquals(2, r.rc());
        assertTrue(r.err().contains("cannot load package"), r.err());
    }

    @Test
    void validatesFilesAndNdjsonAndPrintsSummary(@TempDir Path tmp) throws Exception {
        Files.copy(Fixtures.dir().resolve("bp-bundle.json"), tmp.resolve("bp-bundle.json"));
        Files.copy(Fixtures.dir().resolve("observations.ndjson"), tmp.resolve("observations.ndjson"));
        Files.writeString(tmp.resolve("notes.txt"), "ignored: not .json/.ndjson");
        Run r = run("--threads", "2", tmp.toString());
        String out = r.out();
        assertEquals(1, r.rc(), out); // line 2 of the NDJSON has status "nonsense"
        // Bundle: one line for the Bundle, one per entry
        assertTrue(out.contains("bp-bundle.json: entry[0] Patient urn:uuid:0b6a7f52-3d0e-4a43-9d55-6a4c1f1e2b01: 0 errors"), out);
        assertTrue(out.contains("bp-bundle.json: entry[1] Observation urn:uuid:5f0c2c3e-8d1b-4c53-9a55-2b0a7f1e9c11: 0 errors"), out);
        assertTrue(out.contains("profile not loaded, checked against base R4 only: "
                + "http://jpfhir.jp/fhir/core/StructureDefinition/JP_Observation_VitalSigns"), out);
        // NDJSON: file:line for the resource and for the error
        assertTrue(out.contains("observations.ndjson:2: Observation/bp1: 2 errors"), out);
        assertTrue(out.matches("(?s).*  ERROR \\S*observations\\.ndjson:2:\\d+ Observation\\.status: .*"), out);
        assertTrue(out.contains("observations.ndjson:1: Observation/bp0: 0 errors"), out);
        // Summary: 2 files; 2 bundle entries + 3 NDJSON lines = 5 resources
        assertTrue(out.matches("(?s).*\\nfhir-validator: 2 files, 5 resources, 2 errors, \\d+ warnings; "
                + "profiles checked: base R4 only\\n?$"), out);
        assertTrue(out.contains("codes NOT checked (code system not available offline): "), out);
    }
}
