"""phrkit: Japanese personal health records to and from HL7 FHIR R4 (JP Core).

Everything here is the native core (``phrkit._native``, written in Rust) re-exported under stable names::

    import phrkit
    ds = phrkit.read("export.ndjson")          # or bytes; format detected
    ds.describe()                              # counts per type, time range, sources
    df = ds.to_pandas()                        # tidy measurements table (needs pandas + pyarrow)
    bundle = ds.to_fhir(bundle_type="transaction")

Errors derive from :class:`PhrError` and carry ``.code``, ``.location`` and ``.line``.

TODO(consent/pseudonymise): ``phrkit.policy`` (ConsentPolicy, Pseudonymiser) lands in the core later;
it will be bound as ``Dataset.apply(policy)`` / ``phrkit.ConsentPolicy`` and raise ``ConsentDenied`` /
``PseudonymKeyError`` (the exception classes exist already).
"""

from phrkit._native import (
    ApiMisuseError,
    ArrowTable,
    ConfigError,
    ConsentDenied,
    Dataset,
    FormatError,
    InvalidRecordError,
    LimitExceeded,
    Measurement,
    PhrError,
    PseudonymKeyError,
    Report,
    Subject,
    __version__,
    from_fhir,
    read,
)

__all__ = [
    "ApiMisuseError",
    "ArrowTable",
    "ConfigError",
    "ConsentDenied",
    "Dataset",
    "FormatError",
    "InvalidRecordError",
    "LimitExceeded",
    "Measurement",
    "PhrError",
    "PseudonymKeyError",
    "Report",
    "Subject",
    "__version__",
    "from_fhir",
    "read",
]
