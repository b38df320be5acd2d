"""GET /api/v1/contracts/{dataset}/template.csv, and the upload API in /openapi.json."""

from __future__ import annotations

import pytest

from tests.helpers import bearer, token_for
from tests.helpers_ingest import STREET, events, police_lines, send_and_wait, with_ingest


@pytest.fixture
def app(app):
    return with_ingest(app)


def test_a_provider_s_uploader_gets_the_template(client, app):
    token = token_for(client, app, partner="northshire-police", roles=["uploader"])
    response = client.get(f"/api/v1/contracts/{STREET}/template.csv", headers=bearer(token))

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert f"{STREET}-template.csv" in response.headers["Content-Disposition"]
    lines = response.get_data(as_text=True).splitlines()
    assert lines[0] == police_lines()[0]  # the contract's columns, in the file's order
    assert len(lines) >= 4
    [event] = [e for e in events(app, action="contract.read")]
    assert event.outcome == "allowed"


@pytest.mark.parametrize(
    ("partner", "roles", "status"),
    [
        ("northshire-police", ["analyst"], 403),
        ("westshire-council", ["uploader"], 403),
        ("hillcrest-high-school", ["uploader"], 403),
    ],
)
def test_others_may_not_read_the_template(client, app, partner, roles, status):
    token = token_for(client, app, partner=partner, roles=roles)
    response = client.get(f"/api/v1/contracts/{STREET}/template.csv", headers=bearer(token))
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    [event] = [e for e in events(app, action="contract.read")]
    assert event.outcome == "denied"


def test_unknown_dataset_and_no_token(client, app):
    token = token_for(client, app, partner="northshire-police", roles=["uploader"])
    assert (
        client.get("/api/v1/contracts/nope/template.csv", headers=bearer(token)).status_code == 404
    )
    assert client.get(f"/api/v1/contracts/{STREET}/template.csv").status_code == 401


def test_the_upload_api_is_in_the_openapi_document(client, app):
    document = client.get("/openapi.json").get_json()
    paths = document["paths"]
    submit = paths["/api/v1/agreements/{agreement}/datasets/{dataset}/uploads"]["post"]
    assert submit["security"] == [{"bearer": []}]
    assert {
        "text/csv",
        "application/x-ndjson",
        "application/vnd.apache.parquet",
        "multipart/form-data",
    } <= set(submit["requestBody"]["content"])
    assert {"202", "200"} <= set(submit["responses"])
    assert any(
        p["name"] == "Idempotency-Key" or p["name"] == "idempotency_key"
        for p in submit["parameters"]
        if p["in"] == "header"
    )
    assert {"get", "delete"} <= set(paths["/api/v1/uploads/{id}"])
    assert "get" in paths["/api/v1/uploads"]
    assert "get" in paths["/api/v1/contracts/{dataset}/template.csv"]


def _provided() -> list[tuple[str, str, str]]:
    from hub.agreements import load_policies
    from hub.settings import PROJECT_ROOT

    policies = load_policies(PROJECT_ROOT / "policies", PROJECT_ROOT / "contracts")
    return sorted(
        {
            (a.id, share.dataset, share.provider)
            for a in policies.agreements.values()
            for share in a.datasets
        }
    )


@pytest.mark.parametrize(("agreement", "dataset", "provider"), _provided())
def test_every_provider_s_template_publishes(client, app, agreement, dataset, provider):
    token = token_for(client, app, partner=provider, roles=["uploader"])
    template = client.get(f"/api/v1/contracts/{dataset}/template.csv", headers=bearer(token))
    assert template.status_code == 200

    done = send_and_wait(client, token, template.get_data(), agreement=agreement, dataset=dataset)

    assert done["status"] == "published", done
    assert done["counts"]["rejected"] == 0
    assert all(e["outcome"] == "passed" for e in done["expectations"]), done["expectations"]
