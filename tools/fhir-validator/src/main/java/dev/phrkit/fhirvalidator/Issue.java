package dev.phrkit.fhirvalidator;

/**
 * One validation finding after phrkit's post-processing.
 *
 * @param severity   ERROR, WARNING or INFORMATION (HAPI's FATAL is folded into ERROR)
 * @param location   FHIRPath-like location, e.g. {@code Bundle.entry[1].resource.component[0].code}
 * @param line       1-based line in the JSON text that was validated (null when unknown)
 * @param col        1-based column (null when unknown)
 * @param message    human-readable message
 * @param messageId  HAPI / core validator message id, or a {@code phrkit-...} id for rewritten messages
 */
public record Issue(Severity severity, String location, Integer line, Integer col, String message,
                    String messageId) {

    public enum Severity { ERROR, WARNING, INFORMATION }

    public boolean isError() { return severity == Severity.ERROR; }
    public boolean isWarning() { return severity == Severity.WARNING; }

    Issue withSeverity(Severity s) { return new Issue(s, location, line, col, message, messageId); }
    Issue withMessage(Severity s, String msg, String id) { return new Issue(s, location, line, col, msg, id); }
}
