"""`hub reidentifications list`: the re-identification requests (DPA 2018 s.171) and what
became of them, for the hub's operators; it also records the expiries that time has brought
(`reidentification.expired`, once each), so run it daily beside `hub agreements status`.
No pseudonym and no reference is ever printed."""

from __future__ import annotations

import json

import click

from hub.cli.context import app_for_command
from hub.governance import all_requests
from hub.governance.reidentification import STATUSES


@click.group("reidentifications")
def cli() -> None:
    """Inspect re-identification requests."""


@cli.command("list")
@click.option("--status", type=click.Choice(STATUSES), help="Only requests in this status.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per request.")
def list_command(status: str | None, as_json: bool) -> None:
    """Each request: when, under which agreement, the ground, the case, who asked, the
    decisions so far and its status (an approved one with its deadline)."""
    app = app_for_command()
    with app.app_context():
        items = all_requests(status=status)
    for v in items:
        decisions = [f"{d.partner}:{d.decision}" for d in v.decisions]
        if as_json:
            click.echo(
                json.dumps(
                    {
                        "id": v.id,
                        "agreement": v.agreement_id,
                        "status": v.status,
                        "basis": v.basis,
                        "case_reference": v.case_reference,
                        "requester_partner": v.requester_partner,
                        "target_providers": list(v.target_providers),
                        "decisions": decisions,
                        "created_at": v.created_at.isoformat(),
                        "expires_at": v.expires_at.isoformat() if v.expires_at else None,
                        "revealed_at": v.revealed_at.isoformat() if v.revealed_at else None,
                    }
                )
            )
            continue
        line = (
            f"{v.id} {v.created_at:%Y-%m-%d %H:%M} {v.agreement_id}: {v.status}; {v.basis}, "
            f"case {v.case_reference}, asked by {v.requester_partner}"
        )
        if decisions:
            line += f"; {', '.join(decisions)}"
        if v.status == "approved" and v.expires_at:
            line += f"; fetch by {v.expires_at:%Y-%m-%d %H:%M} UTC"
        click.echo(line)
    if not items and not as_json:
        click.echo("No re-identification requests.")
