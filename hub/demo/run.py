"""`hub demo`: clients, feeds and the story around `hub serve`.

    hub demo               serve; once ready, approve, upload the feeds, query the views
    hub demo --no-data     the same, but no feeds are written or sent: an empty hub
    hub demo --no-serve    prepare the database, clients and feeds, print how to use them, exit

Run after the migrations and the policy sync (hub/cli.py does both).
"""

from __future__ import annotations

import atexit
import os
import subprocess
from pathlib import Path

import click
from flask import Flask

from hub.agreements import current_policies
from hub.demo.clients import DemoClient, ensure_demo_clients, ig_officer_example, introduction
from hub.demo.feeds import DemoFeeds, ensure_demo_feeds
from hub.demo.guide import ViewGuide, render_views, view_guides
from hub.demo.people import (
    PEOPLE_FILE,
    PROVIDER_FILE,
    ensure_people,
    people_lines,
    provider_config,
    start_provider,
)
from hub.demo.story import Story, start_story

# gunicorn's own settings for the demo: the request log goes to a file, so that the
# terminal tells the story (dozens of upload and polling requests would bury it).
ACCESS_LOG = "demo-access.log"
PROVIDER_LOG = "demo-oidc.log"
_story_processes: list[subprocess.Popen] = []
_provider_processes: list[subprocess.Popen] = []


def run_demo(app: Flask, *, started: float, serve: bool, data: bool) -> None:
    settings = app.extensions["hub.settings"]
    base = f"http://{settings.host}:{settings.port}"
    instance = settings.instance_path
    with app.app_context():
        partners = current_policies().partners
        clients_file, clients = ensure_demo_clients(instance / "demo-clients.json")
        guides = view_guides(clients)
        agreements = {
            a.id: [party.partner for party in a.parties]
            for a in current_policies().agreements.values()
        }
    feeds = ensure_demo_feeds(instance / "demo-feeds") if data else None
    access_log = instance / ACCESS_LOG

    files = []
    if feeds is not None:
        made = "written now" if feeds.written_now else "as written before"
        files.append(
            f"Synthetic feeds:     {shown(feeds.folder)} ({feeds.residents:,} residents, "
            f"{len(feeds.feeds)} files, {sum(f.rows for f in feeds.feeds):,} rows, {made})"
        )
    if serve:
        files.append(f"Request log:         {shown(access_log)}")
    people = ensure_people(instance, partners)
    click.echo(introduction(settings, shown(clients_file), clients, files=files))
    click.echo("\n".join(people_lines(people, partners)))
    click.echo(f"(also in {shown(instance / PEOPLE_FILE)})")
    click.echo()
    outsiders = _outsiders(clients, guides)

    if not serve:
        click.echo(render_views(base, guides, outsiders))
        click.echo()
        click.echo(ig_officer_example(base, clients))
        click.echo()
        click.echo(_not_served(feeds, clients))
        return

    if people:
        try:
            _stop_at_exit(
                start_provider(
                    instance / PROVIDER_FILE,
                    provider_config(settings, partners, people, ensure_secrets_known(settings)),
                    log=instance / PROVIDER_LOG,
                )
            )
            click.echo("The demo's OpenID Provider (oidc-provider) serves the people's sign-in;")
            click.echo(f"its log: {shown(instance / PROVIDER_LOG)}")
        except RuntimeError as exc:
            click.echo(f"People cannot sign in to the pages: {exc}", err=True)
        click.echo()
    then = "uploads the feeds" if feeds is not None else "uploads nothing (--no-data)"
    click.echo("Starting the hub; once it answers, the demo approves the agreements as each")
    click.echo(f"party's IG officer, {then} and queries the views, over HTTP")
    click.echo("as the partners' own systems would.")
    click.echo()
    # Held for the life of the process (a dropped Popen warns that its child still runs);
    # gunicorn's arbiter reaps the child when it ends, as it waits for any child of its own.
    _story_processes.append(
        start_story(
            Story(
                url=base,
                started=started,
                parent_pid=os.getpid(),
                agreements=agreements,
                clients=clients,
                views=guides,
                outsiders=outsiders,
                **(_feeds(feeds) if feeds is not None else {}),
            )
        )
    )
    _serve(app, host=settings.host, port=settings.port, access_log=access_log)


def _stop_at_exit(process: subprocess.Popen) -> None:
    """The provider ends with the demo's own process (not with a gunicorn worker forked from
    it, which runs the same exit handlers); it also ends by itself once orphaned."""
    owner = os.getpid()
    _provider_processes.append(process)

    def stop() -> None:
        if os.getpid() == owner and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()

    atexit.register(stop)


def ensure_secrets_known(settings) -> dict[str, str]:
    """The client secrets the hub was started with (HUB_OIDC_SECRET_*), for the provider."""
    return dict(settings.oidc_client_secrets)


def _serve(app: Flask, *, host: str, port: int, access_log: Path) -> None:
    from hub.serve import HubServer

    server = HubServer(app, host=host, port=port, workers=2, threads=4)
    server.cfg.set("accesslog", str(access_log))
    server.run()


def _feeds(feeds: DemoFeeds) -> dict:
    return {
        "feeds": [vars(f) for f in feeds.feeds],
        "feeds_folder": str(feeds.folder),
        "feeds_shown": shown(feeds.folder),
        "extract_date": feeds.extract_date.isoformat(),
    }


def _outsiders(clients: list[DemoClient], guides: list[ViewGuide]) -> list[DemoClient]:
    """Analysts no view is for: they show a refusal."""
    served = {c.client_id for g in guides for c in g.clients}
    return [c for c in clients if "analyst" in c.roles and c.client_id not in served]


def _not_served(feeds: DemoFeeds | None, clients: list[DemoClient]) -> str:
    if feeds is None:
        return "Not served (--no-serve), no data (--no-data): `hub demo` serves the hub."
    feed = feeds.feeds[0]
    uploader = next(c for c in clients if c.partner == feed.partner and "uploader" in c.roles)
    return "\n".join(
        [
            "Not served (--no-serve), so nothing was approved or uploaded: `hub demo` serves the",
            "hub, approves the agreements and uploads the feeds. To send one yourself to a",
            "running hub whose agreements are approved, as its partner would:",
            f"  HUB_CLIENT_ID={uploader.client_id} HUB_CLIENT_SECRET={uploader.client_secret} \\",
            f"    hub upload --agreement {feed.agreement} --dataset {feed.dataset} \\",
            f"    {shown(feeds.file(feed))}",
        ]
    )


def shown(path: Path) -> str:
    """A path as short as it can be said: relative to the working folder when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
