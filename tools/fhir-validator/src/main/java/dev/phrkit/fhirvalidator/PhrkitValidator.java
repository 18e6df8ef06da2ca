package dev.phrkit.fhirvalidator;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.support.DefaultProfileValidationSupport;
import ca.uhn.fhir.context.support.IValidationSupport;
import ca.uhn.fhir.parser.IParser;
import ca.uhn.fhir.validation.FhirValidator;
import ca.uhn.fhir.validation.SingleValidationMessage;
import ca.uhn.fhir.validation.ValidationResult;
import org.hl7.fhir.common.hapi.validation.support.CommonCodeSystemsTerminologyService;
import org.hl7.fhir.common.hapi.validation.support.InMemoryTerminologyServerValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.PrePopulatedValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.SnapshotGeneratingValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.UnknownCodeSystemWarningValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.ValidationSupportChain;
import org.hl7.fhir.common.hapi.validation.validator.FhirInstanceValidator;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r5.utils.validation.constants.BestPracticeWarningLevel;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Offline FHIR R4 validator for phrkit output: HAPI's {@link FhirInstanceValidator} over a
 * {@link ValidationSupportChain} of the given FHIR packages, the base R4 definitions and the
 * offline terminology services, with phrkit's post-processing of the messages (see README.md).
 *
 * <p>Creating one is slow (seconds: HAPI loads the R4 definitions and, on first use, builds its
 * caches); reuse one instance for many resources. {@link #validate(String)} is thread-safe.
 */
public final class PhrkitValidator {

    /** Message ids of HAPI's "profile in meta.profile could not be found" messages. */
    private static final Pattern PROFILE_UNKNOWN_TEXT = Pattern.compile(
            "Profile reference '([^']+)' has not been checked because it (?:could not be found|is unknown)"
            + "|Failed to retrieve profile with url=(\\S+)");
    private static final Pattern UNKNOWN_EXTENSION = Pattern.compile("^Unknown extension (\\S+)");
    private static final Pattern VALUESET_NOT_FOUND = Pattern.compile("^ValueSet '([^']+)' not found");
    /** Namespace of the extensions defined by FHIR R4 core itself (all of them ship with the validator). */
    static final String HL7_CORE_EXTENSION_NS = "http://hl7.org/fhir/StructureDefinition/";
    private static final Pattern UNKNOWN_CS_URL =
            Pattern.compile("(?:CodeSystem is unknown and can't be validated: |A definition for CodeSystem ')([^' ]+)");
    private static final Pattern CODES_LIST = Pattern.compile("\\(codes = ([^)]*)\\)\\s*$");
    private static final boolean DEBUG = Boolean.getBoolean("fhirvalidator.debug");
    private static final Pattern COMMENT = Pattern.compile("/\\*.*?\\*/");

    private final FhirContext ctx;
    private final ValidationSupportChain chain;
    private final FhirValidator validator;
    private final List<FhirPackage> packages;
    private final boolean ignoreUnknownCodeSystems;
    private final Map<String, Boolean> codeSystemKnown = new ConcurrentHashMap<>();
    private final Set<String> unknownCodeSystemsSeen = Collections.synchronizedSet(new TreeSet<>());
    private final Set<String> missingValueSetsSeen = Collections.synchronizedSet(new TreeSet<>());

    /** Thrown when the given packages cannot be used together. */
    public static final class ConfigException extends Exception {
        public ConfigException(String msg) { super(msg); }
    }

    /**
     * @param packages                 FHIR packages whose conformance resources are loaded (may be empty)
     * @param ignoreUnknownCodeSystems report codes from code systems unavailable offline as
     *                                 INFORMATION instead of WARNING
     */
    public PhrkitValidator(List<FhirPackage> packages, boolean ignoreUnknownCodeSystems) throws ConfigException {
        this.packages = List.copyOf(packages);
        this.ignoreUnknownCodeSystems = ignoreUnknownCodeSystems;
        this.ctx = FhirContext.forR4();
        // HAPI's lenient parser logs every unknown element at WARN while it loads definitions; the
        // validator reports such problems itself, so the parser stays silent.
        ctx.setParserErrorHandler(new ca.uhn.fhir.parser.ErrorHandlerAdapter());

        List<IValidationSupport> supports = new ArrayList<>();
        Map<String, String> definedBy = new HashMap<>();
        IParser parser = ctx.newJsonParser();
        for (FhirPackage pkg : this.packages) {
            PrePopulatedValidationSupport pre = new PrePopulatedValidationSupport(ctx);
            for (Map.Entry<String, String> e : pkg.resources().entrySet()) {
                IBaseResource r;
                try {
                    r = parser.parseResource(e.getValue());
                } catch (RuntimeException bad) {
                    throw new ConfigException(pkg.file() + ": cannot parse package/" + e.getKey() + ": " + bad.getMessage());
                }
                String type = ctx.getResourceType(r);
                String url = urlOf(r);
                if (url != null && !type.equals("NamingSystem")) {
                    String key = type + "|" + url;
                    String prev = definedBy.putIfAbsent(key, pkg.id());
                    if (prev != null && !prev.equals(pkg.id())) {
                        throw new ConfigException("packages " + prev + " and " + pkg.id() + " both define " + type + " " + url
                                + " (they are variants of one package); validate once per package instead");
                    }
                }
                switch (type) {
                    case "StructureDefinition" -> pre.addStructureDefinition(r);
                    case "ValueSet" -> pre.addValueSet(r);
                    case "CodeSystem" -> pre.addCodeSystem(r);
                    default -> pre.addResource(r); // NamingSystem: kept for completeness
                }
            }
            supports.add(pre);
        }
        supports.add(new DefaultProfileValidationSupport(ctx));
        supports.add(new SnapshotGeneratingValidationSupport(ctx));
        supports.add(new InMemoryTerminologyServerValidationSupport(ctx));
        supports.add(new CommonCodeSystemsTerminologyService(ctx));
        UnknownCodeSystemWarningValidationSupport unknownCs = new UnknownCodeSystemWarningValidationSupport(ctx);
        unknownCs.setNonExistentCodeSystemSeverity(IValidationSupport.IssueSeverity.WARNING);
        supports.add(unknownCs);
        this.chain = new ValidationSupportChain(supports);

        FhirInstanceValidator instance = new FhirInstanceValidator(chain);
        // Extensions whose definition is not loaded: INFORMATION "Unknown extension" (HAPI default,
        // made explicit). Extensions under hl7.org that do not exist stay errors in the core validator.
        instance.setAnyExtensionsAllowed(true);
        // meta.profile naming a profile that is not loaded: warning (rewritten below), not error.
        instance.setErrorForUnknownProfiles(false);
        // dom-6 "should have narrative", "observations should have a performer": not phrkit's contract.
        instance.setBestPracticeWarningLevel(BestPracticeWarningLevel.Ignore);
        instance.setNoTerminologyChecks(false);

        this.validator = ctx.newValidator();
        validator.setValidateAgainstStandardSchema(false);
        validator.setValidateAgainstStandardSchematron(false);
        validator.registerValidatorModule(instance);
    }

    public List<FhirPackage> packages() { return packages; }

    /** The package ids profiles come from, or {@code "base R4 only"}. */
    public String profilesChecked() {
        if (packages.isEmpty()) {
            return "base R4 only";
        }
        List<String> ids = new ArrayList<>();
        for (FhirPackage p : packages) {
            ids.add(p.id());
        }
        return String.join(", ", ids);
    }

    /** Code systems met so far that are not available offline (so their codes were not checked). */
    public Set<String> unknownCodeSystemsSeen() {
        synchronized (unknownCodeSystemsSeen) {
            return new TreeSet<>(unknownCodeSystemsSeen);
        }
    }

    /** Value sets named by bindings that are not loaded (so those bindings were not checked). */
    public Set<String> missingValueSetsSeen() {
        synchronized (missingValueSetsSeen) {
            return new TreeSet<>(missingValueSetsSeen);
        }
    }

    /** True when a StructureDefinition with this canonical URL (optionally |version) is loaded. */
    public boolean isProfileLoaded(String url) {
        String u = url.contains("|") ? url.substring(0, url.indexOf('|')) : url;
        return chain.fetchStructureDefinition(u) != null;
    }

    /** Runs the validator once on a small resource, so that HAPI's lazy start-up is paid here. */
    public void warmUp() {
        validate("{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"text\":\"warm-up\"}}");
    }

    /** Validates one resource (a Bundle is validated as a whole, entries included) given as JSON text. */
    public List<Issue> validate(String json) {
        ValidationResult result = validator.validateWithResult(json);
        List<Issue> raw = new ArrayList<>();
        for (SingleValidationMessage m : result.getMessages()) {
            Issue.Severity sev = switch (m.getSeverity()) {
                case FATAL, ERROR -> Issue.Severity.ERROR;
                case WARNING -> Issue.Severity.WARNING;
                default -> Issue.Severity.INFORMATION;
            };
            String loc = m.getLocationString() == null ? "" : COMMENT.matcher(m.getLocationString()).replaceAll("");
            raw.add(new Issue(sev, loc, m.getLocationLine(), m.getLocationCol(),
                    m.getMessage() == null ? "" : m.getMessage().strip(), m.getMessageId()));
        }
        return postProcess(raw);
    }

    private List<Issue> postProcess(List<Issue> raw) {
        // Deduplicate: HAPI sometimes reports one thing twice (e.g. once per profile, or an unknown
        // profile both at meta.profile and, without a location, for the resource).
        Map<String, Issue> out = new LinkedHashMap<>();
        for (Issue i : raw) {
            Issue p = rewrite(i);
            String key = p.messageId() != null && p.messageId().startsWith("phrkit-profile")
                    ? p.messageId() + "|" + p.message()
                    : p.severity() + "|" + p.location() + "|" + p.message();
            Issue prev = out.get(key);
            if (prev == null || (prev.line() == null || prev.line() <= 0) && p.line() != null && p.line() > 0) {
                out.put(key, p);
            }
        }
        return new ArrayList<>(out.values());
    }

    private Issue rewrite(Issue i) {
        String msg = i.message();
        // 1. meta.profile not loaded -> WARNING, unless it is under a loaded package's canonical base
        //    (then it is a wrong profile URL: ERROR).
        Matcher pm = PROFILE_UNKNOWN_TEXT.matcher(msg);
        if (pm.find()) {
            String url = pm.group(1) != null ? pm.group(1) : pm.group(2);
            for (FhirPackage p : packages) {
                String base = p.canonical();
                if (base != null && url.startsWith(base + "/")) {
                    return i.withMessage(Issue.Severity.ERROR, "profile " + url + " is not defined in loaded package "
                            + p.id() + " (wrong profile URL?)", "phrkit-profile-not-in-package");
                }
            }
            return i.withMessage(Issue.Severity.WARNING, "profile not loaded, checked against base R4 only: " + url,
                    "phrkit-profile-not-loaded");
        }
        // 1b. An extension whose definition is not loaded: INFORMATION (HAPI's choice with
        //     anyExtensionsAllowed) for other domains, ERROR in FHIR core's own namespace, where every
        //     R4 extension is known, so an unknown one is a misspelt URL.
        Matcher em = UNKNOWN_EXTENSION.matcher(msg);
        if (em.find() && em.group(1).startsWith(HL7_CORE_EXTENSION_NS)) {
            return i.withMessage(Issue.Severity.ERROR, "unknown extension " + em.group(1)
                    + ": not an extension of FHIR R4 core nor of a loaded package (misspelt URL?)",
                    "phrkit-unknown-core-extension");
        }
        // 1c. A binding to a value set that is not loaded (e.g. JP Core 1.1.2 binds to value sets it
        //     does not ship): the resource cannot be judged, so INFORMATION; listed in the summary.
        Matcher vm = VALUESET_NOT_FOUND.matcher(msg);
        if (vm.find() && i.severity() != Issue.Severity.ERROR) {
            missingValueSetsSeen.add(vm.group(1));
            return i.withMessage(Issue.Severity.INFORMATION, msg + " [binding not checked]", i.messageId());
        }
        // 2. A code from a code system that is not available offline.
        Matcher cm = UNKNOWN_CS_URL.matcher(msg);
        if (i.severity() != Issue.Severity.ERROR && cm.find()) {
            unknownCodeSystemsSeen.add(cm.group(1));
            return ignoreUnknownCodeSystems ? i.withSeverity(Issue.Severity.INFORMATION) : i;
        }
        // 3. "None of the codings provided are in the value set ..." for a non-required binding, when
        //    some of the codings are from code systems not available offline: the validator could not
        //    judge membership, so this is information, not a warning.
        if (i.severity() == Issue.Severity.WARNING && i.messageId() != null
                && i.messageId().startsWith("Terminology_TX_NoValid_")) {
            Matcher codes = CODES_LIST.matcher(msg);
            if (codes.find() && anyUnknownSystem(codes.group(1))) {
                return i.withMessage(Issue.Severity.INFORMATION,
                        msg + " [not judged: code system not available offline]", i.messageId());
            }
        }
        if (DEBUG) {
            return i.withMessage(i.severity(), i.message() + " [" + i.messageId() + "]", i.messageId());
        }
        return i;
    }

    private boolean anyUnknownSystem(String codesList) {
        for (String c : codesList.split(",\\s*")) {
            int hash = c.lastIndexOf('#');
            String system = hash > 0 ? c.substring(0, hash).trim() : c.trim();
            if (system.contains("|")) {
                system = system.substring(0, system.indexOf('|'));
            }
            if (!system.isEmpty() && !isCodeSystemKnown(system)) {
                return true;
            }
        }
        return false;
    }

    private boolean isCodeSystemKnown(String system) {
        return codeSystemKnown.computeIfAbsent(system, s -> {
            if (chain.fetchCodeSystem(s) != null) {
                return true;
            }
            var vsc = new ca.uhn.fhir.context.support.ValidationSupportContext(chain);
            for (IValidationSupport sup : chain.getValidationSupports()) {
                if (sup instanceof UnknownCodeSystemWarningValidationSupport) {
                    continue;
                }
                if (sup.isCodeSystemSupported(vsc, s)) {
                    return true;
                }
            }
            return false;
        });
    }

    private String urlOf(IBaseResource r) {
        var t = ctx.newTerser();
        return t.getSinglePrimitiveValueOrNull(r, "url");
    }
}
