package dev.phrkit.fhirvalidator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.GZIPInputStream;

/**
 * A FHIR NPM package (.tgz) read into memory: its id/version from package/package.json and the
 * conformance resources (StructureDefinition, ValueSet, CodeSystem, NamingSystem) lying directly in
 * package/. Examples in sub-folders (package/example/, package/other/ ...) are ignored, and so are
 * instance examples in package/ itself (anything whose resourceType is not one of the four).
 */
public final class FhirPackage {

    /** The resource types taken from a package. */
    public static final Set<String> CONFORMANCE_TYPES =
            Set.of("StructureDefinition", "ValueSet", "CodeSystem", "NamingSystem");

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final String name;
    private final String version;
    private final String canonical;
    /** file name inside package/ -> raw JSON, in tarball order, conformance resources only. */
    private final Map<String, String> resources;
    private final Map<String, Integer> countsByType;

    private FhirPackage(Path file, String name, String version, String canonical, Map<String, String> resources,
                        Map<String, Integer> countsByType) {
        this.file = file;
        this.canonical = canonical;
        this.name = name;
        this.version = version;
        this.resources = resources;
        this.countsByType = countsByType;
    }

    public Path file() { return file; }
    public String name() { return name; }
    public String version() { return version; }
    /** The package's canonical base (package.json "canonical", else "url"), or null. */
    public String canonical() { return canonical; }
    /** {@code name#version}, the usual FHIR package id. */
    public String id() { return name + "#" + version; }
    public Map<String, String> resources() { return Collections.unmodifiableMap(resources); }
    public Map<String, Integer> countsByType() { return Collections.unmodifiableMap(countsByType); }

    /** Reads a FHIR package tarball. Throws IOException when it is not a readable .tgz FHIR package. */
    public static FhirPackage read(Path tgz) throws IOException {
        String name = null;
        String version = null;
        String canonical = null;
        Map<String, String> resources = new LinkedHashMap<>();
        Map<String, Integer> counts = new LinkedHashMap<>();
        try (InputStream in = new GZIPInputStream(Files.newInputStream(tgz), 1 << 16)) {
            for (TarEntry e : readTar(in)) {
                String path = e.name.startsWith("./") ? e.name.substring(2) : e.name;
                if (!path.startsWith("package/")) {
                    continue;
                }
                String rel = path.substring("package/".length());
                if (rel.contains("/") || !rel.endsWith(".json")) {
                    continue; // sub-folders (examples, other, openapi) and non-JSON files
                }
                String text = new String(e.data, StandardCharsets.UTF_8);
                if (rel.equals("package.json")) {
                    JsonNode pj = JSON.readTree(text);
                    name = pj.path("name").asText(null);
                    version = pj.path("version").asText(null);
                    canonical = pj.path("canonical").asText(pj.path("url").asText(null));
                    if (canonical != null && canonical.endsWith("/")) {
                        canonical = canonical.substring(0, canonical.length() - 1);
                    }
                    continue;
                }
                if (rel.startsWith(".")) {
                    continue; // .index.json
                }
                String type;
                try {
                    type = JSON.readTree(text).path("resourceType").asText("");
                } catch (IOException bad) {
                    throw new IOException(tgz + ": package/" + rel + " is not valid JSON: " + bad.getMessage(), bad);
                }
                if (CONFORMANCE_TYPES.contains(type)) {
                    resources.put(rel, text);
                    counts.merge(type, 1, Integer::sum);
                }
            }
        } catch (EOFException | java.util.zip.ZipException z) {
            throw new IOException(tgz + ": not a gzip'd tar file (" + z.getMessage() + ")", z);
        }
        if (name == null || version == null) {
            throw new IOException(tgz + ": no package/package.json with name and version; not a FHIR package");
        }
        return new FhirPackage(tgz, name, version, canonical, resources, counts);
    }

    // ---- a small tar reader (ustar + GNU long names + pax 'path'), enough for FHIR npm packages ----

    record TarEntry(String name, byte[] data) {}

    static List<TarEntry> readTar(InputStream in) throws IOException {
        List<TarEntry> out = new ArrayList<>();
        byte[] header = new byte[512];
        String pendingLongName = null;
        while (true) {
            if (!readFully(in, header)) {
                break; // clean end without the two zero blocks
            }
            if (isZero(header)) {
                break;
            }
            String name = cString(header, 0, 100);
            long size = parseOctal(header, 124, 12);
            char type = (char) header[156];
            String magic = cString(header, 257, 6);
            if (magic.startsWith("ustar")) {
                String prefix = cString(header, 345, 155);
                if (!prefix.isEmpty()) {
                    name = prefix + "/" + name;
                }
            }
            if (size < 0 || size > Integer.MAX_VALUE - 16) {
                throw new IOException("tar entry too large or corrupt: " + name);
            }
            byte[] data = new byte[(int) size];
            if (!readFully(in, data)) {
                throw new IOException("tar truncated in entry " + name);
            }
            long pad = (512 - (size % 512)) % 512;
            skipFully(in, pad);
            if (type == 'L') { // GNU long name for the next entry
                pendingLongName = cString(data, 0, data.length);
                continue;
            }
            if (type == 'x') { // pax extended header: look for path=
                String pax = new String(data, StandardCharsets.UTF_8);
                for (String line : pax.split("\n")) {
                    int sp = line.indexOf(' ');
                    if (sp > 0 && line.startsWith("path=", sp + 1)) {
                        pendingLongName = line.substring(sp + 1 + "path=".length());
                    }
                }
                continue;
            }
            if (type == 'g') {
                continue;
            }
            if (pendingLongName != null) {
                name = pendingLongName;
                pendingLongName = null;
            }
            if (type == '0' || type == '\0' || type == '7') {
                out.add(new TarEntry(name, data));
            }
        }
        return out;
    }

    private static boolean readFully(InputStream in, byte[] buf) throws IOException {
        int off = 0;
        while (off < buf.length) {
            int n = in.read(buf, off, buf.length - off);
            if (n < 0) {
                if (off == 0) {
                    return false;
                }
                throw new EOFException("unexpected end of tar stream");
            }
            off += n;
        }
        return true;
    }

    private static void skipFully(InputStream in, long n) throws IOException {
        byte[] tmp = new byte[512];
        while (n > 0) {
            int r = in.read(tmp, 0, (int) Math.min(tmp.length, n));
            if (r < 0) {
                return; // tolerate missing final padding
            }
            n -= r;
        }
    }

    private static boolean isZero(byte[] b) {
        for (byte x : b) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }

    private static String cString(byte[] b, int off, int len) {
        int end = off;
        while (end < off + len && end < b.length && b[end] != 0) {
            end++;
        }
        return new String(b, off, end - off, StandardCharsets.UTF_8);
    }

    private static long parseOctal(byte[] b, int off, int len) throws IOException {
        if ((b[off] & 0x80) != 0) { // GNU base-256 size
            long v = 0;
            for (int i = off + 1; i < off + len; i++) {
                v = (v << 8) | (b[i] & 0xff);
            }
            return v;
        }
        String s = cString(b, off, len).trim();
        if (s.isEmpty()) {
            return 0;
        }
        try {
            return Long.parseLong(s, 8);
        } catch (NumberFormatException e) {
            throw new IOException("corrupt tar header (size field '" + s + "')");
        }
    }

}
