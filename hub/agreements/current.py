"""What the current app gives every decision: its policies; and `enforce`, which tells the
request's audit event why a decision went as it did. (Today's date is hub.clock's.)"""

from __future__ import annotations

from flask import current_app

from hub import audit
from hub.agreements.model import Policies
from hub.agreements.rules import Decision
from hub.errors import Forbidden

EXTENSION = "hub.policies"


def current_policies() -> Policies:
    return current_app.extensions[EXTENSION]


def enforce(decision: Decision) -> Decision:
    """Note the decision's reason for the audit event; raise `Forbidden` if it is a refusal."""
    audit.note(reason=decision.reason, details={"rule": decision.rule})
    if not decision.allowed:
        raise Forbidden(decision.reason, extra={"rule": decision.rule})
    return decision
