"""Who has seen this person: /console/seen, a form an IG officer posts an identifier to.

The identifier travels only in the POST body (never a URL, so no access log or history
holds it), is checked and pseudonymised by hub.governance.who_has_seen, and is then dropped:
it is not stored, logged, put in the audit event or the session, nor shown back. The audit
event (`person.lookup`) records that a lookup was made, the identifier's kind, whether it was
valid and how many queries matched.
"""

from __future__ import annotations

from flask import current_app, g, make_response, render_template, request

from hub import audit, errors
from hub.agreements import current_policies
from hub.governance import LOOKUP_KINDS, london, who_has_seen
from hub.pseudonymise import InvalidIdentifier, Keyring
from hub.store import dataset_tables
from hub.views import EXTENSION as VIEWS
from hub.web.console import bp, note_view, officer
from hub.web.console.report import authorise
from hub.web.session import signed_in

ACTION = "person.lookup"


class InvalidLookup(errors.ValidationFailed):
    code = "invalid_identifier"


def _page(**context):
    response = make_response(
        render_template("console/seen.html", kinds=LOOKUP_KINDS, london=london, **context)
    )
    # The answer lists who saw a person: no cache may keep it.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/seen")
@signed_in("ig_officer")
def seen_form():
    note_view()
    authorise(officer())
    return _page(result=None, error=None, kind="nhs_number")


@bp.post("/seen")
@signed_in("ig_officer")
def seen_lookup():
    identity = officer()
    audit.note(action=ACTION, resource=request.path)
    authorise(identity)
    kind = request.form.get("kind", "")
    if kind not in LOOKUP_KINDS:
        return _refuse(
            InvalidLookup(f"Choose the kind of identifier: {', '.join(LOOKUP_KINDS.values())}."),
            kind="nhs_number",
        )
    try:
        result = who_has_seen(
            kind=kind,
            value=request.form.get("identifier", ""),
            partner=identity.partner,
            policies=current_policies(),
            views=current_app.extensions[VIEWS].views.values(),
            tables=dataset_tables(),
            keyring=Keyring(current_app.extensions["hub.keys"].pseudonym_master_key),
        )
    except InvalidIdentifier as exc:
        # The reason comes from a fixed table (hub.pseudonymise.REASONS), never the value.
        audit.note(details={"kind": kind, "valid": False, "problem": exc.code})
        error = InvalidLookup(
            f"The {LOOKUP_KINDS[kind]} you entered is not valid ({exc.reason}). "
            "Check it against the record and enter it again."
        )
        return _refuse(error, kind=kind)
    audit.note(
        details={
            "kind": kind,
            "valid": True,
            "domains": len(result.domains),
            "matched_queries": len(result.queries),
        }
    )
    return _page(result=result, error=None, kind=kind)


def _refuse(error: errors.HubError, *, kind: str):
    g.error_code, g.error_outcome = error.code, error.outcome  # for the audit event
    response = _page(result=None, error=error.detail, kind=kind)
    response.status_code = error.status
    return response
