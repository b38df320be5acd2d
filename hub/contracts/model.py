"""A data contract as the hub uses it: the ODCS document plus the facts read out of it.

The ODCS document (`Contract.odcs`) is the source; `Column` and `QualityRule` are a flat,
typed reading of it that the compilers and the API use. Hub-specific facts come from
`customProperties`:

contract level  personalData, specialCategory, criminalOffenceData (true|false),
                maxInvalidFraction (0..1: the share of rows that may fail row checks and be
                set aside before the whole upload is rejected; default 0.05),
                rowIdentity (a list of columns: what identifies a row that has no unique
                key, or whose key is empty, so that a row sent again in another upload is
                found; see hub/ingest/duplicates.py)
property level  identifierKind (nhs_number|upn|pnc_id|postcode|person_name|date_of_birth),
                pseudonymise (true|false), generalise (year_month|year|postcode_district|
                postcode_sector), mayBeOmitted (true|false: a sender may leave this optional
                column out of the file altogether; without it a missing column rejects the
                upload), headerAliases (a list of other header names accepted for the column),
                sourceRecordRef (true|false: the provider's own reference for the row, e.g. a
                crime or case reference; at most one per contract, never an identifier. It is
                kept encrypted in `record_references`, outside the dataset table, no agreement
                field or view may name it, and only an approved re-identification reveals it:
                hub/store/references.py)
quality rule    blocking (true|false, default true): a failed blocking rule rejects the upload
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from open_data_contract_standard.model import OpenDataContractStandard

# Valid rows publish and invalid ones are reported, unless more than this share failed.
DEFAULT_MAX_INVALID_FRACTION = 0.05

PROVIDER_KINDS = ("police", "council", "nhs", "school")
IDENTIFIER_KINDS = ("nhs_number", "upn", "pnc_id", "postcode", "person_name", "date_of_birth")
GENERALISATIONS = ("year_month", "year", "postcode_district", "postcode_sector")
LOGICAL_TYPES = ("string", "date", "timestamp", "time", "number", "integer", "boolean")
QUALITY_METRICS = ("rowCount", "nullValues", "missingValues", "duplicateValues", "invalidValues")

# Hub custom properties: name -> (where they may appear, the Python type of the value).
CONTRACT_PROPERTIES = {
    "personalData": bool,
    "specialCategory": bool,
    "criminalOffenceData": bool,
    "maxInvalidFraction": (int, float),
    "rowIdentity": list,
}
COLUMN_PROPERTIES = {
    "identifierKind": str,
    "pseudonymise": bool,
    "generalise": str,
    "mayBeOmitted": bool,
    "headerAliases": list,
    "sourceRecordRef": bool,
}
QUALITY_PROPERTIES = {"blocking": bool}


def normalise_column_name(name: str) -> str:
    """The form a file's header name and a contract's column name are compared in when they
    do not match exactly: trimmed, casefolded, "_" as a space, whitespace runs as one space."""
    return " ".join(name.replace("\ufeff", "").replace("_", " ").split()).casefold()


@dataclass(frozen=True)
class Column:
    name: str  # the column's header, exactly as in the file the provider sends
    physical_name: str  # the column in the hub's dataset table
    logical_type: str
    required: bool = False
    unique: bool = False
    description: str = ""
    classification: str | None = None
    pattern: str | None = None
    format: str | None = None  # dates and times: a JDK DateTimeFormatter pattern
    timezone: bool | None = None
    min_length: int | None = None
    max_length: int | None = None
    minimum: Any = None
    maximum: Any = None
    exclusive_minimum: Any = None
    exclusive_maximum: Any = None
    enum: tuple[str, ...] = ()
    examples: tuple[Any, ...] = ()
    identifier_kind: str | None = None
    pseudonymise: bool = False
    generalise: str | None = None
    may_be_omitted: bool = False  # a sender may leave the column out of the file
    header_aliases: tuple[str, ...] = ()
    source_record_ref: bool = False  # the provider's own reference for the row

    @property
    def is_identifier(self) -> bool:
        return self.identifier_kind is not None

    @property
    def values_reportable(self) -> bool:
        """Whether a report may quote this column's values: only public, non-identifier ones."""
        return not self.is_identifier and self.classification == "public"


@dataclass(frozen=True)
class QualityRule:
    """An ODCS library quality rule, on the whole dataset (column None) or one column."""

    metric: str
    column: str | None
    operator: str  # mustBe, mustBeLessOrEqualTo, ...
    threshold: Any
    unit: str  # rows | percent
    arguments: dict[str, Any]
    blocking: bool
    name: str
    description: str = ""


@dataclass(frozen=True)
class Contract:
    dataset: str  # the ODCS id, the file's stem, and the name agreements use
    version: str
    title: str
    description: str
    provider_kind: str  # the folder under contracts/
    status: str
    columns: tuple[Column, ...]
    quality: tuple[QualityRule, ...]
    personal_data: bool
    special_category: bool
    criminal_offence_data: bool
    max_invalid_fraction: float
    odcs: OpenDataContractStandard = field(repr=False, compare=False)
    source: Path = field(compare=False)
    sha256: str = field(compare=False)
    # What identifies a row with no unique key (or an empty one): rowIdentity.
    row_identity: tuple[str, ...] = ()

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def header_columns(self) -> set[str]:
        """The columns every file must have: all but those a sender may leave out."""
        return {c.name for c in self.columns if not c.may_be_omitted}

    @property
    def header_aliases(self) -> dict[str, tuple[str, ...]]:
        return {c.name: c.header_aliases for c in self.columns if c.header_aliases}

    @property
    def record_reference(self) -> Column | None:
        """The column holding the provider's own reference for each row, if it names one."""
        return next((c for c in self.columns if c.source_record_ref), None)

    @property
    def identifier_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.is_identifier)

    def odcs_document(self) -> dict[str, Any]:
        """The ODCS document as JSON-ready data, as written (aliases, no empty fields)."""
        return self.odcs.model_dump(mode="json", by_alias=True, exclude_none=True)
