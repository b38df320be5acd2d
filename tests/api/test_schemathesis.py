"""Issue 11, done when: schemathesis runs against the served OpenAPI document, without a
token and as each role, with bounded examples, and finds no server error and no
conformance failure (status codes, content types, response schemas, headers).

The app is served over WSGI to schemathesis (it loads /openapi.json from it). SQLite only:
the other suites run every operation on PostgreSQL too; this one bounds its run time (a few
examples per operation and role, no shrinking).
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from hub import db
from hub.app import create_app
from tests.conftest import make_settings
from tests.helpers import fetch_token, make_client

EXAMPLES = 8  # per operation and role: about a minute for the five roles
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
ROLES = {
    "anonymous": None,
    "admin": "northshire-data-hub",
    "ig_officer": "northshire-council",
    "analyst": "northshire-police",
    "uploader": "northshire-police",
}


@pytest.fixture(scope="module")
def served(tmp_path_factory, sqlite_template, test_keys):
    import shutil

    from hub.agreements import sync_to_database
    from tests.helpers import approve_every_agreement

    folder = tmp_path_factory.mktemp("schemathesis")
    shutil.copyfile(sqlite_template, folder / "hub.sqlite3")
    hub = create_app(
        make_settings(
            folder,
            f"sqlite:///{folder / 'hub.sqlite3'}",
            test_keys,
            rate_limit_enabled=False,  # limits have their own tests; here every answer counts
        )
    )
    with hub.app_context():
        sync_to_database()
    approve_every_agreement(hub)
    tokens = {}
    client = hub.test_client()
    for role, partner in ROLES.items():
        if partner:
            client_id, secret = make_client(hub, partner=partner, roles=[role])
            tokens[role] = fetch_token(client, client_id, secret)
    yield hub, tokens
    db.get_engine(hub).dispose()


@pytest.mark.parametrize("role", list(ROLES))
def test_every_operation_conforms_to_the_document(served, role):
    hub, tokens = served
    schema = schemathesis.openapi.from_wsgi("/openapi.json", hub)
    headers = {"Authorization": f"Bearer {tokens[role]}"} if role in tokens else {}
    failures: list[str] = []
    operations, calls = 0, []
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def run(case):
            response = case.call(headers=headers)
            calls.append(response.status_code)
            try:
                case.validate_response(response, checks=CHECKS)
            except Exception as exc:  # noqa: BLE001 - gather every failure, then report
                failures.append(
                    f"{operation.method.upper()} {operation.path} -> {response.status_code}: "
                    f"{type(exc).__name__}: {str(exc)[:600]}"
                )

        run()
    assert operations >= 20 and len(calls) >= operations * 2
    print(f"{role}: {operations} operations, {len(calls)} requests, statuses {sorted(set(calls))}")
    assert failures == [], "\n\n".join(dict.fromkeys(failures))
