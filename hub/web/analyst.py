"""The analyst page at `/`: a client of the views API, running in the browser.

The page calls, with the session cookie of the person signed in (and the CSRF token on posts),
/api/v1/views like any API client, so every query, page of results and download is decided,
audited and recorded exactly as an API query is. The server only serves the page; it says
who the session cookie names so that the page can explain an empty list of views, and the
map's LSOA points come from GET /api/v1/reference/lsoas (hub.reference).

Page views of `/` are not audited (they show nothing but the page); the API calls are.
"""

from __future__ import annotations

from flask import Blueprint, render_template

from hub.web.session import page_identity

bp = Blueprint("analyst", __name__)


@bp.get("/")
def page():
    # Verifies the cookie's token (and sets g.identity for the header); None if signed out.
    identity = page_identity()
    return render_template("analyst.html", identity=identity)
