"""The hub's pages for people: the analyst page at `/`, the IG officer's console under
`/console`, the public `/transparency` page, and signing in.

Pages are thin: they call the same services as the API (`hub.views`, `hub.agreements`,
`hub.audit`, `hub.ingest`) and are decided by `hub.agreements.decide` like any request.
Console pages and signing in are audited like /api/ requests (see hub.api.audit_hook). Static
assets, Leaflet included, are served from this package: the pages need no internet.
"""

from __future__ import annotations

from datetime import timedelta

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import Blueprint, Flask, g, render_template

from hub.api.problems import ERROR_PAGE_EXTENSION
from hub.settings import Settings
from hub.web import analyst, console, oidc, session, transparency

# Templates and static files shared by every page; each page's blueprint adds its routes.
assets = Blueprint(
    "web",
    __name__,
    static_folder="static",
    static_url_path="/static",
    template_folder="templates",
)


def _cookie_key(master: bytes) -> bytes:
    # Its own key, derived for this one use: the pseudonym master key never signs cookies.
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"hub web session cookies v1"
    ).derive(master)


def _error_page(body: dict):
    return render_template("error.html", problem=body)


def init_app(app: Flask, settings: Settings) -> None:
    app.secret_key = _cookie_key(app.extensions["hub.keys"].pseudonym_master_key)
    app.config.update(
        SESSION_COOKIE_NAME="hub_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.mode == "production",
        # The cookie holds a session key (or a sign-in's state); the session's own limits
        # are the server's (HUB_SESSION_IDLE_SECONDS, HUB_SESSION_ABSOLUTE_SECONDS).
        PERMANENT_SESSION_LIFETIME=timedelta(seconds=settings.session_absolute_seconds),
    )
    oidc.init_app(app, settings)
    app.extensions[ERROR_PAGE_EXTENSION] = _error_page

    @app.context_processor
    def _page_globals():
        return {
            "csrf_token": session.csrf_token,
            "signed_in_as": g.get("identity"),
            "csrf_header": "X-CSRF-Token",
            "hub_mode": settings.mode,
        }



def blueprints() -> list[tuple[Blueprint, str | None]]:
    """The pages' blueprints with their URL prefixes, for create_app to register."""
    return [
        (assets, None),
        (session.bp, None),
        (analyst.bp, None),
        (console.bp, "/console"),
        (transparency.bp, None),
    ]


__all__ = ["blueprints", "init_app"]
