"""Partners, data-sharing agreements as code, their lifecycle, and decisions.

`init_app` loads and checks policies/partners.yaml, policies/agreements/*.yaml and the
contracts they name; a problem stops the hub with one line naming the file, the line and the
fix. `decide(identity, action, resource)` is the only path that grants access. An agreement
shares data only while `active`: every party's IG officer approved the version loaded, none
suspended it, and today is within its term (`agreement_state`, `approve`, `suspend`,
`resume`; hub/agreements/lifecycle.py).
"""

from __future__ import annotations

from flask import Flask

from hub import contracts
from hub.agreements.current import EXTENSION, current_policies, enforce
from hub.agreements.decide import decide
from hub.agreements.lifecycle import (
    LifecycleUnavailable,
    agreement_state,
    agreement_states,
    agreement_terms,
    approve,
    current_version,
    lifecycle_once,
    lifecycle_state,
    looks_like_identifier,
    record_approval,
    resume,
    settle_all,
    suspend,
)
from hub.agreements.loader import CheckResult, PolicyProblems, check_policies, load_policies
from hub.agreements.model import (
    POLICE_INITIATED_CRIME_TYPES,
    Agreement,
    AgreementFile,
    DatasetShare,
    Part3Basis,
    Partner,
    Party,
    Policies,
    Purpose,
    Recipient,
    UkGdprBasis,
)
from hub.agreements.rules import (
    ACTIONS,
    WHOLE_RECORD_RULES,
    Action,
    Decision,
    Lifecycle,
    Resource,
)
from hub.agreements.state import (
    STATUSES,
    AgreementState,
    PartyApproval,
    Status,
    Suspension,
    VersionInfo,
    approved_by_every_party,
    evaluate,
)
from hub.agreements.sync import SyncResult, sync_to_database
from hub.agreements.versions import (
    Change,
    VersionDiff,
    diff_from_last_approved,
    document_of,
    field_changes,
)
from hub.settings import Settings


def init_app(app: Flask, settings: Settings) -> None:
    """Load and check the policies (and contracts) into `app.extensions["hub.policies"]`.

    Raises `PolicyProblems`, a `ConfigurationError` whose message is one line: the file, the
    line and the first problem, and how many more `hub agreements check` would list.
    """
    policies = load_policies(settings.policies_dir, settings.contracts_dir)
    app.extensions[EXTENSION] = policies
    contracts.init_app(app, settings, contracts=policies.contracts)


__all__ = [
    "Change",
    "VersionDiff",
    "diff_from_last_approved",
    "document_of",
    "field_changes",
    "ACTIONS",
    "POLICE_INITIATED_CRIME_TYPES",
    "Action",
    "Agreement",
    "AgreementFile",
    "AgreementState",
    "CheckResult",
    "DatasetShare",
    "Decision",
    "Lifecycle",
    "LifecycleUnavailable",
    "Partner",
    "Party",
    "Part3Basis",
    "PartyApproval",
    "Policies",
    "PolicyProblems",
    "Purpose",
    "Recipient",
    "Resource",
    "STATUSES",
    "Status",
    "Suspension",
    "SyncResult",
    "UkGdprBasis",
    "VersionInfo",
    "WHOLE_RECORD_RULES",
    "agreement_state",
    "agreement_states",
    "agreement_terms",
    "approve",
    "approved_by_every_party",
    "check_policies",
    "current_policies",
    "current_version",
    "decide",
    "enforce",
    "evaluate",
    "init_app",
    "lifecycle_once",
    "lifecycle_state",
    "load_policies",
    "looks_like_identifier",
    "record_approval",
    "resume",
    "settle_all",
    "suspend",
    "sync_to_database",
]
