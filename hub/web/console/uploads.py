"""Uploads: /console/uploads (the uploads under the agreements the officer's organisation is
party to, by partner, agreement, dataset and status) and /console/uploads/<id> (one upload's
validation report: row failures by row, column and check, never a value; the dataset's
expectations and their outcomes).

Read through hub.ingest's service, decided as `upload.read` exactly as the API is: an IG
officer of a party reads every upload under the agreement; anything else is "not found".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, get_args
from urllib.parse import urlencode

from flask import render_template, request

from hub import agreements, ingest
from hub.web.console import bp, note_view, officer
from hub.web.session import signed_in

PAGE_SIZE = 50
STATUSES: tuple[str, ...] = get_args(ingest.UploadOut.model_fields["status"].annotation)
_UPLOAD_ID = re.compile(r"^[A-Za-z0-9-]{1,36}$")


@dataclass
class Filters:
    partner: str = ""
    agreement: str = ""
    dataset: str = ""
    status: str = ""
    problems: list[str] = field(default_factory=list)

    @property
    def used(self) -> list[str]:
        return [n for n in ("partner", "agreement", "dataset", "status") if getattr(self, n)]

    def query_string(self, **extra: Any) -> str:
        values = {name: getattr(self, name) for name in self.used}
        values.update({k: v for k, v in extra.items() if v})
        return urlencode(values)


@dataclass(frozen=True)
class Choices:
    """What the officer may filter by: their organisation's agreements, and those
    agreements' parties and datasets."""

    agreements: list[str]
    partners: list[str]
    datasets: list[str]


def _choices(partner: str) -> Choices:
    mine = agreements.current_policies().agreements_of(partner)
    return Choices(
        agreements=sorted(a.id for a in mine),
        partners=sorted({p.partner for a in mine for p in a.parties}),
        datasets=sorted({share.dataset for a in mine for share in a.datasets}),
    )


def _read_filters(args, choices: Choices) -> Filters:
    f = Filters(
        **{n: (args.get(n) or "").strip() for n in ("partner", "agreement", "dataset")},
        status=(args.get("status") or "").strip(),
    )
    for name, allowed in (
        ("partner", choices.partners),
        ("agreement", choices.agreements),
        ("dataset", choices.datasets),
        ("status", STATUSES),
    ):
        if getattr(f, name) and getattr(f, name) not in allowed:
            f.problems.append(f"{name.capitalize()}: choose one from the list.")
            setattr(f, name, "")
    return f


def _utc(moment: datetime | None) -> str:
    if moment is None:
        return "—"
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _row(upload) -> dict[str, Any]:
    counts = upload.counts or {}
    return {
        "id": upload.id,
        "received": _utc(upload.created_at),
        "partner": upload.partner_id,
        "agreement": upload.agreement_id,
        "dataset": upload.dataset,
        "status": upload.status,
        "rows": counts.get("read", 0),
        "valid": counts.get("accepted", 0),
        "invalid": counts.get("rejected", 0),
        "cause": upload.cause,
    }


@bp.get("/uploads")
@signed_in("ig_officer", "uploader")
def uploads():
    identity = officer()
    choices = _choices(identity.partner)
    filters = _read_filters(request.args, choices)
    cursor = (request.args.get("cursor") or "").strip() or None
    used = filters.used + (["cursor"] if cursor else [])
    try:
        found, next_cursor = ingest.list_uploads(
            identity=identity,
            agreement_id=filters.agreement or None,
            dataset=filters.dataset or None,
            status=filters.status or None,
            partner=filters.partner or None,
            limit=PAGE_SIZE,
            cursor=cursor,
        )
    finally:
        # The service notes `upload.read`; the request is this page's view.
        note_view(filters=used)
    note_view(filters=used, returned=len(found))
    return render_template(
        "console/uploads.html",
        filters=filters,
        choices=choices,
        statuses=STATUSES,
        uploads=[_row(u) for u in found],
        next_link=f"?{filters.query_string(cursor=next_cursor)}" if next_cursor else None,
        first_link=f"?{filters.query_string()}" if cursor else None,
    ), (400 if filters.problems else 200)


@bp.get("/uploads/<upload_id>")
@signed_in("ig_officer", "uploader")
def upload_report(upload_id: str):
    identity = officer()
    try:
        # A malformed id is "not found" too, as the service answers for an unknown one.
        upload = ingest.get_upload(
            identity=identity, upload_id=upload_id if _UPLOAD_ID.match(upload_id) else "-"
        )
    finally:
        note_view()
    report = ingest.upload_detail(upload, viewer_partner=identity.partner)
    return render_template(
        "console/upload.html",
        upload=_row(upload),
        report=report,
        started=_utc(upload.started_at),
        finished=_utc(upload.finished_at),
    )
