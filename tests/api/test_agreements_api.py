"""The agreements and contracts a caller may read, over HTTP, on SQLite and PostgreSQL."""

from types import SimpleNamespace

import pytest
from sqlalchemy import select

from hub import db
from hub.db.models import AuditEvent
from tests.helpers import bearer, token_for

EARLY = "early-intervention-young-people"
HOTSPOTS = "crime-asb-hotspots"


@pytest.fixture
def get(client, app):
    """GET `url` as a new client of `partner` holding `roles`."""

    def call(url: str, *, partner: str, roles: list[str]):
        token = token_for(client, app, partner=partner, roles=roles)
        return client.get(url, headers=bearer(token))

    return call


def events(app, action: str) -> list[SimpleNamespace]:
    """The audit events of `action`, in order, as plain values."""
    with app.app_context(), db.read_only() as session:
        rows = session.execute(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.index)
        ).scalars()
        return [
            SimpleNamespace(
                outcome=e.outcome, resource=e.resource, reason=e.reason, details=dict(e.details)
            )
            for e in rows
        ]


def test_listing_needs_a_token(client):
    response = client.get("/api/v1/agreements")
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"


def test_a_recipient_analyst_lists_its_agreements_in_part(get):
    response = get("/api/v1/agreements", partner="northshire-council", roles=["analyst"])
    assert response.status_code == 200
    listed = {a["id"]: a for a in response.get_json()["items"]}
    assert set(listed) == {EARLY, HOTSPOTS}
    assert listed[EARLY]["view"] == "part"
    assert listed[EARLY]["purpose"]["id"] == "safeguarding-early-help"
    assert listed[EARLY]["your_roles"] == ["provider", "recipient"]


def test_a_school_uploader_lists_only_the_agreement_it_is_party_to(get):
    response = get("/api/v1/agreements", partner="riverside-academy", roles=["uploader"])
    assert response.status_code == 200
    assert [a["id"] for a in response.get_json()["items"]] == [EARLY]


def test_admins_list_every_agreement_whole(get):
    response = get("/api/v1/agreements", partner="northshire-data-hub", roles=["admin"])
    assert response.status_code == 200
    agreements = response.get_json()["items"]
    assert {a["id"] for a in agreements} == {EARLY, HOTSPOTS}
    assert {a["view"] for a in agreements} == {"whole"}


def test_a_partner_party_to_nothing_may_not_list(get, app):
    response = get("/api/v1/agreements", partner="westshire-council", roles=["analyst"])
    assert response.status_code == 403
    body = response.get_json()
    assert body["code"] == "forbidden"
    assert body["rule"] == "not-a-party"
    assert "party to no agreement" in body["detail"]
    denied = [e for e in events(app, "agreement.list") if e.outcome == "denied"]
    assert denied and denied[-1].details["rule"] == "not-a-party"


def test_an_ig_officer_of_a_party_reads_the_whole_record(get):
    response = get(f"/api/v1/agreements/{EARLY}", partner="riverside-academy", roles=["ig_officer"])
    assert response.status_code == 200
    record = response.get_json()
    assert record["view"] == "whole"
    assert record["dpia_reference"] == "DPIA-NCC-2025-014"
    assert record["linkage_domain"] == EARLY
    assert record["min_cell_size"] == 10
    assert len(record["content_hash"]) == 64
    assert {b["provider"] for b in record["lawful_basis"]} == {
        "northshire-police",
        "northshire-council",
        "northshire-hospitals",
        "riverside-academy",
        "hillcrest-high-school",
    }
    police = next(b for b in record["lawful_basis"] if b["provider"] == "northshire-police")
    assert police["regime"] == "dpa2018-part3" and police["section35"] == "35(2)(b)"
    assert len(record["datasets"]) == 8
    assert {p["partner"] for p in record["parties"]} >= {"northshire-police", "riverside-academy"}


def test_a_recipient_analyst_sees_only_the_fields_for_it(get):
    response = get(f"/api/v1/agreements/{EARLY}", partner="northshire-police", roles=["analyst"])
    assert response.status_code == 200
    record = response.get_json()
    assert record["view"] == "part"
    for field in ("lawful_basis", "dpia_reference", "linkage_domain", "content_hash"):
        assert record[field] is None
    datasets = {(d["dataset"], d["provider"]): d for d in record["datasets"]}
    # The police receive the Cardiff Model details, never the patient's identifiers.
    ae = datasets[("nhs-ae-attendances", "northshire-hospitals")]
    assert ae["recipients"] == [
        {
            "partner": "northshire-police",
            "fields": [
                "assault_date",
                "assault_time",
                "assault_location_type",
                "assault_location",
                "assault_lsoa_code",
                "weapon",
            ],
        }
    ]
    assert ("school-attendance", "riverside-academy") not in datasets  # not shared with them
    # Of others' datasets they see only their own fields; of their own, who receives what.
    for dataset in record["datasets"]:
        if dataset["provider"] != "northshire-police":
            assert [r["partner"] for r in dataset["recipients"]] == ["northshire-police"]
    contacts = datasets[("police-contacts", "northshire-police")]
    assert {r["partner"] for r in contacts["recipients"]} == {
        "northshire-council",
        "northshire-police",
    }


