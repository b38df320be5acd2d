"""The demo: clients for every kind of user, written to instance/demo-clients.json, and
what `hub demo` prints first.

Run inside an app context after migrations and the policy sync. Running it again reuses the
clients in the file while they still work; otherwise it makes a new set. The rest of the
demo: hub/demo/run.py (the `hub demo` command's steps), hub/demo/feeds.py (the synthetic
feeds), hub/demo/story.py (uploads and queries over HTTP), hub/demo/guide.py (the views).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from flask import current_app

from hub import auth
from hub.settings import Settings


@dataclass(frozen=True)
class DemoClient:
    client_id: str
    client_secret: str
    partner: str
    roles: list[str]


@dataclass(frozen=True)
class WantedClient:
    name: str
    partner: str
    roles: list[str]


def wanted_clients() -> list[WantedClient]:
    """Per party an uploader (for providers) and an IG officer; analysts of two recipients;
    an analyst of a partner that is party to no agreement; an admin."""
    policies = current_app.extensions["hub.policies"]
    providers = {share.provider for a in policies.agreements.values() for share in a.datasets}
    recipients: list[str] = []
    for agreement in policies.agreements.values():
        for share in agreement.datasets:
            for recipient in share.recipients:
                if recipient.partner not in recipients:
                    recipients.append(recipient.partner)
    parties = {p.partner for a in policies.agreements.values() for p in a.parties}
    outsiders = [pid for pid in policies.partners if pid not in parties]

    wanted: list[WantedClient] = []
    for partner_id in policies.partners:
        if partner_id in providers:
            wanted.append(WantedClient(f"{partner_id} uploader", partner_id, ["uploader"]))
        if partner_id in parties:
            wanted.append(WantedClient(f"{partner_id} IG officer", partner_id, ["ig_officer"]))
    for partner_id in recipients[:2]:
        wanted.append(WantedClient(f"{partner_id} analyst", partner_id, ["analyst"]))
    if outsiders:
        outsider = outsiders[0]
        wanted.append(WantedClient(f"{outsider} analyst (no agreement)", outsider, ["analyst"]))
    operator = next((p for p in policies.partners.values() if p.kind == "other"), None)
    admin_partner = operator.id if operator else next(iter(policies.partners))
    wanted.append(WantedClient("hub administrator", admin_partner, ["admin"]))
    return wanted


def _still_valid(clients: list[DemoClient]) -> bool:
    active = {c.client_id: c for c in auth.list_clients() if c.revoked_at is None}
    return bool(clients) and all(
        c.client_id in active
        and active[c.client_id].partner_id == c.partner
        and sorted(active[c.client_id].roles) == sorted(c.roles)
        for c in clients
    )


def _read(path: Path) -> list[DemoClient]:
    try:
        return [DemoClient(**item) for item in json.loads(path.read_text())]
    except (OSError, ValueError, TypeError):
        return []


def _write(path: Path, clients: list[DemoClient]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump([asdict(c) for c in clients], handle, indent=2)
        handle.write("\n")
    tmp.replace(path)


def ensure_demo_clients(path: Path) -> tuple[Path, list[DemoClient]]:
    existing = _read(path)
    if _still_valid(existing):
        return path, existing
    made = []
    for wanted in wanted_clients():
        client, secret = auth.create_client(
            name=wanted.name, partner=wanted.partner, roles=wanted.roles
        )
        made.append(DemoClient(client.client_id, secret, wanted.partner, list(wanted.roles)))
    _write(path, made)
    return path, made


def introduction(
    settings: Settings, clients_file: Path | str, clients: list[DemoClient], *, files: list[str]
) -> str:
    """What `hub demo` prints first: where things are, and the clients."""
    base = f"http://{settings.host}:{settings.port}"
    lines = [
        "",
        "The hub's demo: a fictional county, Northshire, its police, council, hospital trust",
        "and two schools, sharing data under two agreements (policies/agreements/).",
        "",
        f"  The hub:             {base}  (API documentation {base}/docs)",
        f"  Demo clients:        {clients_file} ({len(clients)} clients, secrets included)",
        *(f"  {line}" for line in files),
        "",
        "Clients:",
        *(f"  {c.client_id:<40} {c.partner:<28} {','.join(c.roles)}" for c in clients),
        "",
    ]
    return "\n".join(lines)


def ig_officer_example(base: str, clients: list[DemoClient]) -> str:
    """The audit side of the story: an IG officer reads who did what."""
    ig = next((c for c in clients if "ig_officer" in c.roles), clients[0])
    return "\n".join(
        [
            f"See who did what, as the IG officer of {ig.partner}:",
            f"  TOKEN=$(curl -s -u '{ig.client_id}:{ig.client_secret}' \\",
            f"    -d grant_type=client_credentials {base}/oauth/token | python3 -c \\",
            "    'import json,sys; print(json.load(sys.stdin)[\"access_token\"])')",
            f'  curl -s -H "Authorization: Bearer $TOKEN" {base}/api/v1/agreements',
            f'  curl -s -H "Authorization: Bearer $TOKEN" \\\n'
            f'    "{base}/api/v1/audit/events?order=desc&limit=5"   # the newest first',
            f"  curl -s {base}/api/v1/audit/checkpoint      # a signed note anyone can verify",
        ]
    )
