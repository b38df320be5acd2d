"""`hub forecast evaluate`: the rolling-origin back-test of a forecast view on the stored data,
or of raw data.police.uk monthly street-crime CSVs in a folder (offline: nothing is stored)."""

from __future__ import annotations

import json
import sys

import click

from hub.cli.context import app_for_command


@click.group("forecast")
def cli() -> None:
    """Hot-spot forecasts: back-tests with PAI, PEI* and the baseline beside them."""


@cli.command("evaluate")
@click.option("--view", "view_id", help="A forecast view: back-test its stored source.")
@click.option(
    "--csv",
    "folder",
    type=click.Path(exists=True, file_okay=True),
    help="A folder of data.police.uk monthly street CSVs (or one file), evaluated offline.",
)
@click.option("--from", "first", help="First month, YYYY-MM.")
@click.option("--to", "last", help="Last month, YYYY-MM.")
@click.option("--unit", type=click.Choice(["h3:9", "h3:10"]), default="h3:10", show_default=True)
@click.option(
    "--all-types",
    is_flag=True,
    help="--csv only: every crime type, police-initiated ones too (default: victim-reported).",
)
@click.option(
    "--lsoa-name",
    help="--csv only: keep rows in LSOAs whose name starts with this (e.g. 'City of London').",
)
@click.option("--json", "as_json", is_flag=True, help="Print the evaluation as JSON.")
def evaluate_command(view_id, folder, first, last, unit, all_types, lsoa_name, as_json) -> None:
    """Per model and area budget: hit rate, PAI, PEI* and RRI (mean, 10th-90th percentile over
    the origins), the PAI gain over last_n_months(n=3) with its bootstrap 95% interval, which
    model would be served, and the oracle's ceiling."""
    from hub.views.forecast import VICTIM_REPORTED, read_police_uk
    from hub.views.forecast.report import evaluate_events, table

    if (view_id is None) == (folder is None):
        raise click.UsageError("give one of --view V or --csv DIR")
    months = (first, last)
    if folder is not None:
        events = read_police_uk(folder, lsoa_name_prefix=lsoa_name)
        try:
            history, evaluation = evaluate_events(
                events,
                resolution=int(unit.split(":")[1]),
                crime_types=None if all_types else VICTIM_REPORTED,
                months=months,
            )
        except ValueError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)
    else:
        from hub.agreements import current_policies
        from hub.errors import HubError
        from hub.views import get_view
        from hub.views.forecast.run import evaluate_stored

        app = app_for_command()
        with app.app_context():
            try:
                view = get_view(view_id)
                if view.kind != "forecast":
                    raise click.UsageError(f"view `{view_id}` is not a forecast view")
                history, evaluation = evaluate_stored(view, current_policies(), months=months)
            except HubError as exc:
                click.echo(f"error: {exc.detail}", err=True)
                sys.exit(1)
    if as_json:
        click.echo(json.dumps({"months": history.months, **evaluation.as_dict()}))
    else:
        for line in table(history, evaluation):
            click.echo(line)
