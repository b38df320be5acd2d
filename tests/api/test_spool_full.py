"""Issue 11, item 3: a full spool disk is a 507 problem+json, leaves no partial file, and is
an audit event. The disk is "full" through the hub's own free-space reserve
(HUB_SPOOL_RESERVE_BYTES larger than any disk), or a write that fails with ENOSPC."""

from __future__ import annotations

import errno
import importlib
import io

import pytest

from tests.conftest import make_settings
from tests.helpers import token_for
from tests.helpers_ingest import events, police_csv, send, with_ingest

PROBLEM = "application/problem+json"
# The module (hub.ingest's `spool` is its function of the same name).
spool_module = importlib.import_module("hub.ingest.spool")


@pytest.fixture
def settings(tmp_path, database_url, test_keys):
    return make_settings(tmp_path, database_url, test_keys, spool_reserve_bytes=10**18)


@pytest.fixture
def app(app):
    return with_ingest(app)


@pytest.fixture
def police(client, app) -> str:
    return token_for(client, app, partner="northshire-police", roles=["uploader"])


def _spool(app) -> list[str]:
    folder = app.extensions["hub.settings"].effective_spool_dir
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def _assert_full(app, response) -> None:
    assert response.status_code == 507, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body = response.get_json()
    assert body["code"] == "insufficient_storage"
    assert "later" in body["detail"]
    assert _spool(app) == []  # no partial file
    (event,) = [e for e in events(app, action="dataset.upload") if e.outcome == "failed"]
    assert event.reason == "insufficient_storage"
    assert event.details["http"]["status"] == 507


def test_an_upload_the_spool_has_no_room_for_is_a_507(client, app, police):
    _assert_full(app, send(client, police, police_csv(50)))


def test_a_chunked_upload_that_fills_the_disk_is_a_507(client, app, police):
    response = client.post(
        "/api/v1/agreements/crime-asb-hotspots/datasets/police-street-crime/uploads",
        input_stream=io.BytesIO(police_csv(50)),
        headers={
            "Authorization": f"Bearer {police}",
            "Content-Type": "text/csv",
            "Transfer-Encoding": "chunked",
        },
        environ_overrides={"wsgi.input_terminated": True},
    )
    _assert_full(app, response)


def test_a_write_that_fails_with_enospc_is_a_507(client, app, police, monkeypatch):
    monkeypatch.setattr(spool_module, "_free_bytes", lambda _folder: 10**19)
    real_fdopen = spool_module.os.fdopen

    class Full(io.RawIOBase):
        def __init__(self, handle):
            self.handle = handle

        def writable(self):
            return True

        def write(self, block):
            self.handle.write(block[:10])  # part of it lands, then the disk is full
            raise OSError(errno.ENOSPC, "No space left on device")

        def close(self):
            self.handle.close()
            super().close()

    monkeypatch.setattr(
        spool_module.os, "fdopen", lambda fd, mode: Full(real_fdopen(fd, mode))
    )
    _assert_full(app, send(client, police, police_csv(50)))
