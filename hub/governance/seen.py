"""Who has seen this person: every view query whose answer included a person, found from one of
their identifiers (NHS number, UPN or PNC ID) without the identifier ever being kept.

The value is normalised and checked exactly as ingest does (hub.pseudonymise), then
pseudonymised in the linkage domain of each agreement the officer's partner is party to. A
person-level query records which person keys it showed (`view_disclosures`: the pseudonym of
the view's key, e.g. the UPN); an identifier of another kind is turned into those keys the
way the view links records to a person: rows of the view's sources holding the identifier
give the person key (when they carry it) and the linking pseudonyms (e.g. NHS number, or date
of birth with postcode), which find the person in the view's population. Dataset rows are
read whatever became of their upload since, so a query is found even if the data that
answered it was later withdrawn (rows deleted by retention are gone, and with them the link).

The raw value lives only in this function's arguments: it is never stored, logged, audited
or returned, and an invalid value raises `InvalidIdentifier`, which never holds it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Table, and_, or_, select

from hub import db
from hub.agreements import Agreement, Policies
from hub.db.models import AuditEvent, ReidentificationRequest, ReidentificationReveal
from hub.governance.periods import as_utc
from hub.pseudonymise import Keyring, pseudonym
from hub.store import DatasetTables, Layout
from hub.views import ViewSpec, queries_that_returned

# The identifier kinds an officer may look a person up by, with the words for them.
LOOKUP_KINDS = {
    "nhs_number": "NHS number",
    "upn": "UPN (unique pupil number)",
    "pnc_id": "PNC ID",
}
# Linking pseudonyms gathered per lookup are bounded: one person has few records, and the SQL
# stays small even if a shared value (a date of birth with a postcode) matches many rows.
MAX_LINKS = 500


@dataclass(frozen=True)
class SeenQuery:
    time: datetime  # UTC, when the query disclosed the person
    request_id: str
    audit_index: int | None
    client: str | None
    partner: str | None
    view: str
    agreement: str
    purpose: str
    justification: str
    case_reference: str


@dataclass(frozen=True)
class SeenReidentification:
    """A request to re-identify the person (hub/governance/reidentification.py)."""

    time: datetime  # UTC, when it was made
    request_id: str
    client: str
    partner: str
    agreement: str
    basis: str
    case_reference: str
    status: str
    revealed_at: datetime | None


@dataclass(frozen=True)
class SeenResult:
    kind: str
    domains: tuple[str, ...]  # the linkage domains searched
    queries: tuple[SeenQuery, ...]  # oldest first, one per query
    reidentifications: tuple[SeenReidentification, ...] = ()  # oldest first


def _kinds(layout: Layout) -> dict[str, str]:
    """Table column -> identifier kind, for the columns that hold pseudonyms."""
    return {
        c.name: c.source.identifier_kind
        for c in layout.columns
        if c.role == "pseudonym" and c.source.identifier_kind
    }


def _person_keys(
    *,
    view: ViewSpec,
    agreement: Agreement,
    policies: Policies,
    tables: DatasetTables,
    kind: str,
    value_pseudonym: str,
) -> set[str]:
    """The person keys of `view` that the identifier (as a pseudonym of `kind`) belongs to."""
    person = view.person
    assert person is not None
    sources: dict[str, tuple[Layout, Table]] = {}
    for source in view.sources:
        if source.dataset not in sources:
            sources[source.dataset] = tables.get(agreement, policies.contracts[source.dataset])
    population = list(dict.fromkeys(view.source(a).dataset for a in person.population))
    key_layout = sources[population[0]][0]
    key_kind = _kinds(key_layout).get(person.key)

    keys: set[str] = {value_pseudonym} if kind == key_kind else set()
    links: set[tuple[int, tuple[str, ...]]] = set()
    with db.get_engine().connect() as connection:
        for layout, table in sources.values():
            kinds = _kinds(layout)
            holds_key = kinds.get(person.key) == key_kind and key_kind is not None
            groups = [(n, g) for n, g in enumerate(person.link) if all(f in table.c for f in g)]
            for column in (c for c, k in kinds.items() if k == kind):
                wanted = ([table.c[person.key]] if holds_key else []) + [
                    table.c[f] for _, g in groups for f in g
                ]
                if not wanted:
                    continue
                query = select(*wanted).where(table.c[column] == value_pseudonym).distinct()
                for row in connection.execute(query.limit(MAX_LINKS)):
                    values = list(row)
                    if holds_key:
                        key = values.pop(0)
                        if key:
                            keys.add(key)
                    for n, group in groups:
                        part, values = tuple(values[: len(group)]), values[len(group) :]
                        if all(part):  # a missing identifier links nobody (as in the view)
                            links.add((n, part))
        if links:
            keys |= _keys_linked(connection, person, population, sources, links)
    return keys


def _keys_linked(connection, person, population, sources, links) -> set[str]:
    found: set[str] = set()
    chosen = sorted(links)[:MAX_LINKS]
    for dataset in population:
        _, table = sources[dataset]
        matches = [
            and_(*(table.c[f] == v for f, v in zip(person.link[n], part, strict=True)))
            for n, part in chosen
            if all(f in table.c for f in person.link[n])
        ]
        if not matches:
            continue
        query = select(table.c[person.key]).where(or_(*matches)).distinct()
        found |= {key for (key,) in connection.execute(query) if key}
    return found


def _details_of(indexes: Iterable[int]) -> dict[int, dict]:
    wanted = sorted(set(indexes))
    if not wanted:
        return {}
    with db.read_only() as session:
        rows = session.execute(
            select(AuditEvent.index, AuditEvent.details).where(AuditEvent.index.in_(wanted))
        ).all()
    return {index: details or {} for index, details in rows}


def who_has_seen(
    *,
    kind: str,
    value: str,
    partner: str,
    policies: Policies,
    views: Iterable[ViewSpec],
    tables: DatasetTables,
    keyring: Keyring,
) -> SeenResult:
    """Every query that returned the person with this identifier, in the linkage domains of
    the agreements `partner` is party to. Raises InvalidIdentifier (never holding the value)
    if the value is not a valid identifier of `kind`; ValueError for a kind not offered."""
    if kind not in LOOKUP_KINDS:
        raise ValueError("not an identifier kind the lookup offers")
    agreements = policies.agreements_of(partner)
    domains = tuple(dict.fromkeys(a.linkage_domain for a in agreements))
    person_views = [v for v in views if v.kind == "person" and v.person is not None]

    found: dict[str, tuple] = {}  # request_id -> disclosure, once per query
    reidentifications: list[SeenReidentification] = []
    for domain in domains:
        # Normalises and checks first: an invalid value raises before anything is read.
        value_pseudonym = pseudonym(kind=kind, value=value, domain=domain, keyring=keyring)
        keys = {value_pseudonym}
        for agreement in (a for a in agreements if a.linkage_domain == domain):
            for view in (v for v in person_views if v.agreement == agreement.id):
                keys |= _person_keys(
                    view=view,
                    agreement=agreement,
                    policies=policies,
                    tables=tables,
                    kind=kind,
                    value_pseudonym=value_pseudonym,
                )
        for key in sorted(keys):
            for disclosure in queries_that_returned(linkage_domain=domain, pseudonym=key):
                found.setdefault(disclosure.request_id, disclosure)
        reidentifications.extend(
            _reidentifications(domain, keys, {a.id for a in agreements})
        )

    disclosures = sorted(found.values(), key=lambda d: (as_utc(d.disclosed_at), d.request_id))
    details = _details_of(d.audit_index for d in disclosures if d.audit_index is not None)
    queries = []
    for d in disclosures:
        info = details.get(d.audit_index, {}) if d.audit_index is not None else {}
        queries.append(
            SeenQuery(
                time=as_utc(d.disclosed_at),
                request_id=d.request_id,
                audit_index=d.audit_index,
                client=d.actor_client,
                partner=d.actor_partner,
                view=d.view_id,
                agreement=d.agreement_id,
                purpose=str(info.get("purpose") or ""),
                justification=str(info.get("justification") or ""),
                case_reference=str(info.get("case_reference") or ""),
            )
        )
    reidentifications.sort(key=lambda r: (r.time, r.request_id))
    return SeenResult(
        kind=kind,
        domains=domains,
        queries=tuple(queries),
        reidentifications=tuple(reidentifications),
    )


def _reidentifications(
    domain: str, keys: set[str], agreements: set[str]
) -> list[SeenReidentification]:
    """The re-identification requests about any of the person's keys in `domain`."""
    r, v = ReidentificationRequest, ReidentificationReveal
    query = (
        select(r, v.fetched_at)
        .outerjoin(v, v.request_id == r.id)
        .where(
            r.linkage_domain == domain,
            r.pseudonym.in_(sorted(keys)),
            r.agreement_id.in_(sorted(agreements)),
        )
    )
    with db.read_only() as session:
        return [
            SeenReidentification(
                time=as_utc(row.created_at),
                request_id=row.id,
                client=row.requester_client,
                partner=row.requester_partner,
                agreement=row.agreement_id,
                basis=row.basis,
                case_reference=row.case_reference,
                status=row.status,
                revealed_at=as_utc(fetched) if fetched else None,
            )
            for row, fetched in session.execute(query)
        ]
