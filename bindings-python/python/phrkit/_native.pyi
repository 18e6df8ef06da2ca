"""Type stubs of the native module ``phrkit._native`` (checked against the module by tests/test_stubs.py)."""

import datetime
import decimal
import os
from collections.abc import Iterator, Sequence
from typing import Any, Literal, Optional, Union, final

__version__: str
__all__ = [
    "ApiMisuseError",
    "ArrowTable",
    "Checkup",
    "ConfigError",
    "ConsentDenied",
    "ConsentPolicy",
    "ConsentedExport",
    "Dataset",
    "DatasetIter",
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

_StrPath = Union[str, "os.PathLike[str]"]
_BundleType = Literal["collection", "transaction"]
_OutputFormat = Literal["ndjson", "fhir-ndjson", "collection", "bundle", "transaction"]
_InputFormat = Literal[
    "fhir-json",
    "fhir-ndjson",
    "kenshin-cda-xml",
    "kenshin-archive",
    "myna-expense-csv",
    "mapped",
    "apple-health-xml",
    "apple-health-zip",
    "device-csv",
    "takeout-json",
    "takeout-zip",
    "health-connect",
    "json",
    "bundle",
    "ndjson",
]
_TableName = Literal["measurements", "subjects", "checkups", "medications", "immunizations", "expenses"]
_Record = Union[
    Measurement, Subject, Checkup, MedicationDispense, Immunization, MedicalExpense, dict[str, Any]
]
_Purpose = tuple[str, str]
_DedupStrategy = Literal["keep-all", "source-priority", "hc-priority", "max-per-bucket"]
_Cell = Union[str, float, int, datetime.date, None]

def read(
    source: Union[_StrPath, bytes, bytearray],
    format: Optional[_InputFormat] = None,
    strict: bool = False,
    progress: bool = False,
    mapping: Optional[_StrPath] = None,
) -> Dataset:
    """Read a file (path) or in-memory input (bytes) into a Dataset; format detected unless given.

    ``mapping`` (a mapping file path) reads a source through it (マイナポータル medications, immunizations).
    """

def formats() -> list[str]:
    """Input format names the core knows (``format=`` also takes ``json``, ``bundle``, ``ndjson``)."""

def export_with_consent(
    dataset: Dataset,
    consents: Sequence[ConsentPolicy],
    recipient: str,
    purpose: _Purpose,
    at: Optional[datetime.datetime] = None,
    bundle_type: _OutputFormat = "collection",
    danger_local_no_consent: bool = False,
    pseudonymiser: Optional[Pseudonymiser] = None,
) -> ConsentedExport:
    """Export to a third party under consent; raises ConsentDenied without one."""

def from_fhir(data: Union[str, bytes, bytearray], strict: bool = False) -> Dataset:
    """Read FHIR JSON (Bundle or one resource) or NDJSON given as text or bytes."""

@final
class Dataset:
    """Records of one read, in input order, with the account of the read."""

    def __len__(self) -> int: ...
    def __iter__(self) -> DatasetIter: ...
    def __getitem__(self, index: int, /) -> _Record: ...
    def __eq__(self, other: object, /) -> bool: ...
    @property
    def report(self) -> Report: ...
    def by_type(self) -> dict[str, int]: ...
    def filter(
        self,
        type: Union[str, Sequence[str], None] = None,
        start: Optional[datetime.datetime] = None,
        end: Optional[datetime.datetime] = None,
        keep_subjects: bool = True,
    ) -> Dataset: ...
    def dedup(
        self,
        strategy: _DedupStrategy = "keep-all",
        *,
        priority: Optional[Sequence[str]] = None,
        bucket_minutes: int = 60,
        health_connect: Union[_StrPath, bytes, bytearray, None] = None,
    ) -> Dataset:
        """A copy without the duplicates ``strategy`` drops; ``report.duplicates`` counts them per type.

        ``priority`` (``source-priority``): source patterns, highest first. ``health_connect``
        (``hc-priority``): the export's path or bytes. ``bucket_minutes``: for ``max-per-bucket``.
        """
    def describe(self) -> dict[str, Any]: ...
    def to_fhir(
        self,
        bundle_type: _BundleType = "collection",
        *,
        consent: Optional[Sequence[ConsentPolicy]] = None,
        recipient: Optional[str] = None,
        purpose: Optional[_Purpose] = None,
        at: Optional[datetime.datetime] = None,
        danger_local_no_consent: bool = False,
    ) -> str: ...
    def pseudonymise(
        self,
        key_or_pseudonymiser: Union[PseudonymKey, Pseudonymiser],
        profile: Union[str, os.PathLike[str], None] = None,
        *,
        reference_date: Optional[datetime.date] = None,
        context: str = "",
        date_shift: Optional[bool] = None,
    ) -> tuple[Dataset, dict[str, Any]]: ...
    def anonymise(
        self,
        k: int = 5,
        quasi_identifiers: Optional[Sequence[str]] = None,
        *,
        outlier_fraction: Optional[float] = None,
        max_suppressed_fraction: Optional[float] = None,
        reference_date: Optional[datetime.date] = None,
    ) -> tuple[Dataset, dict[str, Any]]: ...
    @property
    def labelled(self) -> bool: ...
    def to_ndjson(self) -> str: ...
    def write(self, path: _StrPath, format: _OutputFormat = "ndjson") -> Report: ...
    def tables(self) -> list[str]: ...
    def table(self, name: _TableName = "measurements") -> ArrowTable: ...
    def to_arrow(self, table: _TableName = "measurements") -> Any:
        """A ``pyarrow.Table`` (pyarrow is optional, so typed as Any)."""
    def to_pandas(self, table: _TableName = "measurements") -> Any:
        """A ``pandas.DataFrame`` (pandas + pyarrow are optional, so typed as Any)."""
    def to_polars(self, table: _TableName = "measurements") -> Any:
        """A ``polars.DataFrame`` (polars is optional, so typed as Any)."""

@final
class DatasetIter:
    def __iter__(self) -> DatasetIter: ...
    def __next__(self) -> _Record: ...

@final
class Measurement:
    """One lifelog measurement (read-only)."""

    @property
    def type(self) -> Literal["measurement"]: ...
    @property
    def kind(self) -> str: ...
    @property
    def effective_type(self) -> Literal["instant", "period", "date"]: ...
    @property
    def start(self) -> Optional[datetime.datetime]: ...
    @property
    def end(self) -> Optional[datetime.datetime]: ...
    @property
    def date(self) -> datetime.date: ...
    @property
    def value(self) -> Optional[float]: ...
    @property
    def decimal(self) -> Optional[decimal.Decimal]: ...
    @property
    def unit(self) -> Optional[str]: ...
    @property
    def value_text(self) -> Optional[str]: ...
    @property
    def systolic(self) -> Optional[float]: ...
    @property
    def diastolic(self) -> Optional[float]: ...
    @property
    def source(self) -> Optional[dict[str, Optional[str]]]: ...
    @property
    def source_name(self) -> Optional[str]: ...
    @property
    def recorded(self) -> Optional[datetime.datetime]: ...
    @property
    def identifier(self) -> Optional[str]: ...
    @property
    def metadata(self) -> list[tuple[str, str]]: ...
    @property
    def sleep_stages(self) -> list[tuple[str, datetime.datetime, datetime.datetime]]: ...
    @property
    def workout(self) -> Optional[dict[str, Any]]: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class Subject:
    """The person following records are about; ``repr()`` masks every value."""

    @property
    def type(self) -> Literal["subject"]: ...
    @property
    def insured_id(self) -> Optional[str]: ...
    @property
    def identifiers(self) -> list[tuple[str, str]]: ...
    @property
    def name_kanji(self) -> Optional[str]: ...
    @property
    def name_kana(self) -> Optional[str]: ...
    @property
    def birth_date(self) -> Optional[datetime.date]: ...
    @property
    def sex(self) -> Optional[str]: ...
    @property
    def postal_code(self) -> Optional[str]: ...
    @property
    def prefecture(self) -> Optional[str]: ...
    @property
    def address(self) -> Optional[str]: ...
    def is_empty(self) -> bool: ...
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

class _CareRecord:
    @property
    def date(self) -> Optional[datetime.date]: ...
    def rows(self) -> list[dict[str, _Cell]]: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class Checkup(_CareRecord):
    """One 特定健診 report; ``rows()`` gives one dict per result."""

    @property
    def type(self) -> Literal["checkup"]: ...
    @property
    def subject(self) -> Optional[Subject]: ...

@final
class MedicationDispense(_CareRecord):
    """One dispensed drug (マイナポータル 薬剤情報)."""

    @property
    def type(self) -> Literal["medicationDispense"]: ...

@final
class Immunization(_CareRecord):
    """One vaccination."""

    @property
    def type(self) -> Literal["immunization"]: ...

@final
class MedicalExpense(_CareRecord):
    """One medical-expense notice row (医療費通知情報)."""

    @property
    def type(self) -> Literal["medicalExpense"]: ...

@final
class ConsentPolicy:
    """One FHIR Consent (JP_Consent)."""

    @staticmethod
    def from_fhir(data: Union[str, bytes]) -> ConsentPolicy: ...
    def to_fhir(self) -> str: ...
    @property
    def id(self) -> Optional[str]: ...
    @property
    def status(self) -> str: ...
    def decide(
        self,
        record: _Record,
        recipient: str,
        purpose: _Purpose,
        at: Optional[datetime.datetime] = None,
    ) -> Decision: ...

@final
class Decision:
    """Outcome of one consent decision."""

    @property
    def permit(self) -> bool: ...
    @property
    def rule(self) -> str: ...
    @property
    def reason(self) -> str: ...
    def __bool__(self) -> bool: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class ConsentedExport:
    """What a consented export wrote and left out."""

    @property
    def text(self) -> str: ...
    @property
    def report(self) -> Report: ...
    @property
    def write_report(self) -> Report: ...
    @property
    def permitted(self) -> dict[str, int]: ...
    @property
    def denied(self) -> dict[str, int]: ...
    @property
    def audit_event(self) -> str: ...
    @property
    def provenance_id(self) -> str: ...

@final
class PseudonymKey:
    """A pseudonymisation key; only ``key_id`` is ever shown."""

    @staticmethod
    def from_file(path: _StrPath) -> PseudonymKey: ...
    @staticmethod
    def from_env(name: str) -> PseudonymKey: ...
    @staticmethod
    def generate() -> PseudonymKey: ...
    @property
    def key_id(self) -> str: ...

@final
class Pseudonymiser:
    """A profile or rule file applied under a key; ``report()`` accumulates."""

    def __new__(
        cls,
        key: PseudonymKey,
        profile: Union[str, os.PathLike[str], None] = None,
        *,
        reference_date: Optional[datetime.date] = None,
        context: str = "",
        date_shift: Optional[bool] = None,
    ) -> Pseudonymiser: ...
    @property
    def profile(self) -> str: ...
    @property
    def key_id(self) -> str: ...
    def report(self) -> dict[str, Any]: ...

@final
class Report:
    """Counts of a read or write; also indexable like a dict (``report["converted"]``)."""

    @property
    def items_read(self) -> int: ...
    @property
    def converted(self) -> int: ...
    @property
    def skipped(self) -> dict[str, int]: ...
    @property
    def ignored_elements(self) -> dict[str, int]: ...
    @property
    def by_type(self) -> dict[str, int]: ...
    @property
    def duplicates(self) -> dict[str, int]: ...
    @property
    def issues(self) -> list[dict[str, str]]: ...
    @property
    def issues_dropped(self) -> int: ...
    @property
    def skipped_total(self) -> int: ...
    def is_balanced(self) -> bool: ...
    def to_dict(self) -> dict[str, Any]: ...
    def keys(self) -> list[str]: ...
    def __getitem__(self, key: str, /) -> Any: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class ArrowTable:
    """One tidy table, exported through the Arrow PyCapsule interface."""

    @property
    def name(self) -> str: ...
    @property
    def num_rows(self) -> int: ...
    @property
    def column_names(self) -> list[str]: ...
    def __len__(self) -> int: ...
    def __arrow_c_schema__(self) -> object: ...
    def __arrow_c_stream__(self, requested_schema: Optional[object] = None) -> object: ...

class PhrError(Exception):
    """Base of phrkit errors."""

    code: str
    location: Optional[str]
    line: Optional[int]
    limit: Optional[str]

class FormatError(PhrError): ...
class LimitExceeded(PhrError): ...
class InvalidRecordError(PhrError): ...
class ConsentDenied(PhrError): ...
class PseudonymKeyError(PhrError): ...
class ConfigError(PhrError): ...
class ApiMisuseError(PhrError): ...
