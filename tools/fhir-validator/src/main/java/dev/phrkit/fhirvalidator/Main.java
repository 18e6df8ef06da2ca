package dev.phrkit.fhirvalidator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Command line: {@code java -jar fhir-validator.jar [--package path.tgz ...] [--ignore-unknown-codesystems]
 * [--threads N] [--show-info] FILE_OR_DIR...}. Exit 0: no errors; 1: errors; 2: usage or I/O problem.
 */
public final class Main {

    static final String USAGE = String.join("\n",
            "usage: java -jar fhir-validator.jar [options] FILE_OR_DIR...",
            "  Validates FHIR R4 JSON offline: *.json (one resource or a Bundle) and *.ndjson (one resource",
            "  per line); directories are searched recursively for both.",
            "options:",
            "  --package PATH.tgz            load a FHIR NPM package (StructureDefinition, ValueSet, CodeSystem,",
            "                                NamingSystem); repeatable. Without one: base R4 only.",
            "  --ignore-unknown-codesystems  report codes from code systems not available offline (LOINC, MEDIS,",
            "                                ...) as information instead of warnings",
            "  --threads N                   validate N resources at once (default: number of cores)",
            "  --show-info                   also print INFORMATION messages",
            "  --show-all                    print every 'CodeSystem is unknown' warning (default: the first "
                    + Main.UNKNOWN_CS_PRINT_LIMIT + " per code system; all are counted)",
            "  -h, --help                    this text",
            "exit status: 0 no errors, 1 errors found, 2 usage or I/O problem");

    static final int UNKNOWN_CS_PRINT_LIMIT = 3;
    private static final Pattern UNKNOWN_CS = Pattern.compile("^CodeSystem is unknown and can't be validated: (\\S+)");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern ENTRY_LOC = Pattern.compile("^Bundle\\.entry\\[(\\d+)]");

    private final PrintStream out;
    private final PrintStream err;

    Main(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    public static void main(String[] args) {
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true, StandardCharsets.UTF_8);
        int rc = new Main(out, System.err).run(args);
        out.flush();
        System.exit(rc);
    }

    /** Options after parsing. */
    record Options(List<Path> packages, boolean ignoreUnknownCs, int threads, boolean showInfo, boolean showAll,
                   List<Path> inputs) {}

    static final class UsageException extends Exception {
        UsageException(String m) { super(m); }
    }

