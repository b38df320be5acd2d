"""Issue 11 item 15: the API description tells the truth about errors."""

from __future__ import annotations

import io

import pytest
from jsonschema import Draft202012Validator

from hub.api import audit_hook
from tests.helpers import bearer, token_for

PROBLEM = "application/problem+json"


@pytest.fixture
def document(client):
    return client.get("/openapi.json").get_json()


def operations(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def test_every_error_is_documented_as_one_problem_object(document):
    assert "ValidationErrorModel" not in document["components"]["schemas"]
    for path, method, operation in operations(document):
        for status, response in operation["responses"].items():
            if int(status) < 400 or (path == "/oauth/token" and status in ("400", "401")):
                continue  # the token endpoint's own errors are RFC 6749's
            content = response["content"]
            assert list(content) == [PROBLEM], (method, path, status)
            assert content[PROBLEM]["schema"] == {"$ref": "#/components/schemas/Problem"}


def test_the_errors_each_operation_can_answer_are_documented(document):
    for path, method, operation in operations(document):
        statuses = set(operation["responses"])
        assert {"405", "429", "503"} <= statuses, (method, path)
        assert "Retry-After" in operation["responses"]["429"]["headers"]
        assert "Retry-After" in operation["responses"]["503"]["headers"]
        assert "Allow" in operation["responses"]["405"]["headers"]
        if path == "/oauth/token":
            continue
        assert "400" in statuses
        if operation.get("security"):
            assert {"401", "403"} <= statuses, (method, path)
        if "{" in path:
            assert "404" in statuses, (method, path)
        if method != "get":
            assert {"409", "413", "415"} <= statuses, (method, path)
            assert "Accept-Post" in operation["responses"]["415"]["headers"]


def test_a_contract_with_a_date_column_matches_its_schema(client, app, document):
    token = token_for(client, app, partner="riverside-academy", roles=["ig_officer"])
    response = client.get("/api/v1/contracts/school-attendance", headers=bearer(token))
    assert response.status_code == 200
    body = response.get_json()
    assert "date" in {c["type"] for c in body["columns"]}
    ref = document["paths"]["/api/v1/contracts/{dataset}"]["get"]["responses"]["200"]
    schema = {
        **ref["content"]["application/json"]["schema"],
        "components": document["components"],
    }
    errors = list(Draft202012Validator(schema).iter_errors(body))
    assert errors == [], errors[0].message if errors else ""


def test_405_answers_carry_allow(client):
    response = client.delete("/api/v1/agreements")
    assert response.status_code == 405
    assert response.mimetype == PROBLEM
    assert "GET" in response.headers["Allow"]


def test_415_answers_list_the_accepted_types_in_a_header(client, app):
    token = token_for(client, app, partner="northshire-police", roles=["uploader"])
    response = client.post(
        "/api/v1/agreements/crime-asb-hotspots/datasets/police-street-crime/uploads",
        data=io.BytesIO(b"<html></html>"),
        headers={**bearer(token), "Content-Type": "text/html"},
    )
    assert response.status_code == 415
    accepted = response.headers["Accept-Post"]
    assert "text/csv" in accepted
    assert accepted.split(", ") == response.get_json()["accepted"]


def test_problem_types_are_pages_the_hub_serves_and_instance_is_set(client, settings):
    problem = client.get("/api/v1/agreements").get_json()
    assert problem["type"] == f"{settings.effective_issuer}/problems/unauthenticated"
    assert problem["instance"] == "/api/v1/agreements"
    page = client.get("/problems/unauthenticated")
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert "Authentication required" in page.get_data(as_text=True)
    index = client.get("/problems").get_data(as_text=True)
    for code in ("invalid_request", "forbidden", "not_found", "too_many_requests", "unavailable"):
        assert f"/problems/{code}" in index
        assert client.get(f"/problems/{code}").status_code == 200
    assert client.get("/problems/no_such_kind").status_code == 404


def test_503_answers_carry_retry_after(client, monkeypatch):
    def unavailable(*args, **kwargs):
        raise OSError("the database went away")

    monkeypatch.setattr(audit_hook, "append", unavailable)
    response = client.get("/api/v1/audit/public-key")
    assert response.status_code == 503
    assert response.mimetype == PROBLEM
    assert int(response.headers["Retry-After"]) > 0
