"""Retention: data leaves the hub when its agreement says, and the deletion is provable.

`run_retention` deletes dataset rows past their `_expires_at` and every row (and view
disclosure record) of an agreement whose end date plus retention has passed, one short
transaction per (table, upload), each with its `retention.delete` audit event in the same
transaction. `start_retention_schedule` runs it in the background of `hub serve`;
`hub retention run [--dry-run]` runs it by hand. See docs/retention.md.
"""

from hub.retention.report import (
    AGREEMENT_ENDED,
    ROW_EXPIRY,
    Deletion,
    LeftAlone,
    RetentionReport,
)
from hub.retention.run import ACTION, run_retention
from hub.retention.schedule import start_retention_schedule, stop_retention_schedule

__all__ = [
    "ACTION",
    "AGREEMENT_ENDED",
    "ROW_EXPIRY",
    "Deletion",
    "LeftAlone",
    "RetentionReport",
    "run_retention",
    "start_retention_schedule",
    "stop_retention_schedule",
]
