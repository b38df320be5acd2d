"""The analyst page at `/`: a client of the views API, running in the browser.

The page holds the access token the sign-in page got (sessionStorage) and calls
/api/v1/views like any API client, so every query is decided, audited and recorded exactly
as an API query is. The server only serves the page.
"""

from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("analyst", __name__)


@bp.get("/")
def page():
    return render_template("analyst.html")
