"""Corrections from a dataset's provider, and who must be told (UK GDPR Art. 16-19, DPA 2018
s.46-48): `correct_rows` rectifies, erases or restricts rows of published uploads in one
transaction and makes one notice per recipient (hub.notify); withdrawals and replacements of
whole uploads reach the same recipients through `rows_removed`, which `init_app` hangs on
ingest. Who was shown what comes from the disclosure record and the audit log
(hub/corrections/recipients.py). See docs/corrections.md.
"""

from hub.corrections.parse import CONTROL, OPS, Item, parse_corrections
from hub.corrections.service import (
    LEGAL_GROUNDS,
    CorrectionOut,
    check_reason,
    correct_rows,
    rows_removed,
    set_record_ref_resolver,
)

__all__ = [
    "CONTROL",
    "LEGAL_GROUNDS",
    "OPS",
    "CorrectionOut",
    "Item",
    "check_reason",
    "correct_rows",
    "init_app",
    "parse_corrections",
    "rows_removed",
    "set_record_ref_resolver",
]


def init_app(app) -> None:
    """Withdrawals and replacements of published uploads tell their recipients too; an
    erasure clears the notices' subjects (after store.init_app made the registry)."""
    from hub.ingest import on_rows_removed
    from hub.notify import erase_subjects
    from hub.store import row_keyed_tables

    on_rows_removed(rows_removed, app)
    row_keyed_tables(app).register("notification_subjects", erase_subjects)
