"""The demo's people, and the OpenID Provider that holds them (oidc/provider.mjs).

Each partner with `sign_in` in policies/partners.yaml whose issuer is on this machine gets
its people here: an analyst, an IG officer and an uploader for the police and the council, an
IG officer for every other party, an analyst of a partner in no agreement, an administrator of
the operator, and Mallory, a police user whose provider says she is of the council with the
council's groups (the hub refuses her). Passwords and the hub's client secrets are made once
and kept in instance/ (mode 0600):

- demo-people.json   the people as `hub demo` prints them (partner, username, password, roles)
- demo-oidc.json     the provider's configuration: issuers, the hub's client, the people

`hub demo` starts the provider (node) before it serves; the tests start it the same way.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import requests
import yaml

from hub.agreements import Partner
from hub.settings import PROJECT_ROOT, Settings

PROVIDER_DIR = PROJECT_ROOT / "oidc"
PROVIDER_SCRIPT = PROVIDER_DIR / "provider.mjs"
PEOPLE_FILE = "demo-people.json"
PROVIDER_FILE = "demo-oidc.json"
SECRETS_FILE = "demo-oidc-secrets.json"
_LOCAL = ("127.0.0.1", "localhost")


@dataclass(frozen=True)
class DemoPerson:
    partner: str
    username: str
    name: str
    groups: list[str]
    extra_claims: dict = field(default_factory=dict)


def _group(partner: Partner, role: str) -> str:
    return next(claim for claim, mapped in partner.sign_in.roles.items() if mapped == role)


def wanted_people(partners: dict[str, Partner]) -> list[DemoPerson]:
    people: list[DemoPerson] = []
    names = {
        ("northshire-police", "analyst"): ("police.analyst", "Priya Shah"),
        ("northshire-police", "ig_officer"): ("police.ig", "Owen Hart"),
        ("northshire-police", "uploader"): ("police.uploader", "Sam Okafor"),
        ("northshire-council", "analyst"): ("council.analyst", "Alex Morgan"),
        ("northshire-council", "ig_officer"): ("council.ig", "Jo Bennett"),
        ("northshire-council", "uploader"): ("council.uploader", "Chris Doyle"),
        ("westshire-council", "analyst"): ("westshire.analyst", "Robin Hale"),
        ("northshire-data-hub", "admin"): ("hub.admin", "Dana Reyes"),
    }
    for partner in partners.values():
        if partner.sign_in is None:
            continue
        for role in sorted(set(partner.sign_in.roles.values())):
            username, name = names.get(
                (partner.id, role), (f"{partner.id}.{role.replace('_', '-')}", "")
            )
            if not name:
                if role != "ig_officer":
                    continue
                name = f"{partner.name} IG officer"
            people.append(DemoPerson(partner.id, username, name, [_group(partner, role)]))
    police, council = partners.get("northshire-police"), partners.get("northshire-council")
    if police and council and police.sign_in and council.sign_in:
        people.append(
            DemoPerson(
                "northshire-police",
                "mallory",
                "Mallory Cross",
                [_group(council, "ig_officer"), _group(council, "analyst")],
                {"hub_partner": council.id},
            )
        )
    return people


def _local(partner: Partner) -> bool:
    return partner.sign_in is not None and urlsplit(partner.sign_in.issuer).hostname in _LOCAL


def _write_private(path: Path, value) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(value, handle, indent=2)


def _read(path: Path) -> dict:
    try:
        value = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def ensure_client_secrets(instance: Path, policies_dir: Path) -> dict[str, str]:
    """The hub's client secrets at the demo provider, made once; put into the environment
    (HUB_OIDC_SECRET_*) unless already there. Runs before the app's settings are read, so it
    reads partners.yaml itself (the app checks the file fully when it starts)."""
    path = instance / SECRETS_FILE
    kept = _read(path)
    try:
        listed = yaml.safe_load((policies_dir / "partners.yaml").read_text())["partners"]
    except (OSError, ValueError, KeyError, TypeError, yaml.YAMLError):
        listed = []
    wanted = set()
    for item in listed if isinstance(listed, list) else []:
        sign_in = item.get("sign_in") if isinstance(item, dict) else None
        if isinstance(sign_in, dict) and urlsplit(str(sign_in.get("issuer"))).hostname in _LOCAL:
            wanted.add(str(sign_in.get("client_secret_env")))
    made = {env: kept.get(env) or secrets.token_urlsafe(32) for env in sorted(wanted)}
    if made != kept:
        _write_private(path, made)
    for env, secret in made.items():
        os.environ.setdefault(env, secret)
    return made


def ensure_people(instance: Path, partners: dict[str, Partner]) -> list[dict]:
    """The demo people with their passwords (kept from an earlier run where they match)."""
    path = instance / PEOPLE_FILE
    try:
        kept = {(p["partner"], p["username"]): p for p in json.loads(path.read_text())}
    except (OSError, ValueError, KeyError, TypeError):
        kept = {}
    out = []
    for person in wanted_people(partners):
        if not _local(partners[person.partner]):
            continue
        mapping = partners[person.partner].sign_in.roles
        before = kept.get((person.partner, person.username), {})
        out.append(
            {
                "partner": person.partner,
                "username": person.username,
                "password": before.get("password") or secrets.token_urlsafe(9),
                "name": person.name,
                "issuer": partners[person.partner].sign_in.issuer.rstrip("/"),
                "subject": before.get("subject") or secrets.token_hex(8),
                "groups": person.groups,
                "roles": sorted({mapping[g] for g in person.groups if g in mapping}),
                "extra_claims": person.extra_claims,
            }
        )
    _write_private(path, out)
    return out


def provider_config(
    settings: Settings, partners: dict[str, Partner], people: list[dict], client_secrets: dict
) -> dict:
    local = [p for p in partners.values() if _local(p)]
    ports = {urlsplit(p.sign_in.issuer).port for p in local}
    hosts = {urlsplit(p.sign_in.issuer).hostname for p in local}
    if len(ports) != 1 or len(hosts) != 1:
        raise ValueError("the demo's issuers must share one host and port")
    base = settings.effective_issuer
    return {
        "host": hosts.pop(),
        "port": ports.pop(),
        "issuers": [
            {
                "name": p.name,
                "issuer": p.sign_in.issuer.rstrip("/"),
                "clients": [
                    {
                        "client_id": p.sign_in.client_id,
                        "client_secret": client_secrets[p.sign_in.client_secret_env],
                        "redirect_uris": [f"{base}/sign-in/{p.id}/callback"],
                    }
                ],
                "people": [
                    {
                        "username": person["username"],
                        "password": person["password"],
                        "sub": person["subject"],
                        "name": person["name"],
                        "email": f"{person['username']}@{p.id}.example",
                        "groups": person["groups"],
                        "extra_claims": person["extra_claims"],
                    }
                    for person in people
                    if person["partner"] == p.id
                ],
            }
            for p in local
        ],
    }


def start_provider(config_path: Path, config: dict, *, log: Path) -> subprocess.Popen:
    """Start oidc/provider.mjs with `config`; return once its issuers answer discovery."""
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("node is missing: install Debian's nodejs (make demo does)")
    if not (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir():
        raise RuntimeError("oidc-provider is not installed: run `npm ci` in oidc/ (make demo does)")
    _write_private(config_path, config)
    with log.open("a") as out:
        process = subprocess.Popen(  # noqa: S603 - our own script, by absolute path
            [node, str(PROVIDER_SCRIPT), str(config_path)],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=PROVIDER_DIR,
        )
    first = config["issuers"][0]["issuer"]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the demo's OpenID Provider exited early: see {log}")
        try:
            if requests.get(f"{first}/.well-known/openid-configuration", timeout=2).ok:
                return process
        except requests.RequestException:
            pass
        time.sleep(0.2)
    process.terminate()
    raise RuntimeError(f"the demo's OpenID Provider did not answer at {first}: see {log}")


def people_lines(people: list[dict], partners: dict[str, Partner]) -> list[str]:
    """What `hub demo` prints: who can sign in where, with which password."""
    lines = ["People (sign in at http://…/sign-in, pick the organisation, then at its provider):"]
    width = max(len(p["username"]) for p in people) if people else 0
    for p in people:
        roles = ", ".join(p["roles"]) or "no hub role (refused)"
        lines.append(
            f"  {p['partner']:<22} {p['username']:<{width}}  password {p['password']:<13} "
            f"{p['name']} ({roles})"
        )
    return lines
