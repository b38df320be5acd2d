"""Partners, data-sharing agreements as code, and decisions.

`init_app` loads and checks policies/partners.yaml, policies/agreements/*.yaml and the
contracts they name; a problem stops the hub with one line naming the file, the line and the
fix. `decide(identity, action, resource)` is the only path that grants access.
"""

from __future__ import annotations

from flask import Flask

from hub import contracts
from hub.agreements.api import api
from hub.agreements.cli import cli
from hub.agreements.decide import (
    ACTIONS,
    EXTENSION,
    WHOLE_RECORD_RULES,
    Action,
    Decision,
    Resource,
    current_policies,
    decide,
    enforce,
    london_today,
)
from hub.agreements.loader import CheckResult, PolicyProblems, check_policies, load_policies
from hub.agreements.model import (
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
from hub.agreements.sync import SyncResult, sync_to_database
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
    "ACTIONS",
    "CheckResult",
    "WHOLE_RECORD_RULES",
    "Action",
    "Agreement",
    "AgreementFile",
    "DatasetShare",
    "Decision",
    "Part3Basis",
    "Partner",
    "Party",
    "Policies",
    "PolicyProblems",
    "Purpose",
    "Recipient",
    "Resource",
    "SyncResult",
    "UkGdprBasis",
    "api",
    "check_policies",
    "cli",
    "current_policies",
    "decide",
    "enforce",
    "init_app",
    "load_policies",
    "london_today",
    "sync_to_database",
]
