"""`hub audit ...`: check the audit log from the command line."""

from __future__ import annotations

import sys

import click

from hub import db
from hub.audit import VerificationFailed, verify_log
from hub.cli.context import app_for_command


@click.group("audit")
def cli() -> None:
    """Read and verify the audit log."""


@cli.command("verify")
@click.option(
    "--checkpoint",
    "checkpoint_file",
    type=click.Path(exists=True, dir_okay=False, readable=True),
    help="A signed checkpoint saved earlier (as GET /api/v1/audit/checkpoint served it): "
    "also prove that today's log extends it.",
)
def verify_command(checkpoint_file: str | None) -> None:
    """Rebuild every leaf from its event, the tree from the leaves, and check every checkpoint;
    with --checkpoint, also that the log is consistent with a checkpoint saved earlier."""
    saved = None
    if checkpoint_file is not None:
        try:
            with open(checkpoint_file, encoding="utf-8", newline="") as handle:
                saved = handle.read()
        except (OSError, UnicodeDecodeError) as exc:
            click.echo(f"audit log NOT verified: cannot read {checkpoint_file}: {exc}", err=True)
            sys.exit(1)
    app = app_for_command()
    with app.app_context():
        # The signing key's public half, under the name each note carries: the check does not
        # depend on the origin this process would sign with now (HUB_ISSUER, HUB_PORT).
        public = app.extensions["hub.keys"].audit_signing_key.public_key()
        try:
            result = verify_log(db.get_engine(app), public_key=public, saved_checkpoint=saved)
        except VerificationFailed as exc:
            click.echo(f"audit log NOT verified: {exc}", err=True)
            sys.exit(1)
    if result.saved is not None:
        click.echo(
            f"saved checkpoint {checkpoint_file} verified: signed by this hub's key, size "
            f"{result.saved.size}, root {result.saved.root.hex()}; today's log extends it "
            f"(consistency proof of {len(result.saved.proof)} hashes from size "
            f"{result.saved.size} to {result.size})"
        )
    gaps = result.not_checked()
    verdict = "verified" if result.checkpoints or result.saved else "NOT fully verified"
    click.echo(
        f"audit log {verdict}: {result.size} events, root {result.root.hex()}, "
        f"{result.checkpoints} checkpoints"
        + (f" (signed as {', '.join(result.origins)})" if result.origins else "")
    )
    for gap in gaps:
        click.echo(gap)
