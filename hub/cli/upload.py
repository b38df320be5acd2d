"""`hub upload`: send a file to a hub over HTTP and wait for its report.

Exit status: 0 published; 1 rejected or failed; 2 refused (usage, credentials, permission,
a file the hub would not take) or the hub could not be reached.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from hub.client import (
    DEFAULT_URL,
    REFUSED,
    Sender,
    SendFailed,
    outcome_code,
    progress_line,
    render,
)


@click.command("upload")
@click.option("--agreement", required=True, help="The agreement id, e.g. crime-asb-hotspots.")
@click.option("--dataset", required=True, help="The dataset id, e.g. police-street-crime.")
@click.argument(
    "file", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--replaces", default=None, help="The id of an upload this one replaces.")
@click.option(
    "--corrections",
    "corrections",
    default=None,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Send a corrections file instead (rectify, erase, restrict rows; docs/corrections.md).",
)
@click.option("--reason", default=None, help="With --corrections: why (no identifier).")
@click.option(
    "--legal-ground",
    default=None,
    help="With --corrections: e.g. uk-gdpr-art16, uk-gdpr-art17, uk-gdpr-art18, dpa2018-s46.",
)
@click.option(
    "--url", envvar="HUB_URL", default=DEFAULT_URL, show_default=True, help="The hub (HUB_URL)."
)
@click.option("--idempotency-key", default=None, help="Retry-safe key for this upload.")
@click.option(
    "--wait",
    "wait_seconds",
    type=click.FloatRange(min=0),
    default=3600,
    show_default=True,
    help="Seconds to wait for processing to end.",
)
def upload_cli(
    agreement: str,
    dataset: str,
    file: Path | None,
    replaces: str | None,
    corrections: Path | None,
    reason: str | None,
    legal_ground: str | None,
    url: str,
    idempotency_key: str | None,
    wait_seconds: float,
) -> None:
    """Send FILE (CSV, NDJSON or Parquet) for a dataset under an agreement, wait for the
    hub to process it and print the report.

    With --corrections FILE (and --reason, --legal-ground) it sends a corrections file
    instead: rows of published uploads rectified, erased or restricted in one transaction,
    and every recipient that was shown them told.

    The client's credentials come from HUB_CLIENT_ID and HUB_CLIENT_SECRET.
    """
    client_id = os.environ.get("HUB_CLIENT_ID", "")
    secret = os.environ.get("HUB_CLIENT_SECRET", "")
    if not client_id or not secret:
        _refuse("set HUB_CLIENT_ID and HUB_CLIENT_SECRET to the uploader client's credentials")
    sender = Sender(url=url, client_id=client_id, client_secret=secret)
    if corrections is not None:
        if file is not None or replaces:
            _refuse("--corrections sends only the corrections file: leave out FILE and --replaces")
        if not reason or not legal_ground:
            _refuse("--corrections needs --reason and --legal-ground")
        _correct(sender, agreement, dataset, corrections, reason, legal_ground)
        return
    if file is None:
        _refuse("name the FILE to send (or --corrections FILE)")
    try:
        with sender.session() as session:
            token = sender.token(session)
            status, upload = _send(
                sender, session, token, agreement, dataset, file, replaces, idempotency_key
            )
            if status == 200:
                click.echo(f"The hub already has this file: upload {upload['id']}.", err=True)
            else:
                click.echo(f"Sent; upload {upload['id']} is {upload['status']}.", err=True)
            upload = sender.follow(
                session, token, upload, on_status=_status_printer(), wait_seconds=wait_seconds
            )
    except SendFailed as failed:
        _refuse(failed.message)
    click.echo(render(upload))
    sys.exit(outcome_code(upload))


def _correct(sender, agreement, dataset, path, reason, legal_ground) -> None:
    try:
        with sender.session() as session:
            token = sender.token(session)
            done = sender.correct(
                session,
                token,
                agreement=agreement,
                dataset=dataset,
                path=path,
                reason=reason,
                legal_ground=legal_ground,
            )
    except SendFailed as failed:
        _refuse(failed.message)
    counts = ", ".join(f"{op} {n}" for op, n in done["counts"].items() if n) or "nothing"
    click.echo(f"Correction {done['correction_id']}: {counts}.")
    told = ", ".join(done["recipients"]) or "nobody (no recipient was shown these rows)"
    click.echo(f"Recipients told ({done['notices']}): {told}.")
    sys.exit(0)


def _send(sender, session, token, agreement, dataset, file, replaces, idempotency_key):
    with click.progressbar(
        length=file.stat().st_size, label=f"Sending {file.name}", file=sys.stderr
    ) as bar:
        return sender.send(
            session,
            token,
            agreement=agreement,
            dataset=dataset,
            path=file,
            replaces=replaces,
            idempotency_key=idempotency_key,
            on_bytes=bar.update,
        )


def _status_printer():
    """Print each new state of processing once, to stderr, so stdout holds the report."""
    last = {"line": ""}

    def show(upload: dict) -> None:
        line = progress_line(upload)
        if line != last["line"]:
            click.echo(f"  {line}", err=True)
            last["line"] = line

    return show


def _refuse(message: str) -> None:
    click.echo(f"hub upload: {message}", err=True)
    sys.exit(REFUSED)
