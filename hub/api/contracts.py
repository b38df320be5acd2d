"""GET /api/v1/contracts/{dataset}: a contract in a readable form, with its ODCS document."""

from __future__ import annotations

from typing import Any

from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, Field

# Modules, not names: hub.agreements loads contracts through this package, so its names may
# not exist yet while this module is imported. api.py sits above both (DESIGN.md).
from hub import agreements, audit, auth
from hub.contracts.model import Column, Contract, QualityRule
from hub.contracts.state import current_contracts
from hub.errors import NotFound

api = APIBlueprint(
    "contracts",
    __name__,
    url_prefix="/api/v1",
    abp_tags=[Tag(name="contracts", description="Data contracts (ODCS v3), one per dataset.")],
    abp_security=[{"bearer": []}],
)

Bound = float | int | str | None


class ContractPath(BaseModel):
    dataset: str = Field(
        pattern=r"^[A-Za-z0-9_-]{1,100}$", description="The dataset id, e.g. police-street-crime."
    )


class ContractColumnOut(BaseModel):
    name: str = Field(description="The column header, exactly as the provider sends it.")
    physical_name: str
    type: str = Field(description="ODCS logical type.")
    required: bool
    unique: bool
    description: str
    classification: str | None
    pattern: str | None
    format: str | None
    min_length: int | None
    max_length: int | None
    minimum: Bound
    maximum: Bound
    allowed_values: list[str]
    identifier_kind: str | None
    pseudonymise: bool
    generalise: str | None
    may_be_omitted: bool = Field(
        description="Whether a file may leave the column out; otherwise a file without it is "
        "rejected (a missing column is not a column of empty cells)."
    )
    header_aliases: list[str] = Field(description="Other header names accepted for it.")

    @classmethod
    def of(cls, column: Column) -> ContractColumnOut:
        return cls(
            name=column.name,
            physical_name=column.physical_name,
            type=column.logical_type,
            required=column.required,
            unique=column.unique,
            description=column.description,
            classification=column.classification,
            pattern=column.pattern,
            format=column.format,
            min_length=column.min_length,
            max_length=column.max_length,
            minimum=column.minimum if column.minimum is not None else column.exclusive_minimum,
            maximum=column.maximum if column.maximum is not None else column.exclusive_maximum,
            allowed_values=list(column.enum),
            identifier_kind=column.identifier_kind,
            may_be_omitted=column.may_be_omitted,
            header_aliases=list(column.header_aliases),
            pseudonymise=column.pseudonymise,
            generalise=column.generalise,
        )


class QualityOut(BaseModel):
    rule: str
    metric: str
    column: str | None
    condition: str = Field(description="e.g. `mustBeLessOrEqualTo 5 percent`.")
    blocking: bool
    description: str

    @classmethod
    def of(cls, rule: QualityRule) -> QualityOut:
        return cls(
            rule=rule.name,
            metric=rule.metric,
            column=rule.column,
            condition=f"{rule.operator} {rule.threshold}"
            + (f" {rule.unit}" if rule.metric != "rowCount" else ""),
            blocking=rule.blocking,
            description=rule.description,
        )


class ContractOut(BaseModel):
    dataset: str
    version: str
    title: str
    description: str
    provider_kind: str
    status: str
    personal_data: bool
    special_category: bool
    criminal_offence_data: bool
    max_invalid_fraction: float
    columns: list[ContractColumnOut]
    quality: list[QualityOut]
    odcs: dict[str, Any] = Field(description="The ODCS v3 document as published.")

    @classmethod
    def of(cls, contract: Contract) -> ContractOut:
        return cls(
            dataset=contract.dataset,
            version=contract.version,
            title=contract.title,
            description=contract.description,
            provider_kind=contract.provider_kind,
            status=contract.status,
            personal_data=contract.personal_data,
            special_category=contract.special_category,
            criminal_offence_data=contract.criminal_offence_data,
            max_invalid_fraction=contract.max_invalid_fraction,
            columns=[ContractColumnOut.of(c) for c in contract.columns],
            quality=[QualityOut.of(q) for q in contract.quality],
            odcs=contract.odcs_document(),
        )


@api.get("/contracts/<dataset>", responses={200: ContractOut})
def read_contract(path: ContractPath):
    """A dataset's contract: its columns, checks and the ODCS document.

    Admins, IG officers of a party to an agreement that shares the dataset, and uploaders of
    the partner that provides it may read it.
    """
    resource = agreements.Resource(kind="contract", dataset=path.dataset)
    audit.note(action="contract.read", resource=resource.label)
    identity = auth.current_identity()
    contract = current_contracts().get(path.dataset)
    if contract is None:
        raise NotFound(
            f"There is no contract for dataset `{path.dataset}`. The datasets of an agreement "
            "are listed at GET /api/v1/agreements/{id}."
        )
    agreements.enforce(agreements.decide(identity, "contract.read", resource))
    return ContractOut.of(contract).model_dump(mode="json")
