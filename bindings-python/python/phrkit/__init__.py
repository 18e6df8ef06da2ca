"""phrkit: Japanese personal health records to and from HL7 FHIR R4 (JP Core).

Everything here is the native core (``phrkit._native``, written in Rust) re-exported under stable names::

    import phrkit
    ds = phrkit.read("export.ndjson")          # or bytes; format detected
    ds.describe()                              # counts per type, time range, sources
    df = ds.to_pandas()                        # tidy measurements table (needs pandas + pyarrow)
    bundle = ds.to_fhir(bundle_type="transaction")

Errors derive from :class:`PhrError` and carry ``.code``, ``.location`` and ``.line``.

Consent and pseudonymisation (``phrkit::policy``)::

    consent = phrkit.ConsentPolicy.from_fhir(open("consent.json").read())
    out = phrkit.export_with_consent(ds, [consent], "Organization/x", (system, code))
    key = phrkit.PseudonymKey.from_file("pseudonym.key")
    pseudo, changes = ds.pseudonymise(key)
    anon, changes = ds.anonymise(k=5)
"""

from phrkit._native import (
    ApiMisuseError,
    ArrowTable,
    Checkup,
    ConfigError,
    ConsentDenied,
    ConsentPolicy,
    ConsentedExport,
    Dataset,
    Decision,
    FormatError,
    Immunization,
    InvalidRecordError,
    LimitExceeded,
    Measurement,
    MedicalExpense,
    MedicationDispense,
    PhrError,
    PseudonymKey,
    PseudonymKeyError,
    Pseudonymiser,
    Report,
    Subject,
    __version__,
    export_with_consent,
    formats,
    from_fhir,
    read,
)

__all__ = [
    "ApiMisuseError",
    "ArrowTable",
    "Checkup",
    "ConfigError",
    "ConsentDenied",
    "ConsentPolicy",
    "ConsentedExport",
    "Dataset",
    "Decision",
    "FormatError",
    "Immunization",
    "InvalidRecordError",
    "LimitExceeded",
    "Measurement",
    "MedicalExpense",
    "MedicationDispense",
    "PhrError",
    "PseudonymKey",
    "PseudonymKeyError",
    "Pseudonymiser",
    "Report",
    "Subject",
    "__version__",
    "export_with_consent",
    "formats",
    "from_fhir",
    "read",
]
