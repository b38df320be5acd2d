"""`hub agreements check`: check policies/ and contracts/ without an app or a database.
`hub agreements status`: each agreement's lifecycle status, from the database.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from pydantic import ValidationError

from hub.agreements import agreement_states, check_policies
from hub.cli.context import app_for_command, settings_problem
from hub.contracts import display_path
from hub.settings import Settings
from hub.views import check_views


@click.group("agreements")
def cli() -> None:
    """Check and inspect agreements, partners and contracts."""


@cli.command("check")
@click.option("--policies-dir", type=click.Path(path_type=Path), help="Default: HUB_POLICIES_DIR.")
@click.option(
    "--contracts-dir", type=click.Path(path_type=Path), help="Default: HUB_CONTRACTS_DIR."
)
def check(policies_dir: Path | None, contracts_dir: Path | None) -> None:
    """Check every partner, agreement and contract file; list each problem with its line."""
    if policies_dir is None or contracts_dir is None:
        try:
            settings = Settings()
        except ValidationError as exc:
            click.echo(settings_problem(exc), err=True)
            sys.exit(2)
        policies_dir = policies_dir or settings.policies_dir
        contracts_dir = contracts_dir or settings.contracts_dir
    result = check_policies(policies_dir, contracts_dir)
    policies, problems = result.policies, list(result.problems)
    views: dict = {}
    # Views are checked once the agreements they name load cleanly; otherwise every view of
    # a broken agreement would repeat its problem as "unknown agreement".
    if policies is not None and not problems:
        views, view_problems = check_views(policies_dir, policies)
        problems.extend(view_problems)
    if problems:
        for problem in problems:
            click.echo(str(problem))
        summary = f"{len(problems)} problem{'s' if len(problems) != 1 else ''} found."
        if result.unchecked:
            summary += (
                f" {len(result.unchecked)} file(s) could not be read far enough to check their "
                "references: fix the problems above and run the check again."
            )
        click.echo(summary, err=True)
        sys.exit(1)
    click.echo(
        f"OK: {len(policies.partners)} partners, {len(policies.agreements)} agreements, "
        f"{len(policies.contracts)} contracts and {len(views)} views in "
        f"{display_path(policies_dir)} and {display_path(contracts_dir)}."
    )


@cli.command("status")
@click.option("--due-for-review", is_flag=True, help="Only those whose review date has come.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per agreement.")
def status(due_for_review: bool, as_json: bool) -> None:
    """Each agreement's status, version, and the parties yet to approve it.

    It also records the transitions time has brought (an agreement that ended is `expired`),
    each once, in the audit log: run it daily (cron) so that they are recorded on the day even
    when nobody uses the hub.
    """
    app = app_for_command()
    with app.app_context():
        states = agreement_states()
    for state in states:
        if due_for_review and not state.due_for_review:
            continue
        if as_json:
            click.echo(
                json.dumps(
                    {
                        "id": state.agreement_id,
                        "status": state.status,
                        "version": state.version,
                        "awaiting": state.awaiting,
                        "due_for_review": state.due_for_review,
                        "review_date": state.review_date.isoformat(),
                        "suspended_reason": state.suspended_reason,
                        "suspended_by_partner": state.suspended_by_partner,
                    }
                )
            )
            continue
        line = f"{state.agreement_id}: {state.status} (version {state.version[:12]})"
        if state.awaiting:
            line += f"; awaiting {', '.join(state.awaiting)}"
        if state.suspended_by_partner:
            line += f"; suspended by {state.suspended_by_partner}: {state.suspended_reason}"
        if state.due_for_review:
            line += f"; review due since {state.review_date}"
        click.echo(line)
