"""What a retention run did (or, dry, would do): deletions, what it left alone and why."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

Rule = Literal["row_expiry", "agreement_ended"]

ROW_EXPIRY: Rule = "row_expiry"
AGREEMENT_ENDED: Rule = "agreement_ended"


@dataclass(frozen=True)
class Deletion:
    """Rows of one upload deleted from one dataset table (or, with `upload_id` None, an
    agreement's view disclosure records), and the audit event that records it."""

    agreement: str
    dataset: str | None
    upload_id: str | None
    rows: int
    rule: Rule
    reason: str
    agreement_version: str | None = None
    upload_expired: bool = False  # every row of the upload is gone: it is now `expired`
    audit_index: int | None = None  # None in a dry run

    @property
    def what(self) -> str:
        if self.upload_id is None:
            return f"{self.rows} view disclosure record(s) of agreement {self.agreement}"
        return f"{self.rows} row(s) of upload {self.upload_id}"


@dataclass(frozen=True)
class LeftAlone:
    """Data the run did not delete although a rule might apply, and why: an upload still
    being processed, rows no upload record names, an agreement without terms."""

    agreement: str | None
    dataset: str | None
    upload_id: str | None
    rows: int | None
    why: str


@dataclass
class RetentionReport:
    now: datetime
    dry_run: bool
    run_id: str
    deletions: list[Deletion] = field(default_factory=list)
    left_alone: list[LeftAlone] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    spool_files_removed: int = 0

    @property
    def rows_deleted(self) -> int:
        return sum(d.rows for d in self.deletions if d.upload_id is not None)

    @property
    def disclosures_deleted(self) -> int:
        return sum(d.rows for d in self.deletions if d.upload_id is None)

    @property
    def uploads_expired(self) -> list[str]:
        return [d.upload_id for d in self.deletions if d.upload_expired and d.upload_id]

    def lines(self) -> list[str]:
        """The report for people, grouped by agreement and dataset."""
        verb = "would delete" if self.dry_run else "deleted"
        out = [
            f"retention run {self.run_id} at {self.now.isoformat()}"
            + (" (dry run: nothing deleted)" if self.dry_run else "")
        ]
        groups: dict[tuple[str, str], list[Deletion]] = {}
        for deletion in self.deletions:
            key = (deletion.agreement, deletion.dataset or "view disclosures")
            groups.setdefault(key, []).append(deletion)
        for (agreement, dataset), deletions in sorted(groups.items()):
            out.append(f"{agreement} / {dataset}")
            for d in deletions:
                notes = [d.rule.replace("_", " ")]
                if d.upload_expired:
                    notes.append("upload now expired" if not self.dry_run else "upload expires")
                if d.audit_index is not None:
                    notes.append(f"audit event {d.audit_index}")
                out.append(f"  {verb} {d.what} ({'; '.join(notes)})")
        for item in self.left_alone:
            where = " / ".join(p for p in (item.agreement, item.dataset) if p) or "-"
            what = f"upload {item.upload_id}" if item.upload_id else "data"
            rows = f" ({item.rows} rows)" if item.rows is not None else ""
            out.append(f"left alone: {where}: {what}{rows}: {item.why}")
        for error in self.errors:
            out.append(f"error: {error}")
        uploads = len({d.upload_id for d in self.deletions if d.upload_id})
        total = (
            f"total: {verb} {self.rows_deleted} row(s) of {uploads} upload(s), "
            f"{self.disclosures_deleted} view disclosure record(s)"
        )
        if self.spool_files_removed:
            total += f"; removed {self.spool_files_removed} leftover spool file(s)"
        out.append(total)
        return out
