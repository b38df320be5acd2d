"""Who reads which part of the audit log (`audit.read`): an IG officer reads the events of
their own organisation and of the agreements it is party to; an admin reads everything.

The events API, the console's audit trail and its flags all read through this one scope.
"""

from __future__ import annotations

from flask import current_app

from hub.agreements import current_policies
from hub.audit import EventScope
from hub.auth import Identity
from hub.views import EXTENSION as VIEWS


def audit_scope(identity: Identity) -> EventScope | None:
    """The part of the log `identity` may read; None for the whole of it (admins)."""
    if identity.has_role("admin"):
        return None
    agreements = tuple(sorted(a.id for a in current_policies().agreements_of(identity.partner)))
    state = current_app.extensions.get(VIEWS)
    views = tuple(
        sorted(
            view_id
            for view_id, view in (state.views.items() if state is not None else ())
            if view.agreement in agreements
        )
    )
    return EventScope(partner=identity.partner, agreements=agreements, views=views)
