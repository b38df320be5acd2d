"""Helpers for ingest tests: files to send, sending them over HTTP and waiting for the end.

Processing is asynchronous (the embedded thread pool in tests), so a test sends, then polls
GET /api/v1/uploads/{id} until the upload is done, with a bounded wait.
"""

from __future__ import annotations

import csv
import io
import time
from urllib.parse import urlsplit

import requests
import requests.adapters
import requests.structures
from sqlalchemy import select

from hub import db
from hub.db.models import AuditEvent
from tests.data import POLICE_STREET_CSV
from tests.helpers import bearer

POLICE_FILE = POLICE_STREET_CSV
POLICE_ROWS = 688
CRIME = "crime-asb-hotspots"
EARLY = "early-intervention-young-people"
STREET = "police-street-crime"
TERMINAL = {"published", "rejected", "failed", "withdrawn", "replaced"}


def uploads_url(agreement: str = CRIME, dataset: str = STREET) -> str:
    return f"/api/v1/agreements/{agreement}/datasets/{dataset}/uploads"


def police_lines() -> list[str]:
    """The real month of City of London street crime, line by line (header first)."""
    return POLICE_FILE.read_text(encoding="utf-8").splitlines()


def police_csv(rows: int | None = None, *, start: int = 0) -> bytes:
    """The header and `rows` data rows of the real file (all of them if None), from `start`."""
    lines = police_lines()
    data = lines[1:][start : None if rows is None else start + rows]
    return ("\n".join([lines[0], *data]) + "\n").encode("utf-8")


def csv_bytes(header: list[str], rows: list[list[str]], *, encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def send(
    client,
    token: str,
    data: bytes,
    *,
    agreement: str = CRIME,
    dataset: str = STREET,
    media_type: str = "text/csv",
    headers: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
):
    return client.post(
        uploads_url(agreement, dataset),
        data=data,
        headers={**bearer(token), "Content-Type": media_type, **(headers or {})},
        query_string=query,
    )


def wait_for_upload(client, token: str, upload_id: str, *, timeout: float = 60.0) -> dict:
    """GET the upload until its status is final; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        response = client.get(f"/api/v1/uploads/{upload_id}", headers=bearer(token))
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        if body["status"] in TERMINAL:
            return body
        if time.monotonic() > deadline:
            raise AssertionError(
                f"upload {upload_id} still {body['status']} after {timeout} s: {body}"
            )
        time.sleep(0.1)


def send_and_wait(client, token: str, data: bytes, **kwargs) -> dict:
    response = send(client, token, data, **kwargs)
    assert response.status_code in (200, 202), response.get_json()
    return wait_for_upload(client, token, response.get_json()["id"])


def events(app, *, action: str | None = None) -> list[AuditEvent]:
    with app.app_context(), db.read_only() as session:
        query = select(AuditEvent).order_by(AuditEvent.index)
        if action:
            query = query.where(AuditEvent.action == action)
        return list(session.execute(query).scalars())


def with_ingest(app):
    """`app` with the ingest API registered, until hub/app.py registers it itself."""
    from hub import ingest
    from hub.api.uploads import api

    if "ingest" not in app.blueprints:
        app.register_api(api)
        init_app = getattr(ingest, "init_app", None)
        if init_app is not None:
            init_app(app, app.extensions["hub.settings"])
    return app


class FlaskTransport(requests.adapters.BaseAdapter):
    """A requests transport that hands each request to a Flask test client, so the sender
    (hub.client.sender) can be tested without a server process."""

    def __init__(self, client):
        super().__init__()
        self.client = client

    def send(self, request, **kwargs):
        url = urlsplit(request.url)
        body = request.body
        if hasattr(body, "read"):  # a streamed body: read it the way a socket would
            body = b"".join(iter(lambda: body.read(64 * 1024), b""))
        answer = self.client.open(
            url.path,
            method=request.method,
            query_string=url.query,
            headers=dict(request.headers),
            data=body,
        )
        response = requests.Response()
        response.status_code = answer.status_code
        response.headers = requests.structures.CaseInsensitiveDict(answer.headers)
        response._content = answer.get_data()
        response.url = request.url
        response.request = request
        return response

    def close(self):
        pass
