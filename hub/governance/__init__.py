"""Governance read-outs over the hub's records, for IG officers and the public: the DPA 2018
s.62 report, "who has seen this person", flags worth a look, and the transparency summary;
and governed re-identification (hub/governance/reidentification.py: one person, a s.171
ground, two parties' approval, one time-limited reveal).

Pure functions over the database (the audit log, the disclosure record, the dataset tables)
and the policies; the pages in hub.web call them and do the HTTP.
"""

from hub.governance.audit_scope import audit_scope
from hub.governance.describe import basis_text, partner_name, recipients_of
from hub.governance.flags import (
    DEFAULT_WINDOW_DAYS,
    MAX_WINDOW_DAYS,
    OUT_OF_HOURS,
    REFUSALS,
    REFUSALS_PER_DAY,
    RULE_TITLES,
    VOLUME,
    VOLUME_MIN_BASELINE_DAYS,
    VOLUME_MIN_QUERIES,
    VOLUME_PEER_MULTIPLE,
    VOLUME_SD_FACTOR,
    WEEKEND,
    WORK_ENDS,
    WORK_STARTS,
    EventFact,
    Flag,
    actor_names,
    evaluate,
    find_flags,
    out_of_hours,
    read_facts,
)
from hub.governance.periods import LONDON, day_bounds, london, london_day
from hub.governance.reidentification import (
    BASES,
    RequestView,
    Revealed,
    all_requests,
    current_context,
    decide_request,
    erase_request_pseudonyms,
    expire_due,
    list_requests,
    read_request,
    reveal,
    submit_request,
    withdraw_request,
)
from hub.governance.s62 import CSV_COLUMNS, S62Entry, s62_entries, to_csv
from hub.governance.seen import (
    LOOKUP_KINDS,
    SeenQuery,
    SeenReidentification,
    SeenResult,
    who_has_seen,
)
from hub.governance.transparency import (
    AgreementOut,
    CheckpointOut,
    MonthOut,
    QuarterOut,
    agreements_in_force,
    latest_checkpoint,
    monthly_counts,
    published_forecasts,
    quarterly_reidentifications,
)


def init_app(app) -> None:
    """An erasure clears the pseudonym from re-identification requests about that person
    (after store.init_app made the registry of row-keyed tables)."""
    from hub.store import row_keyed_tables

    row_keyed_tables(app).register("reidentification_requests", erase_request_pseudonyms)


__all__ = [
    "actor_names",
    "erase_request_pseudonyms",
    "init_app",
    "BASES",
    "RequestView",
    "Revealed",
    "current_context",
    "decide_request",
    "expire_due",
    "list_requests",
    "read_request",
    "reveal",
    "submit_request",
    "withdraw_request",
    "audit_scope",
    "CSV_COLUMNS",
    "DEFAULT_WINDOW_DAYS",
    "LONDON",
    "LOOKUP_KINDS",
    "MAX_WINDOW_DAYS",
    "OUT_OF_HOURS",
    "REFUSALS",
    "REFUSALS_PER_DAY",
    "RULE_TITLES",
    "VOLUME",
    "VOLUME_MIN_BASELINE_DAYS",
    "VOLUME_MIN_QUERIES",
    "VOLUME_PEER_MULTIPLE",
    "VOLUME_SD_FACTOR",
    "WEEKEND",
    "WORK_ENDS",
    "WORK_STARTS",
    "AgreementOut",
    "CheckpointOut",
    "EventFact",
    "Flag",
    "MonthOut",
    "QuarterOut",
    "S62Entry",
    "SeenQuery",
    "SeenReidentification",
    "SeenResult",
    "agreements_in_force",
    "all_requests",
    "basis_text",
    "day_bounds",
    "evaluate",
    "find_flags",
    "latest_checkpoint",
    "london",
    "london_day",
    "monthly_counts",
    "published_forecasts",
    "out_of_hours",
    "quarterly_reidentifications",
    "partner_name",
    "read_facts",
    "recipients_of",
    "s62_entries",
    "to_csv",
    "who_has_seen",
]
