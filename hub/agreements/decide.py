"""`decide(identity, action, resource)` for the current app: the decision rules
(hub/agreements/rules.py) with the app's policies, today's date (hub.clock) and each
agreement's lifecycle read from the database at each decision.
"""

from __future__ import annotations

from datetime import date

from hub import clock
from hub.agreements import rules
from hub.agreements.current import current_policies
from hub.agreements.lifecycle import lifecycle_state
from hub.agreements.model import Policies
from hub.agreements.rules import Decision, Lifecycle, Resource
from hub.auth.identity import Identity


def decide(
    identity: Identity,
    action: str,
    resource: Resource,
    *,
    policies: Policies | None = None,
    today: date | None = None,
    lifecycle: Lifecycle | None = None,
) -> Decision:
    """Whether `identity` may do `action` to `resource`; deny unless a rule allows it.

    `lifecycle` gives an agreement's state for sharing decisions; by default it is read from
    the current app's database at each decision (tests without one pass their own;
    `lifecycle_once()` reads each agreement once for a batch of decisions).
    """
    return rules.decide(
        identity,
        action,
        resource,
        policies=policies if policies is not None else current_policies(),
        today=today or clock.today(),
        lifecycle=lifecycle or lifecycle_state,
    )
