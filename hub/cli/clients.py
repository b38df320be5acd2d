"""`hub clients add|list|revoke`: manage the OAuth clients of partners' systems."""

from __future__ import annotations

import json

import click

from hub.auth import ROLES, create_client, list_clients, revoke_client
from hub.cli.context import app_context


def _as_dict(client) -> dict:
    return {
        "client_id": client.client_id,
        "name": client.name,
        "partner": client.partner_id,
        "roles": list(client.roles),
        "created_at": client.created_at.isoformat(),
        "revoked_at": client.revoked_at.isoformat() if client.revoked_at else None,
    }


@click.group("clients")
def cli() -> None:
    """Manage OAuth clients (machine callers of partners)."""


@cli.command("add")
@click.option("--name", required=True, help="What the client is, e.g. 'Police nightly feed'.")
@click.option("--partner", required=True, help="The partner id from policies/partners.yaml.")
@click.option(
    "--role",
    "roles",
    required=True,
    multiple=True,
    type=click.Choice(ROLES),
    help="A role of the client; repeat for more.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def add(name: str, partner: str, roles: tuple[str, ...], as_json: bool) -> None:
    """Make a client and print its id and secret. The secret is shown only this once."""
    with app_context():
        client, secret = create_client(name=name, partner=partner, roles=roles)
    if as_json:
        click.echo(json.dumps({**_as_dict(client), "client_secret": secret}))
        return
    click.echo(f"client_id:     {client.client_id}")
    click.echo(f"client_secret: {secret}")
    click.echo(f"partner:       {client.partner_id}")
    click.echo(f"roles:         {' '.join(client.roles)}")
    click.echo("Keep the secret now: the hub stores only a hash of it and cannot show it again.")


@cli.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_(as_json: bool) -> None:
    """List clients, revoked ones too. Secrets are never shown."""
    with app_context():
        clients = list_clients()
    if as_json:
        click.echo(json.dumps([_as_dict(client) for client in clients]))
        return
    if not clients:
        click.echo("no clients: add one with `hub clients add`")
        return
    for client in clients:
        status = f"revoked {client.revoked_at:%Y-%m-%d %H:%M}" if client.revoked_at else "active"
        click.echo(
            f"{client.client_id}  {client.partner_id}  {','.join(client.roles)}  "
            f"{status}  {client.name}"
        )


@cli.command("revoke")
@click.argument("client_id")
def revoke(client_id: str) -> None:
    """Revoke a client: no new tokens, and the tokens it holds stop working at once."""
    with app_context():
        client = revoke_client(client_id=client_id)
    click.echo(f"revoked {client.client_id} ({client.name}); its tokens no longer work")
