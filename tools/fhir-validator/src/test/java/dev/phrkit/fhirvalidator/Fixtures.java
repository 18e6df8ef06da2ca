package dev.phrkit.fhirvalidator;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** Test helpers: fixture files and the location of the JP Core packages. */
final class Fixtures {
    private Fixtures() {}

    static String read(String name) {
        try (InputStream in = Fixtures.class.getResourceAsStream("/fixtures/" + name)) {
            if (in == null) {
                throw new IllegalArgumentException("no fixture " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }

    static Path dir() {
        return Path.of("src/test/resources/fixtures").toAbsolutePath();
    }

    /**
     * The folder with the JP Core .tgz packages: $PHRKIT_FHIR_PACKAGES, else ../shared/fhir-packages
     * relative to the repository root (as in CI). Empty when neither exists.
     */
    static Optional<Path> packagesDir() {
        for (String c : List.of(
                System.getProperty("phrkit.fhirPackages", ""),
                System.getenv().getOrDefault("PHRKIT_FHIR_PACKAGES", ""))) {
            if (!c.isBlank() && !c.startsWith("${") && Files.isDirectory(Path.of(c))) {
                return Optional.of(Path.of(c));
            }
        }
        String root = System.getProperty("phrkit.repoRoot", "../..");
        Path shared = Path.of(root).toAbsolutePath().normalize().resolveSibling("shared").resolve("fhir-packages");
        return Files.isDirectory(shared) ? Optional.of(shared) : Optional.empty();
    }

    static Optional<Path> jpCoreUrlPackage() {
        return packagesDir().map(d -> d.resolve("jp-core.r4-1.1.2-url.tgz")).filter(Files::isRegularFile);
    }

    static long errors(List<Issue> issues) {
        return issues.stream().filter(Issue::isError).count();
    }

    static String dump(List<Issue> issues) {
        StringBuilder sb = new StringBuilder();
        for (Issue i : issues) {
            sb.append(i.severity()).append(' ').append(i.location()).append(": ").append(i.message()).append('\n');
        }
        return sb.toString();
    }
}
