"""The terms retention reads from an agreement: when it ends and how long data outlives it.

From the loaded policies when the agreement file is there; otherwise from the last stored
version of it (`agreements.document`), so that the data of an agreement whose file was
removed from policies/ still ends when its terms say. An agreement found in neither place has
no terms: its data is never deleted by the "agreement ended" rule (fail safe), only rows past
their own expiry are, and the run reports it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from sqlalchemy import select
from sqlmodel import Session

from hub.agreements import Policies
from hub.db.models import AgreementRecord


@dataclass(frozen=True)
class Terms:
    agreement_id: str
    end: date
    retention_days: int
    version: str | None  # the content hash of the file these terms come from
    source: Literal["policies", "stored version"]

    @property
    def delete_after(self) -> date:
        """The last day its data may be kept: the end plus the retention period."""
        return self.end + timedelta(days=self.retention_days)

    def ended_beyond_retention(self, today: date) -> bool:
        return today > self.delete_after


class TermsBook:
    """Terms per agreement and retention per stored version, looked up once per run."""

    def __init__(self, session: Session, policies: Policies):
        self._session = session
        self._policies = policies
        self._terms: dict[str, Terms | None] = {}
        self._retention: dict[tuple[str, str], int | None] = {}

    def terms(self, agreement_id: str) -> Terms | None:
        if agreement_id not in self._terms:
            self._terms[agreement_id] = self._look_up(agreement_id)
        return self._terms[agreement_id]

    def retention_days(self, agreement_id: str, version: str | None) -> int | None:
        """The retention of the version data was shared under (a newer version's terms do
        not change what governs data already shared); the agreement's current one if the
        version is not known."""
        current = self.terms(agreement_id)
        if version is None or (current is not None and current.version == version):
            return current.retention_days if current else None
        key = (agreement_id, version)
        if key not in self._retention:
            record = self._session.execute(
                select(AgreementRecord.document).where(
                    AgreementRecord.agreement_id == agreement_id,
                    AgreementRecord.content_hash == version,
                )
            ).scalar_one_or_none()
            days = _positive_int((record or {}).get("retention_days"))
            self._retention[key] = days
        found = self._retention[key]
        if found is None:
            return current.retention_days if current else None
        return found

    def _look_up(self, agreement_id: str) -> Terms | None:
        agreement = self._policies.agreements.get(agreement_id)
        if agreement is not None:
            file = self._policies.files.get(agreement_id)
            return Terms(
                agreement_id,
                agreement.end,
                agreement.retention_days,
                file.sha256 if file else None,
                "policies",
            )
        # The last version stored: the highest id is the latest loaded.
        row = self._session.execute(
            select(AgreementRecord.content_hash, AgreementRecord.document)
            .where(AgreementRecord.agreement_id == agreement_id)
            .order_by(AgreementRecord.id.desc())
            .limit(1)
        ).first()
        if row is None:
            return None
        document = row.document or {}
        days = _positive_int(document.get("retention_days"))
        try:
            end = date.fromisoformat(str(document.get("end")))
        except ValueError:
            return None
        if days is None:
            return None
        return Terms(agreement_id, end, days, row.content_hash, "stored version")


def _positive_int(value) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        return None
    return value
