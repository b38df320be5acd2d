"""A real `hub` process, started the way an operator starts it."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.conftest import clock_settings

HUB = str(Path(sys.executable).with_name("hub"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# Where policies/partners.yaml puts the demo's OpenID Provider; tests move it to a free port.
DEMO_PROVIDER = "127.0.0.1:8400"


def demo_policies(tmp_path: Path) -> Path:
    """A copy of policies/ whose demo issuers are on a free port of this test's own, so that
    hubs (and their demo providers) of tests running side by side do not clash."""
    root = Path(__file__).resolve().parents[2]
    target = tmp_path / "policies-demo"
    if not target.exists():
        shutil.copytree(root / "policies", target)
        partners = target / "partners.yaml"
        text = partners.read_text().replace(DEMO_PROVIDER, f"127.0.0.1:{free_port()}")
        partners.write_text(text)
    return target


def hub_env(tmp_path: Path, database_url: str, port: int, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    if "HUB_POLICIES_DIR" not in extra:
        env["HUB_POLICIES_DIR"] = str(demo_policies(tmp_path))
    env.update(
        HUB_INSTANCE_PATH=str(tmp_path / "instance"),
        HUB_DATABASE_URL=database_url,
        HUB_HOST="127.0.0.1",
        HUB_PORT=str(port),
        **{f"HUB_{k.upper()}": v.isoformat() for k, v in clock_settings().items()},
        **extra,
    )
    return env


@dataclass
class RunningHub:
    url: str
    process: subprocess.Popen
    instance: Path
    env: dict[str, str]

    def stop(self) -> str:
        self.process.terminate()
        try:
            out, _ = self.process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            out, _ = self.process.communicate()
        return out


def wait_ready(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            out = process.stdout.read() if process.stdout else ""
            raise AssertionError(f"hub exited early ({process.returncode}):\n{out}")
        try:
            if requests.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except (requests.ConnectionError, requests.Timeout):  # busy starting, or down
            pass
        time.sleep(0.25)
    raise AssertionError(f"hub did not become ready at {url}")


@pytest.fixture
def running_demo(tmp_path, database_url):
    """`hub demo` serving on a free port against the test database."""
    port = free_port()
    env = hub_env(tmp_path, database_url, port)
    process = subprocess.Popen(
        [HUB, "demo"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    hub = RunningHub(url=url, process=process, instance=tmp_path / "instance", env=env)
    try:
        wait_ready(url, process)
        yield hub
    finally:
        if process.poll() is None:
            hub.stop()


@pytest.fixture
def policies_copy(tmp_path) -> Path:
    root = Path(__file__).resolve().parents[2]
    target = tmp_path / "policies"
    shutil.copytree(root / "policies", target)
    return target
