"""What the benchmarks share: a throwaway PostgreSQL database, the hub as real processes
(`hub serve` and `hub worker`s), OAuth clients and tokens.

Not a benchmark itself (`make bench` runs it too, and it does nothing).
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import requests
import yaml
from sqlalchemy.engine import make_url

DEFAULT_DATABASE_URL = os.environ.get(
    "HUB_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
HUB = str(Path(sys.executable).with_name("hub"))
POLICIES = Path(__file__).resolve().parent.parent / "policies"


@contextlib.contextmanager
def scratch_database(server_url: str, *, keep: bool = False) -> Iterator[str]:
    """A new, empty database on `server_url`'s server; dropped afterwards unless `keep`."""
    admin_url = make_url(server_url).set(drivername="postgresql")
    admin = admin_url.render_as_string(hide_password=False)
    name = f"hub_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        if keep:
            print(f"kept database {name} (drop it with: DROP DATABASE {name} WITH (FORCE))")
        else:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def database_url(server_url: str, name: str) -> str:
    """`server_url` with another database name (an existing one, e.g. a kept bench database)."""
    url = make_url(server_url).set(drivername="postgresql", database=name)
    return url.render_as_string(hide_password=False)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def peak_rss_mb(pid: int) -> float:
    """VmHWM of a process and its descendants (a worker may fork per job)."""
    peak = 0
    todo = [pid]
    while todo:
        current = todo.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                peak = max(peak, int(line.split()[1]))
        todo.extend(int(c) for c in children)
    return peak / 1024


class HubProcesses:
    """`hub db upgrade`, then `hub serve` and `workers` x `hub worker` (with a Redis URL) as
    real processes on a free port, their output in `workdir/hub.log`; stopped on exit."""

    def __init__(
        self,
        database_url: str,
        workdir: Path,
        *,
        redis_url: str | None = None,
        workers: int = 1,
        serve_args: tuple[str, ...] = (),
        env: dict[str, str] | None = None,
    ):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.workdir = workdir
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
        self.env.update(
            HUB_INSTANCE_PATH=str(workdir / "instance"),
            HUB_DATABASE_URL=database_url,
            HUB_PORT=str(self.port),
            **({"HUB_REDIS_URL": redis_url} if redis_url else {}),
            **(env or {}),
        )
        self.worker_count = workers if redis_url else 0
        self.serve_args = serve_args
        self.server: subprocess.Popen | None = None
        self.workers: list[subprocess.Popen] = []

    def __enter__(self) -> HubProcesses:
        upgrade = subprocess.run([HUB, "db", "upgrade"], env=self.env, capture_output=True)
        if upgrade.returncode:
            raise SystemExit(f"hub db upgrade failed:\n{upgrade.stderr.decode()[-3000:]}")
        self._log = open(self.workdir / "hub.log", "w")  # noqa: SIM115 - closed in __exit__
        out = {"env": self.env, "stdout": self._log, "stderr": subprocess.STDOUT}
        self.server = subprocess.Popen([HUB, "serve", *self.serve_args], **out)
        self.workers = [subprocess.Popen([HUB, "worker"], **out) for _ in range(self.worker_count)]
        try:
            self._wait_ready()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _wait_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if requests.get(f"{self.base}/readyz", timeout=5).status_code == 200:
                    return
            except (requests.ConnectionError, requests.Timeout):
                pass  # not listening yet, or still starting on a busy machine
            if time.monotonic() > deadline:
                raise SystemExit(f"the hub did not start; see {self.workdir / 'hub.log'}")
            time.sleep(0.2)

    def __exit__(self, *_exc) -> None:
        processes = [*self.workers, *([self.server] if self.server else [])]
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        self._log.close()

    def add_client(self, *, partner: str, roles: list[str], name: str = "bench") -> dict:
        """A new OAuth client through `hub clients add`: {client_id, client_secret, ...}."""
        made = subprocess.run(
            [HUB, "clients", "add", "--name", name, "--partner", partner, "--json",
             *(arg for role in roles for arg in ("--role", role))],
            env=self.env, check=True, capture_output=True, text=True,
        )  # fmt: skip
        return json.loads(made.stdout)

    def token(self, client: dict) -> str:
        answer = requests.post(
            f"{self.base}/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(client["client_id"], client["client_secret"]),
            timeout=10,
        )
        answer.raise_for_status()
        return answer.json()["access_token"]

    def bearer(self, *, partner: str, roles: list[str]) -> dict[str, str]:
        """Authorization headers of a new client of `partner` with `roles`."""
        token = self.token(self.add_client(partner=partner, roles=roles))
        return {"Authorization": f"Bearer {token}"}

    def approve(self, agreement: str) -> None:
        """The IG officer of each party approves `agreement`, as the hub asks before anything
        is shared under it; a hub without that lifecycle answers 404 and needs nothing."""
        path = POLICIES / "agreements" / f"{agreement}.yaml"
        parties = [p["partner"] for p in yaml.safe_load(path.read_text())["parties"]]
        for partner in parties:
            answer = requests.post(
                f"{self.base}/api/v1/agreements/{agreement}/approvals",
                headers=self.bearer(partner=partner, roles=["ig_officer"]),
                timeout=30,
            )
            if answer.status_code == 404:
                return
            if answer.status_code not in (200, 201):
                raise SystemExit(
                    f"approval by {partner} refused: {answer.status_code} {answer.text[:500]}"
                )


if __name__ == "__main__":
    print("bench/_common.py holds helpers for the other benchmarks; nothing to run.")
