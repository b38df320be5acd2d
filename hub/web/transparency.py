"""The public transparency page at /transparency: no sign-in, nothing about any person."""

from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("transparency", __name__)


@bp.get("/transparency")
def page():
    return render_template("transparency.html")