    static Options parse(String[] args) throws UsageException {
        List<Path> packages = new ArrayList<>();
        List<Path> inputs = new ArrayList<>();
        boolean ignore = false;
        boolean showInfo = false;
        boolean showAll = false;
        int threads = Runtime.getRuntime().availableProcessors();
        boolean optsDone = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (optsDone || !a.startsWith("-") || a.equals("-")) {
                inputs.add(Path.of(a));
                continue;
            }
            switch (a) {
                case "--" -> optsDone = true;
                case "--package" -> {
                    if (++i >= args.length) throw new UsageException("--package needs a path");
                    packages.add(Path.of(args[i]));
                }
                case "--ignore-unknown-codesystems" -> ignore = true;
                case "--show-info" -> showInfo = true;
                case "--show-all" -> showAll = true;
                case "--threads" -> {
                    if (++i >= args.length) throw new UsageException("--threads needs a number");
                    try {
                        threads = Integer.parseInt(args[i]);
                    } catch (NumberFormatException e) {
                        throw new UsageException("--threads needs a number, got '" + args[i] + "'");
                    }
                    if (threads < 1) throw new UsageException("--threads must be at least 1");
                }
                case "-h", "--help" -> throw new UsageException(null);
                default -> {
                    if (a.startsWith("--package=")) {
                        packages.add(Path.of(a.substring("--package=".length())));
                    } else {
                        throw new UsageException("unknown option " + a);
                    }
                }
            }
        }
        if (inputs.isEmpty()) {
            throw new UsageException("no FILE_OR_DIR given");
        }
        return new Options(packages, ignore, threads, showInfo, showAll, inputs);
    }

    int run(String[] args) {
        Options o;
        try {
            o = parse(args);
        } catch (UsageException e) {
            if (e.getMessage() == null) {
                out.println(USAGE);
                return 0;
            }
            err.println("fhir-validator: " + e.getMessage());
            err.println(USAGE);
            return 2;
        }

        // Collect input files first: a wrong path is a usage problem, found before the slow start-up.
        List<Path> files = new ArrayList<>();
        for (Path in : o.inputs()) {
            if (Files.isDirectory(in)) {
                try (Stream<Path> walk = Files.walk(in)) {
                    walk.filter(Files::isRegularFile).filter(Main::isInputName).sorted().forEach(files::add);
                } catch (IOException e) {
                    err.println("fhir-validator: cannot read directory " + in + ": " + e.getMessage());
                    return 2;
                }
            } else if (Files.isRegularFile(in)) {
                if (!isInputName(in)) {
                    err.println("fhir-validator: " + in + ": not a .json or .ndjson file");
                    return 2;
                }
                files.add(in);
            } else {
                err.println("fhir-validator: " + in + ": no such file or directory");
                return 2;
            }
        }
        if (files.isEmpty()) {
            err.println("fhir-validator: no .json or .ndjson files found in " + o.inputs());
            return 2;
        }

        long t0 = System.nanoTime();
        List<FhirPackage> packages = new ArrayList<>();
        for (Path p : o.packages()) {
            try {
                packages.add(FhirPackage.read(p));
            } catch (IOException e) {
                err.println("fhir-validator: cannot load package " + p + ": " + e.getMessage());
                return 2;
            }
        }
        PhrkitValidator v;
        try {
            v = new PhrkitValidator(packages, o.ignoreUnknownCs());
        } catch (PhrkitValidator.ConfigException e) {
            err.println("fhir-validator: " + e.getMessage());
            return 2;
        }
        v.warmUp();
        double startup = (System.nanoTime() - t0) / 1e9;
        for (FhirPackage p : packages) {
            out.println("fhir-validator: loaded package " + p.id() + " from " + p.file() + " " + p.countsByType());
        }
        if (packages.isEmpty()) {
            out.println("fhir-validator: no FHIR package given: validating against base FHIR R4 4.0.1 only"
                    + " (meta.profile entries that are not base R4 profiles are not checked)");
        }
        out.printf(Locale.ROOT, "fhir-validator: validator ready in %.1f s; %d file(s) to check, %d thread(s)%n",
                startup, files.size(), o.threads());

        Totals totals = new Totals();
        long tv = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(o.threads(), r -> {
            Thread t = new Thread(r, "validate");
            t.setDaemon(true);
            return t;
        });
        try {
            for (Path f : files) {
                checkFile(f, v, pool, o, totals);
            }
        } finally {
            pool.shutdownNow();
        }
        double secs = (System.nanoTime() - tv) / 1e9;

        if (!v.unknownCodeSystemsSeen().isEmpty()) {
            out.println("fhir-validator: codes NOT checked (code system not available offline): "
                    + String.join(", ", v.unknownCodeSystemsSeen()));
        }
        if (totals.unknownCsSuppressed > 0) {
            out.println("fhir-validator: " + totals.unknownCsSuppressed + " more 'CodeSystem is unknown' warnings counted"
                    + " but not printed (first " + UNKNOWN_CS_PRINT_LIMIT + " per code system shown; --show-all prints all,"
                    + " --ignore-unknown-codesystems makes them information)");
        }
        if (!v.missingValueSetsSeen().isEmpty()) {
            out.println("fhir-validator: bindings NOT checked (value set not loaded): "
                    + String.join(", ", v.missingValueSetsSeen()));
        }
        out.printf(Locale.ROOT, "fhir-validator: validated %d resources in %.1f s (%.1f resources/s)%n",
                totals.resources, secs, secs > 0 ? totals.resources / secs : 0.0);
        out.println("fhir-validator: " + files.size() + " files, " + totals.resources + " resources, "
                + totals.errors + " errors, " + totals.warnings + " warnings; profiles checked: " + v.profilesChecked());
        if (totals.ioProblems > 0) {
            return 2;
        }
        return totals.errors > 0 ? 1 : 0;
    }

    static boolean isInputName(Path p) {
        String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
        return n.endsWith(".json") || n.endsWith(".ndjson");
    }

    static final class Totals {
        int resources;
        int errors;
        int warnings;
        int ioProblems;
        final Map<String, Integer> unknownCsPrinted = new java.util.HashMap<>();
        int unknownCsSuppressed;
    }

    /** One piece of JSON text to validate: a whole .json file or one NDJSON line. */
    record Doc(Path file, int ndjsonLine, String text) {}

    private void checkFile(Path f, PhrkitValidator v, ExecutorService pool, Options o, Totals totals) {
        String text;
        try {
            text = Files.readString(f, StandardCharsets.UTF_8);
        } catch (IOException | java.io.UncheckedIOException e) {
            err.println("fhir-validator: cannot read " + f + ": " + e.getMessage());
            out.println(f + ": I/O ERROR: " + e.getMessage());
            totals.ioProblems++;
            return;
        }
        if (text.startsWith("\uFEFF")) {
            text = text.substring(1);
        }
        List<Doc> docs = new ArrayList<>();
        if (f.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".ndjson")) {
            String[] lines = text.split("\r?\n", -1);
            for (int i = 0; i < lines.length; i++) {
                if (!lines[i].isBlank()) {
                    docs.add(new Doc(f, i + 1, lines[i]));
                }
            }
            if (docs.isEmpty()) {
                out.println(f + ": empty NDJSON file (0 resources)");
            }
        } else {
            docs.add(new Doc(f, 0, text));
        }
        List<Future<List<Issue>>> results = new ArrayList<>();
        for (Doc d : docs) {
            results.add(pool.submit(() -> validateDoc(v, d)));
        }
        for (int i = 0; i < docs.size(); i++) {
            List<Issue> issues;
            try {
                issues = results.get(i).get();
            } catch (Exception e) {
                Throwable c = e.getCause() != null ? e.getCause() : e;
                issues = List.of(new Issue(Issue.Severity.ERROR, "", null, null,
                        "validator failed: " + c, "phrkit-validator-crash"));
            }
            report(docs.get(i), issues, o, totals);
        }
    }

    private static List<Issue> validateDoc(PhrkitValidator v, Doc d) {
        try {
            JSON.readTree(d.text());
        } catch (IOException e) {
            String m = e.getMessage() == null ? e.toString() : e.getMessage().split("\n")[0];
            Integer line = null;
            Integer col = null;
            if (e instanceof com.fasterxml.jackson.core.JsonProcessingException jpe && jpe.getLocation() != null) {
                line = jpe.getLocation().getLineNr();
                col = jpe.getLocation().getColumnNr();
            }
            return List.of(new Issue(Issue.Severity.ERROR, "", line, col, "not valid JSON: " + m, "phrkit-json-syntax"));
        }
        return v.validate(d.text());
    }

    /** A resource of a document for reporting: the document's root, or one Bundle entry. */
    private record Unit(String label, boolean container, List<Issue> issues) {}

    private void report(Doc d, List<Issue> issues, Options o, Totals totals) {
        JsonNode root = null;
        try {
            root = JSON.readTree(d.text());
        } catch (IOException ignored) {
            // reported as an issue already
        }
        List<Unit> units = new ArrayList<>();
        String rootType = root != null && root.isObject() ? root.path("resourceType").asText("") : "";
        String rootLabel = label(root, rootType);
        JsonNode entries = root != null ? root.path("entry") : null;
        boolean bundle = rootType.equals("Bundle");
        Unit rootUnit;
        if (bundle) {
            int n = entries.isArray() ? entries.size() : 0;
            String type = root.path("type").asText("?");
            rootUnit = new Unit(rootLabel + " (" + type + ", " + n + " entries)", true, new ArrayList<>());
            units.add(rootUnit);
            for (int i = 0; i < n; i++) {
                JsonNode e = entries.get(i);
                JsonNode r = e.path("resource");
                String rt = r.path("resourceType").asText("(no resource)");
                String full = e.path("fullUrl").asText("");
                String id = r.path("id").asText("");
                String name = !full.isEmpty() ? full : (!id.isEmpty() ? rt + "/" + id : "(no id)");
                units.add(new Unit("entry[" + i + "] " + rt + " " + name, false, new ArrayList<>()));
            }
        } else {
            rootUnit = new Unit(rootLabel, false, new ArrayList<>());
            units.add(rootUnit);
        }
        for (Issue i : issues) {
            Unit target = rootUnit;
            if (bundle) {
                Matcher m = ENTRY_LOC.matcher(i.location());
                if (m.find()) {
                    int idx = Integer.parseInt(m.group(1));
                    if (idx + 1 < units.size()) {
                        target = units.get(idx + 1);
                    }
                }
            }
            target.issues().add(i);
        }

        String where = d.ndjsonLine() > 0 ? d.file() + ":" + d.ndjsonLine() : d.file().toString();
        for (Unit u : units) {
            int e = 0;
            int w = 0;
            int inf = 0;
            for (Issue i : u.issues()) {
                switch (i.severity()) {
                    case ERROR -> e++;
                    case WARNING -> w++;
                    default -> inf++;
                }
            }
            if (!u.container()) {
                totals.resources++;
            }
            totals.errors += e;
            totals.warnings += w;
            out.println(where + ": " + u.label() + ": " + e + " errors, " + w + " warnings, " + inf + " info"
                    + (e == 0 && !u.container() ? " - OK" : ""));
            for (Issue i : u.issues()) {
                if (i.severity() == Issue.Severity.INFORMATION && !o.showInfo()) {
                    continue;
                }
                Matcher cs = UNKNOWN_CS.matcher(i.message());
                if (!o.showAll() && i.severity() == Issue.Severity.WARNING && cs.find()) {
                    int n = totals.unknownCsPrinted.merge(cs.group(1), 1, Integer::sum);
                    if (n > UNKNOWN_CS_PRINT_LIMIT) {
                        totals.unknownCsSuppressed++;
                        continue;
                    }
                }
                out.println("  " + i.severity() + " " + position(d, i) + " " + (i.location().isEmpty() ? "" : i.location() + ": ")
                        + i.message());
            }
        }
    }

    private static String position(Doc d, Issue i) {
        StringBuilder sb = new StringBuilder(d.file().toString());
        if (d.ndjsonLine() > 0) {
            int line = d.ndjsonLine() + (i.line() != null && i.line() > 1 ? i.line() - 1 : 0);
            sb.append(':').append(line);
            if (i.col() != null) sb.append(':').append(i.col());
        } else if (i.line() != null && i.line() > 0) {
            sb.append(':').append(i.line());
            if (i.col() != null) sb.append(':').append(i.col());
        }
        return sb.toString();
    }

    private static String label(JsonNode r, String type) {
        if (r == null || !r.isObject()) {
            return "(not a JSON object)";
        }
        if (type.isEmpty()) {
            return "(no resourceType)";
        }
        String id = r.path("id").asText("");
        return id.isEmpty() ? type + " (no id)" : type + "/" + id;
    }

    /** For tests: counts of a run. */
    static Map<String, Integer> countsOf(String output) {
        Matcher m = Pattern.compile("fhir-validator: (\\d+) files, (\\d+) resources, (\\d+) errors, (\\d+) warnings").matcher(output);
        if (!m.find()) {
            return Map.of();
        }
        return Map.of("files", Integer.parseInt(m.group(1)), "resources", Integer.parseInt(m.group(2)),
                "errors", Integer.parseInt(m.group(3)), "warnings", Integer.parseInt(m.group(4)));
    }
}
