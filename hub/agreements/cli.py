"""`hub agreements check`: check policies/ and contracts/ without an app or a database."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from hub.agreements.loader import check_policies
from hub.contracts import display_path


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
        from pydantic import ValidationError

        from hub.settings import Settings

        try:
            settings = Settings()
        except ValidationError as exc:
            first = exc.errors()[0]
            name = "_".join(str(p) for p in first.get("loc", ())).upper()
            click.echo(f"invalid setting HUB_{name}: {first['msg']}", err=True)
            sys.exit(2)
        policies_dir = policies_dir or settings.policies_dir
        contracts_dir = contracts_dir or settings.contracts_dir
    result = check_policies(policies_dir, contracts_dir)
    policies, problems = result.policies, list(result.problems)
    views: dict = {}
    # Views are checked once the agreements they name load cleanly; otherwise every view of
    # a broken agreement would repeat its problem as "unknown agreement".
    if policies is not None and not problems:
        # Views are checked against the agreements, so views depend on agreements; importing
        # here, in the command, keeps that the only direction between the two packages.
        from hub.views import check_views

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
