"""`hub clients add|list|revoke`, as an operator uses them."""

from __future__ import annotations

import json

from hub.cli import main
from hub.cli.clients import cli
from tests.helpers import ensure_partner, unique_id


def add(runner, partner: str, *roles: str, name: str = "Nightly feed"):
    args = ["add", "--name", name, "--partner", partner, "--json"]
    for role in roles:
        args += ["--role", role]
    return runner.invoke(cli, args)


def test_add_prints_the_secret_once_and_it_works(app, runner, client):
    partner = unique_id("police")
    ensure_partner(app, partner)
    result = add(runner, partner, "uploader")
    assert result.exit_code == 0, result.output
    made = json.loads(result.output)
    assert made["partner"] == partner and made["roles"] == ["uploader"]

    r = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(made["client_id"], made["client_secret"]),
    )
    assert r.status_code == 200

    listed = runner.invoke(cli, ["list"])
    assert made["client_id"] in listed.output and "active" in listed.output
    assert made["client_secret"] not in listed.output


def test_add_for_humans_says_to_keep_the_secret(app, runner):
    partner = unique_id("council")
    ensure_partner(app, partner)
    result = runner.invoke(
        cli, ["add", "--name", "Feed", "--partner", partner, "--role", "analyst"]
    )
    assert result.exit_code == 0, result.output
    assert "client_id:" in result.output and "client_secret:" in result.output
    assert "cannot show it again" in result.output


def test_add_for_an_unknown_partner_fails_with_a_fix(runner):
    result = add(runner, "no-such-partner", "analyst")
    assert result.exit_code == 1
    assert "no-such-partner" in result.output and "partners.yaml" in result.output


def test_add_with_an_unknown_role_fails(app, runner):
    partner = unique_id("nhs")
    ensure_partner(app, partner)
    result = add(runner, partner, "superuser")
    assert result.exit_code == 2
    assert "superuser" in result.output


def test_revoke_stops_the_client(app, runner, client):
    partner = unique_id("school")
    ensure_partner(app, partner)
    made = json.loads(add(runner, partner, "analyst").output)

    result = runner.invoke(cli, ["revoke", made["client_id"]])
    assert result.exit_code == 0, result.output
    assert "revoked" in result.output

    listed = json.loads(runner.invoke(cli, ["list", "--json"]).output)
    (row,) = [c for c in listed if c["client_id"] == made["client_id"]]
    assert row["revoked_at"] and "client_secret" not in row
    r = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(made["client_id"], made["client_secret"]),
    )
    assert r.status_code == 401


def test_revoke_an_unknown_client_fails(runner):
    result = runner.invoke(cli, ["revoke", "no-such-client"])
    assert result.exit_code == 1
    assert "no-such-client" in result.output


def test_clients_is_a_hub_command(runner):
    result = runner.invoke(main, ["clients", "--help"])
    assert result.exit_code == 0
    for command in ("add", "list", "revoke"):
        assert command in result.output


def test_outside_flask_the_commands_build_the_app_from_settings(app, monkeypatch):
    # `hub clients ...` has no Flask ScriptInfo: it builds the app as `hub serve` does.
    from click.testing import CliRunner

    from hub.cli import context

    monkeypatch.setattr(context, "build_app", lambda **overrides: app)
    result = CliRunner().invoke(main, ["clients", "list", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == []
