"""Partners and data-sharing agreements as written in policies/ (pydantic, extra fields refused).

An agreement follows the ICO data sharing code: who shares (parties and their roles), why
(a purpose), on what lawful basis (per providing party), which data items go to whom
(datasets, by contract, and per recipient the fields it may see), for how long (retention),
when it starts, ends and is reviewed, the DPIA that assessed it, the linkage domain that keeps
its pseudonyms apart from every other agreement's, and the smallest count a view may show.

The lawful basis is written as the legal references themselves:

uk-gdpr         article6: "6(1)(e)"; article9: "9(2)(g)" for special category data, with the
                DPA 2018 Schedule 1 condition(s) it needs ("Sch1 Pt2 para18"); article10: true
                for criminal offence data, with a Schedule 1 condition.
dpa2018-part3   law enforcement processing by a competent authority: section35: "35(2)(b)"
                (or "35(2)(a)", consent); for sensitive processing, schedule8 conditions
                ("Sch8 para4") and an appropriate policy document.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from hub.contracts.model import Contract

PartnerId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,99}$")]
Text = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]

# `other` is for organisations that provide no dataset, such as the hub's operator.
PartnerKind = Literal["police", "council", "nhs", "school", "other"]
PartyRole = Literal["provider", "recipient"]
Article6 = Literal["6(1)(a)", "6(1)(b)", "6(1)(c)", "6(1)(d)", "6(1)(e)", "6(1)(f)"]
Article9 = Literal[
    "9(2)(a)", "9(2)(b)", "9(2)(c)", "9(2)(d)", "9(2)(e)",
    "9(2)(f)", "9(2)(g)", "9(2)(h)", "9(2)(i)", "9(2)(j)",
]  # fmt: skip
# DPA 2018 Schedule 1 conditions: Part 1 paras 1-4, Part 2 paras 6-28, Part 3 paras 29-37.
Schedule1Condition = Annotated[
    str,
    StringConstraints(
        pattern=r"^Sch1 (Pt1 para[1-4]|Pt2 para([6-9]|1[0-9]|2[0-8])|Pt3 para(29|3[0-7]))$"
    ),
]
# data.police.uk crime types that are not victim-reported: mostly found by police activity, so
# a forecast of them forecasts where police look (a feedback loop). A forecast view may read
# them only if the agreement's DPIA assessed it (`dpia_forecast_crime_types`).
PoliceInitiatedCrimeType = Literal[
    "Drugs", "Possession of weapons", "Public order", "Anti-social behaviour", "Other crime"
]
POLICE_INITIATED_CRIME_TYPES: tuple[str, ...] = get_args(PoliceInitiatedCrimeType)
Section35 = Literal["35(2)(a)", "35(2)(b)"]
# DPA 2018 Schedule 8: conditions for sensitive processing under Part 3, paras 1-9.
Schedule8Condition = Annotated[str, StringConstraints(pattern=r"^Sch8 para[1-9]$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


HubRole = Literal["uploader", "analyst", "ig_officer", "admin"]
EnvName = Annotated[str, StringConstraints(pattern=r"^HUB_OIDC_SECRET_[A-Z0-9_]{1,64}$")]
ClaimName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:/-]{1,100}$")]


class SignIn(Strict):
    """How the partner's people sign in: at the partner's own OpenID Provider.

    The hub is a client of that provider (authorization code flow with PKCE S256); the
    provider's `roles_claim` (a list of group or role names) is mapped to the hub's roles by
    `roles`. Whoever signs in at this issuer acts for this partner and no other.
    """

    issuer: Annotated[str, StringConstraints(pattern=r"^https?://[^\s#?]+$")] = Field(
        description="The issuer URL exactly as the provider's discovery document gives it."
    )
    client_id: Text
    client_secret_env: EnvName = Field(
        description="The environment variable that holds the client secret (never the file)."
    )
    roles_claim: ClaimName = "groups"
    name_claim: ClaimName = "name"
    roles: Annotated[dict[ClaimName, HubRole], Field(min_length=1)] = Field(
        description="Claim value -> hub role, e.g. `ig-officers: ig_officer`."
    )
    scope: Text = "openid profile email groups"


class Partner(Strict):
    id: PartnerId
    name: Text
    kind: PartnerKind
    sign_in: SignIn | None = None


class PartnersFile(Strict):
    partners: list[Partner]


class Purpose(Strict):
    id: Slug = Field(description="A stable purpose id, used in decisions and audit events.")
    description: Text


class Party(Strict):
    partner: PartnerId
    roles: Annotated[list[PartyRole], Field(min_length=1)]


class UkGdprBasis(Strict):
    provider: PartnerId
    regime: Literal["uk-gdpr"]
    article6: Article6
    article9: Article9 | None = None
    article10: bool = False
    schedule1: list[Schedule1Condition] = []
    legislation: list[Text] = []
    notes: str = ""


class Part3Basis(Strict):
    provider: PartnerId
    regime: Literal["dpa2018-part3"]
    law_enforcement_purpose: Text = Field(
        description="The law enforcement purpose (DPA 2018 s.31) the data was collected for."
    )
    # Optional in the schema so that the check can say what is missing and why.
    section35: Section35 | None = None
    schedule8: list[Schedule8Condition] = []
    appropriate_policy_document: str | None = None
    legislation: list[Text] = []
    notes: str = ""


LawfulBasis = Annotated[UkGdprBasis | Part3Basis, Field(discriminator="regime")]


class Recipient(Strict):
    partner: PartnerId
    fields: Annotated[list[Text], Field(min_length=1)]


class DatasetShare(Strict):
    dataset: Slug = Field(
        description="The dataset id: its contract is contracts/<kind>/<dataset>.yaml."
    )
    provider: PartnerId
    recipients: Annotated[list[Recipient], Field(min_length=1)]

    def recipient(self, partner: str) -> Recipient | None:
        return next((r for r in self.recipients if r.partner == partner), None)


class Agreement(Strict):
    id: Slug
    title: Text
    purpose: Purpose
    parties: Annotated[list[Party], Field(min_length=2)]
    lawful_basis: list[LawfulBasis]
    datasets: Annotated[list[DatasetShare], Field(min_length=1)]
    retention_days: Annotated[int, Field(gt=0, le=36500)]
    start: date
    end: date
    review_date: date
    dpia_reference: Text
    linkage_domain: Slug = Field(description="Pseudonyms are keyed per linkage domain.")
    min_cell_size: Annotated[int, Field(ge=1, le=1000)]
    dpia_forecast_crime_types: list[PoliceInitiatedCrimeType] = Field(
        default=[],
        description="Police-initiated crime types the DPIA assessed for hot-spot forecasts.",
    )

    def party(self, partner: str) -> Party | None:
        return next((p for p in self.parties if p.partner == partner), None)

    def has_role(self, partner: str, role: str) -> bool:
        party = self.party(partner)
        return party is not None and role in party.roles

    def basis_for(self, provider: str) -> UkGdprBasis | Part3Basis | None:
        return next((b for b in self.lawful_basis if b.provider == provider), None)

    def shares(self, *, dataset: str, provider: str | None = None) -> list[DatasetShare]:
        return [d for d in self.datasets if d.dataset == dataset and provider in (None, d.provider)]

    def in_force(self, today: date) -> bool:
        return self.start <= today <= self.end


@dataclass(frozen=True)
class AgreementFile:
    path: Path
    sha256: str  # of the file's bytes: the version an AgreementRecord stores


@dataclass(frozen=True)
class Policies:
    """Everything policies/ and contracts/ say, loaded and checked together."""

    partners: dict[str, Partner]
    agreements: dict[str, Agreement]
    contracts: dict[str, Contract]
    files: dict[str, AgreementFile]  # by agreement id

    def agreements_of(self, partner: str) -> list[Agreement]:
        return [a for a in self.agreements.values() if a.party(partner) is not None]
