"""Issue 11, item 16: while PostgreSQL is unreachable (restarting, failing over), the hub
answers 503 problem+json with Retry-After, not 500; once it is back, the hub answers again.

The hub reaches PostgreSQL through a TCP relay the test can cut, as a failover cuts it.
"""

from __future__ import annotations

import socket
import threading
import time

import pytest
from sqlalchemy.engine import make_url

from tests.conftest import make_settings
from tests.helpers import bearer, token_for


class Relay:
    """127.0.0.1:<port> -> PostgreSQL; `cut()` drops every connection and refuses new ones."""

    def __init__(self, host: str, port: int):
        self.target = (host, port)
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.open = threading.Event()
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        self.listener.listen(64)
        self.open.set()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.open.is_set():
                client.close()  # refused, as a server that is down
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self) -> None:
        self.open.clear()
        with self.lock:
            for s in self.sockets:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()
            self.sockets.clear()

    def restore(self) -> None:
        self.open.set()

    def close(self) -> None:
        self.cut()
        self.listener.close()


@pytest.fixture
def database_url(postgres_server, approved_postgres_template):
    url = postgres_server.clone(approved_postgres_template)
    yield url
    postgres_server.drop(make_url(url).database)
    postgres_server.created.remove(make_url(url).database)


@pytest.fixture
def relay(database_url):
    where = make_url(database_url)
    relay = Relay(where.host or "127.0.0.1", where.port or 5432)
    yield relay
    relay.close()


@pytest.fixture
def settings(tmp_path, database_url, test_keys, relay):
    through = make_url(database_url).set(host="127.0.0.1", port=relay.port)
    return make_settings(
        tmp_path, through.render_as_string(hide_password=False), test_keys
    )


def test_an_unreachable_database_is_a_503_with_retry_after(client, app, relay):
    token = token_for(client, app, partner="northshire-police", roles=["analyst"])
    assert client.get("/api/v1/views", headers=bearer(token)).status_code == 200

    relay.cut()
    for path in ("/api/v1/views", "/api/v1/uploads", "/api/v1/agreements"):
        response = client.get(path, headers=bearer(token))
        assert response.status_code == 503, (path, response.get_data(as_text=True))
        assert response.mimetype == "application/problem+json"
        assert response.get_json()["code"] == "database_unavailable"
        assert int(response.headers["Retry-After"]) > 0

    relay.restore()
    deadline = time.monotonic() + 30
    while client.get("/api/v1/views", headers=bearer(token)).status_code != 200:
        assert time.monotonic() < deadline, "the hub did not recover"
        time.sleep(0.2)