def test_a_provider_uploader_sees_who_receives_its_data(get):
    response = get(f"/api/v1/agreements/{EARLY}", partner="riverside-academy", roles=["uploader"])
    assert response.status_code == 200
    record = response.get_json()
    assert record["view"] == "part"
    assert {(d["dataset"], d["provider"]) for d in record["datasets"]} == {
        ("school-attendance", "riverside-academy"),
        ("school-exclusions", "riverside-academy"),
    }
    exclusions = next(d for d in record["datasets"] if d["dataset"] == "school-exclusions")
    assert {r["partner"] for r in exclusions["recipients"]} == {
        "northshire-council",
        "northshire-police",
    }


def test_a_non_party_may_not_read_an_agreement(get, app):
    response = get(
        f"/api/v1/agreements/{HOTSPOTS}", partner="riverside-academy", roles=["ig_officer"]
    )
    assert response.status_code == 403
    body = response.get_json()
    assert body["rule"] == "not-a-party"
    assert f"`riverside-academy` is not a party to agreement `{HOTSPOTS}`" in body["detail"]
    event = [e for e in events(app, "agreement.read") if e.outcome == "denied"][-1]
    assert event.resource == f"agreement:{HOTSPOTS}"
    assert event.reason == body["detail"]


def test_an_unknown_agreement_is_not_found(get):
    response = get(
        "/api/v1/agreements/no-such-agreement", partner="northshire-council", roles=["ig_officer"]
    )
    assert response.status_code == 404
    assert response.get_json()["code"] == "not_found"


def test_reading_is_audited_as_allowed(get, app):
    response = get(
        f"/api/v1/agreements/{EARLY}", partner="northshire-council", roles=["ig_officer"]
    )
    assert response.status_code == 200
    event = [e for e in events(app, "agreement.read") if e.outcome == "allowed"][-1]
    assert event.resource == f"agreement:{EARLY}"
    assert event.details["rule"] == "party-ig-officer"


def test_an_uploader_reads_the_contract_of_its_dataset(get):
    response = get(
        "/api/v1/contracts/school-attendance", partner="hillcrest-high-school", roles=["uploader"]
    )
    assert response.status_code == 200
    contract = response.get_json()
    assert contract["dataset"] == "school-attendance"
    assert contract["provider_kind"] == "school"
    upn = next(c for c in contract["columns"] if c["name"] == "upn")
    assert upn["identifier_kind"] == "upn" and upn["pseudonymise"] and upn["required"]
    assert contract["odcs"]["apiVersion"].startswith("v3.")
    assert contract["odcs"]["id"] == "school-attendance"
    assert any(q["rule"] == "one row per pupil per term" for q in contract["quality"])


def test_the_street_crime_contract_reads_as_published(get):
    response = get(
        "/api/v1/contracts/police-street-crime", partner="northshire-council", roles=["ig_officer"]
    )
    assert response.status_code == 200
    names = [c["name"] for c in response.get_json()["columns"]]
    assert names[:3] == ["Crime ID", "Month", "Reported by"]


def test_contracts_of_other_partners_data_are_refused(get):
    response = get(
        "/api/v1/contracts/police-contacts", partner="riverside-academy", roles=["uploader"]
    )
    assert response.status_code == 403
    assert response.get_json()["rule"] == "role-not-allowed"
    response = get(
        "/api/v1/contracts/police-street-crime", partner="riverside-academy", roles=["ig_officer"]
    )
    assert response.status_code == 403
    assert response.get_json()["rule"] == "not-a-party"


def test_an_unknown_contract_is_not_found(get):
    response = get(
        "/api/v1/contracts/no-such-dataset", partner="northshire-data-hub", roles=["admin"]
    )
    assert response.status_code == 404


def test_the_read_apis_are_in_the_openapi_document(client):
    document = client.get("/openapi.json").get_json()
    paths = document["paths"]
    assert "get" in paths["/api/v1/agreements"]
    assert "get" in paths["/api/v1/agreements/{id}"]
    assert "get" in paths["/api/v1/contracts/{dataset}"]
    schemas = document["components"]["schemas"]
    for name in ("AgreementList", "AgreementOut", "ContractOut", "ContractColumnOut"):
        assert name in schemas
    assert paths["/api/v1/agreements/{id}"]["get"]["security"] == [{"bearer": []}]
