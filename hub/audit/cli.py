"""`hub audit ...`: check the audit log from the command line."""

from __future__ import annotations

import sys

import click

from hub.audit.checkpoint import verifier_key


def _app():
    """The app of `flask`'s test runner if there is one, else one built from HUB_* settings."""
    from flask.cli import ScriptInfo

    info = click.get_current_context().find_object(ScriptInfo)
    if info is not None:
        return info.load_app()
    from hub.cli import build_app

    return build_app()


@click.group("audit")
def cli() -> None:
    """Read and verify the audit log."""


@cli.command("verify")
def verify_command() -> None:
    """Rebuild every leaf from its event, the tree from the leaves, and check every checkpoint."""
    from hub import db
    from hub.audit.hook import EXTENSION
    from hub.audit.verify import VerificationFailed, verify_log

    app = _app()
    with app.app_context():
        origin = app.extensions[EXTENSION].origin
        key = verifier_key(origin, app.extensions["hub.keys"].audit_signing_key)
        try:
            result = verify_log(db.get_engine(app), verifier_key=key)
        except VerificationFailed as exc:
            click.echo(f"audit log NOT verified: {exc}", err=True)
            sys.exit(1)
    click.echo(
        f"audit log verified: {result.size} events, root {result.root.hex()}, "
        f"{result.checkpoints} checkpoints"
    )
