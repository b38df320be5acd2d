"""The IG officer's console under /console: server-rendered pages, signed in as an
`ig_officer`. Each page is audited (hub.audit.hook audits /console like /api/)."""

from __future__ import annotations

from flask import Blueprint, render_template

from hub import audit
from hub.web.session import check_csrf, signed_in

bp = Blueprint("console", __name__)


@bp.before_request
def _forms_carry_csrf():
    check_csrf()


@bp.get("")
@signed_in("ig_officer")
def index():
    audit.note(action="console.view", resource="/console")
    return render_template("console/index.html")
