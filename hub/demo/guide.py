"""What the demo prints about each view: its URL, who may query it, and a curl example.

`view_guides` reads the view specs (in an app context); `render_views` is plain text from
plain data, so the story process (hub/demo/story.py), which holds no app, prints it too.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field

from flask import current_app

from hub.agreements import current_policies
from hub.demo.clients import DemoClient
from hub.views import load_views

# What an analyst might write (a query without a justification is refused): by view, else
# by kind. No apostrophes: the curl examples quote the body in single quotes.
JUSTIFICATIONS = {
    "early-intervention-cohort": "Demo: young people to discuss at the early help panel",
    "crime-asb-hotspots": "Demo: where and when to plan patrols and joint tasking",
    "violence-hotspots": "Demo: where violence happens, for the serious violence duty",
    "street-crime-forecast": "Demo: next months patrol zones for the tasking meeting",
    "person": "Demo: people to discuss at the panel",
    "aggregate": "Demo: where and when things happen",
    "forecast": "Demo: where crime is likely next month, to plan patrols",
}
EXAMPLE_LIMIT = 5


@dataclass(frozen=True)
class ViewGuide:
    id: str
    title: str
    kind: str
    agreement: str
    purpose: str
    justification: str
    # The demo clients the view is for (its partners' analysts); the first is the example's.
    clients: list[DemoClient] = field(default_factory=list)

    def query_body(self, limit: int = EXAMPLE_LIMIT) -> dict:
        return {"purpose": self.purpose, "justification": self.justification, "limit": limit}

    @classmethod
    def from_json(cls, data: dict) -> ViewGuide:
        clients = [DemoClient(**c) for c in data.get("clients", [])]
        return cls(**{**data, "clients": clients})


def view_guides(clients: list[DemoClient]) -> list[ViewGuide]:
    """Every view, person views (the cohort) first, with the demo analysts it is for."""
    policies = current_policies()
    settings = current_app.extensions["hub.settings"]
    views = load_views(settings.policies_dir, policies)
    guides = []
    for view in sorted(views.values(), key=lambda v: (v.kind != "person", v.id)):
        agreement = policies.agreements[view.agreement]
        allowed = [
            c
            for c in clients
            if c.partner in view.partners and any(role in view.roles for role in c.roles)
        ]
        guides.append(
            ViewGuide(
                id=view.id,
                title=view.title,
                kind=view.kind,
                agreement=view.agreement,
                purpose=agreement.purpose.id,
                justification=JUSTIFICATIONS.get(view.id) or JUSTIFICATIONS[view.kind],
                clients=allowed,
            )
        )
    return guides


def describe(client: DemoClient) -> str:
    return f"{client.partner} {'/'.join(client.roles)}"


def curl_example(base: str, guide: ViewGuide) -> list[str]:
    """Shell lines that get a token as the view's first client and query the view."""
    client = guide.clients[0]
    body = json.dumps(guide.query_body())
    credentials = shlex.quote(f"{client.client_id}:{client.client_secret}")
    return [
        f"TOKEN=$(curl -s -u {credentials} -d grant_type=client_credentials \\",
        f"  {base}/oauth/token \\",
        "  | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"access_token\"])')",
        f"curl -s -X POST {base}/api/v1/views/{guide.id}/query \\",
        '  -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" \\',
        f"  -d {shlex.quote(body)}",
    ]


def render_views(base: str, guides: list[ViewGuide], outsiders: list[DemoClient]) -> str:
    lines = ["Views (analysts query them for the agreement's purpose, with a justification):"]
    for guide in guides:
        kind = {
            "person": "one row per person",
            "forecast": "next month's patrol zones (JSON, or GeoJSON with "
            "Accept: application/geo+json)",
        }.get(guide.kind, "counts, small cells hidden")
        lines += [
            "",
            f"  {guide.title}: {kind}",
            f"    URL:       {base}/api/v1/views/{guide.id}  (POST …/query to run it)",
            f"    Agreement: {guide.agreement}, purpose `{guide.purpose}`",
        ]
        if not guide.clients:
            lines.append("    No demo client may query it.")
            continue
        lines.append("    Query as:  " + ", ".join(describe(c) for c in guide.clients))
        lines.append(f"    Try it (as {describe(guide.clients[0])}):")
        lines += [f"      {line}" for line in curl_example(base, guide)]
    for outsider in outsiders:
        lines += [
            "",
            f"  The {describe(outsider)} ({outsider.client_id}) is party to no agreement:",
            "  every view refuses it (403), and the audit log records the refusal.",
        ]
    return "\n".join(lines)
