"""Issue 11, items 4, 6 and 16: bad input is a 4xx that says what to fix, never a 500.

JSON nested 1,000 deep, a CR/LF in the sign-in `next` field, a deeply nested NDJSON upload,
a gzip file, an oversized or over-counted query: each is refused with problem+json (or the
upload ends `rejected` with a reason the sender can act on), and the refusal is audited.
"""

from __future__ import annotations

import gzip
import io
import json
import re

import pytest

from tests.helpers import bearer, token_for
from tests.helpers_ingest import (
    EARLY,
    events,
    police_csv,
    send,
    wait_for_upload,
    with_ingest,
)

PROBLEM = "application/problem+json"
QUERY = "/api/v1/views/crime-asb-hotspots/query"


@pytest.fixture
def app(app):
    return with_ingest(app)


@pytest.fixture
def police(client, app) -> str:
    return token_for(client, app, partner="northshire-police", roles=["uploader"])


@pytest.fixture
def analyst(client, app) -> str:
    return token_for(client, app, partner="northshire-police", roles=["analyst"])


def assert_problem(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body = response.get_json()
    if code:
        assert body["code"] == code, body
    return body


# -- JSON bodies --------------------------------------------------------------------------------


def test_json_nested_a_thousand_deep_is_a_400_that_says_so(client, analyst):
    body = b'{"purpose": "x", "justification": "y", "filters": ' + b"[" * 1000 + b"]" * 1000
    body += b"}"
    response = client.post(
        QUERY, data=body, headers={**bearer(analyst), "Content-Type": "application/json"}
    )
    problem = assert_problem(response, 400, "json_too_deep")
    assert "nested" in problem["detail"]
    assert problem["max_depth"] >= 8


def test_json_nested_deeper_than_the_interpreter_can_parse_is_a_400(client, analyst):
    body = b"[" * 100_000 + b"]" * 100_000
    response = client.post(
        QUERY, data=body, headers={**bearer(analyst), "Content-Type": "application/json"}
    )
    assert_problem(response, 400, "json_too_deep")


def test_brackets_inside_strings_do_not_count_as_nesting(client, analyst):
    body = json.dumps(
        {"purpose": "[" * 40, "justification": "{{{{{{{{{{{{{{{{\\\"{{{{" + "{" * 40}
    )
    response = client.post(
        QUERY, data=body, headers={**bearer(analyst), "Content-Type": "application/json"}
    )
    # Refused for its purpose (not the agreement's), not for its nesting.
    assert response.status_code != 400 or response.get_json()["code"] != "json_too_deep"


def test_a_json_body_over_the_limit_is_a_413_before_it_is_parsed(client, app, analyst):
    limit = app.extensions["hub.settings"].max_json_bytes
    body = json.dumps({"purpose": "x", "justification": "y" * (limit + 10)})
    response = client.post(
        QUERY, data=body, headers={**bearer(analyst), "Content-Type": "application/json"}
    )
    problem = assert_problem(response, 413, "payload_too_large")
    assert problem["max_bytes"] == limit
    (event,) = [e for e in events(app) if e.details["http"]["status"] == 413]
    assert event.outcome == "failed"


def test_a_chunked_json_body_over_the_limit_is_a_413(client, app, analyst):
    limit = app.extensions["hub.settings"].max_json_bytes
    body = json.dumps({"purpose": "x", "justification": "y" * (limit + 10)}).encode()
    response = client.post(
        QUERY,
        input_stream=io.BytesIO(body),
        headers={
            **bearer(analyst),
            "Content-Type": "application/json",
            "Transfer-Encoding": "chunked",
        },
        environ_overrides={"wsgi.input_terminated": True},  # as gunicorn says
    )
    assert_problem(response, 413, "payload_too_large")


def test_a_query_with_too_many_filters_is_refused(client, analyst):
    filters = [{"column": "month", "op": "eq", "value": "2025-01"}] * 1000
    response = client.post(
        QUERY,
        json={"purpose": "x", "justification": "y", "filters": filters},
        headers=bearer(analyst),
    )
    problem = assert_problem(response, 400)
    assert any(e["location"] == "filters" for e in problem["errors"]), problem


def test_an_in_list_too_long_is_refused(client, analyst):
    filters = [{"column": "month", "op": "in", "value": [f"v{i}" for i in range(10_000)]}]
    response = client.post(
        QUERY,
        json={"purpose": "x", "justification": "y", "filters": filters},
        headers=bearer(analyst),
    )
    problem = assert_problem(response, 400)
    assert any(e["location"].startswith("filters.0.value") for e in problem["errors"]), problem


def test_a_filter_value_may_not_be_an_object(client, analyst):
    filters = [{"column": "month", "op": "eq", "value": {"a": {"b": 1}}}]
    response = client.post(
        QUERY,
        json={"purpose": "x", "justification": "y", "filters": filters},
        headers=bearer(analyst),
    )
    assert_problem(response, 400)


def test_the_largest_query_the_api_allows_makes_a_bounded_audit_event(client, app, analyst):
    from hub.audit import MAX_DETAILS_BYTES

    big = "z" * 100
    filters = [{"column": "month", "op": "in", "value": [big] * 100}] * 20
    body = {
        "purpose": "p" * 100,
        "justification": "j" * 2000,
        "case_reference": "c" * 200,
        "filters": filters,
    }
    raw = json.dumps(body)
    assert len(raw) > MAX_DETAILS_BYTES  # the query would exceed the bound if logged whole
    assert len(raw) <= app.extensions["hub.settings"].max_json_bytes
    response = client.post(
        QUERY, data=raw, headers={**bearer(analyst), "Content-Type": "application/json"}
    )
    assert response.status_code < 500, response.get_json()
    (event,) = [e for e in events(app, action="view.query")]
    recorded = json.dumps(event.details, separators=(",", ":"), ensure_ascii=False)
    assert len(recorded.encode()) <= MAX_DETAILS_BYTES
    assert event.details["justification"] == "j" * 2000  # the why is always kept whole
    assert "filters" in event.details["omitted"]  # what did not fit is named, with its hash
    assert re.fullmatch(r"[0-9a-f]{64}", event.details["omitted"]["filters"]["sha256"])


# -- the sign-in form ---------------------------------------------------------------------------


@pytest.mark.parametrize("next_value", ["/console\r\nSet-Cookie: x=1", "/console\n", "/a\x00b"])
def test_a_control_character_in_the_next_page_of_a_sign_in_is_a_400(client, next_value):
    """On the way to a partner's provider: the page to come back to is refused before the
    hub goes anywhere (no header is ever built from it)."""
    response = client.get(
        "/sign-in/northshire-police",
        query_string={"next": next_value},
        headers={"Accept": "application/problem+json"},
    )
    problem = assert_problem(response, 400, "bad_next")
    assert "next" in problem["detail"]


def test_a_control_character_in_the_sign_in_next_query_is_a_400(client):
    response = client.get(
        "/sign-in?next=/console%0d%0aX:1", headers={"Accept": "application/problem+json"}
    )
    assert_problem(response, 400, "bad_next")


# -- uploads ------------------------------------------------------------------------------------


def test_a_deeply_nested_ndjson_upload_is_the_senders_to_fix(client, app):
    token = token_for(client, app, partner="northshire-police", roles=["uploader"])
    line = b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}\n"
    response = send(
        client,
        token,
        line,
        agreement=EARLY,
        dataset="police-contacts",
        media_type="application/x-ndjson",
    )
    if response.status_code == 422:
        problem = response.get_json()
    else:
        assert response.status_code == 202, response.get_json()
        problem = wait_for_upload(client, token, response.get_json()["id"])
        assert problem["status"] == "rejected", problem
        problem = problem["error"]
    text = json.dumps(problem).lower()
    assert "nested" in text
    assert "operators" not in text


def test_a_gzip_file_is_called_gzip_not_utf16(client, police):
    response = send(client, police, gzip.compress(police_csv(5)))
    problem = assert_problem(response, 422, "compressed_file")
    assert "gzip" in problem["detail"]
    assert "UTF-16" not in problem["detail"]
