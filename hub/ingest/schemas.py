"""What the upload API answers: typed models built from an `Upload` row.

The models list the fields they show, and nothing else gets through: a row failure shows
its row, column, check and message but never the cell (DESIGN.md decision 3), even where
the contract report would quote a public column's value.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from hub.db.models import Upload

Status = Literal[
    "received",
    "processing",
    "published",
    "rejected",
    "failed",
    "withdrawn",
    "replaced",
    "expired",  # retention deleted its rows (hub/retention)
]
TERMINAL = frozenset({"published", "rejected", "failed", "withdrawn", "replaced", "expired"})
Scalar = int | float | str | bool | None


class _Out(BaseModel):
    model_config = ConfigDict(extra="ignore")


class CountsOut(_Out):
    read: int = Field(0, description="Data rows read from the file.")
    accepted: int = Field(0, description="Rows that passed the row checks and were loaded.")
    rejected: int = Field(0, description="Rows set aside because they failed a row check.")


class RowFailureOut(_Out):
    row: int | None = Field(None, description="The sender's row number (CSV: header is row 1).")
    column: str | None = None
    check: str = Field(description="required, pattern, enum, is_date, check_digit, ...")
    message: str


class FailureSummaryOut(_Out):
    column: str | None = None
    check: str
    count: int = Field(description="How many rows failed this check on this column.")
    message: str | None = None


class ExpectationOut(_Out):
    rule: str | None = Field(None, description="The contract's quality rule.")
    expectation: str | None = Field(None, description="The Great Expectations expectation.")
    column: str | None = None
    blocking: bool | None = Field(None, description="Whether failing it rejects the upload.")
    success: bool | None = None
    outcome: Literal["passed", "failed", "not_run"] = "not_run"
    observed: dict[str, float | int | None] = Field(
        default_factory=dict, description="Counts and shares, never values from the data."
    )
    message: str = ""


class ErrorOut(_Out):
    code: str | None = None
    detail: str
    row: int | None = None


class UploadSummary(_Out):
    id: str
    agreement_id: str
    dataset: str
    partner_id: str
    status: Status
    done: bool = Field(description="Whether the status is final for processing.")
    sha256: str
    size_bytes: int
    media_type: str
    replaces: str | None
    counts: CountsOut
    created_at: datetime
    updated_at: datetime
    location: str = Field(description="Where this upload's status is read.")


class UploadOut(UploadSummary):
    client_id: str
    filename: str | None = Field(None, description="As sent; shown to the sender's partner.")
    idempotency_key: str | None
    format: str | None = Field(None, description="csv, ndjson or parquet, as read.")
    encoding: str | None = None
    progress: dict[str, Scalar] = Field(
        default_factory=dict, description="How far processing has got: stage, rows, bytes."
    )
    cause: str | None = Field(None, description="Why it was rejected, failed or withdrawn.")
    rejected_because: list[str] = []
    row_failures: list[RowFailureOut] = []
    row_failures_omitted: int = Field(0, description="Failures beyond the listed ones.")
    failure_summary: list[FailureSummaryOut] = Field(
        default_factory=list, description="Every failure counted by column and check."
    )
    expectations: list[ExpectationOut] = Field(
        default_factory=list, description="The contract's dataset checks and their outcomes."
    )
    warnings: list[str] = []
    error: ErrorOut | None = Field(None, description="What stopped the file being read.")
    timestamps: dict[str, datetime] = Field(
        default_factory=dict, description="received, started, finished (RFC 3339)."
    )


class UploadPage(BaseModel):
    items: list[UploadSummary]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page; null at end.")


def location(upload_id: str) -> str:
    return f"/api/v1/uploads/{upload_id}"


def summary(upload: Upload) -> UploadSummary:
    return UploadSummary(**_summary_fields(upload))


def detail(upload: Upload, *, viewer_partner: str | None = None) -> UploadOut:
    report: dict[str, Any] = upload.report or {}
    expectations = report.get("dataset_checks", report.get("expectations"))
    summary_items = report.get("failure_counts", report.get("failure_summary"))
    return UploadOut(
        **_summary_fields(upload),
        client_id=upload.client_id,
        filename=getattr(upload, "filename", None) if viewer_partner == upload.partner_id else None,
        idempotency_key=upload.idempotency_key,
        format=_text(report.get("format")),
        encoding=_text(report.get("encoding")),
        progress=_scalars(report.get("progress")),
        cause=getattr(upload, "cause", None),
        rejected_because=_texts(report.get("rejected_because")),
        row_failures=[_model(RowFailureOut, f) for f in _items(report.get("row_failures"))],
        row_failures_omitted=_int(report.get("row_failures_omitted")),
        failure_summary=[_model(FailureSummaryOut, s) for s in _summary_items(summary_items)],
        expectations=[_expectation(e) for e in _items(expectations)],
        warnings=_texts(report.get("warnings")),
        error=_error(report.get("error")),
        timestamps=_timestamps(upload),
    )


def _timestamps(upload: Upload) -> dict[str, datetime]:
    stamps = {
        "received": upload.created_at,
        "started": getattr(upload, "started_at", None),
        "finished": getattr(upload, "finished_at", None),
        "updated": upload.updated_at,
    }
    return {name: _utc(when) for name, when in stamps.items() if when is not None}


def _utc(when: datetime) -> datetime:
    # SQLite hands back naive datetimes; the hub writes them in UTC.
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _summary_fields(upload: Upload) -> dict[str, Any]:
    return {
        "id": upload.id,
        "agreement_id": upload.agreement_id,
        "dataset": upload.dataset,
        "partner_id": upload.partner_id,
        "status": upload.status,
        "done": upload.status in TERMINAL,
        "sha256": upload.sha256,
        "size_bytes": upload.size_bytes,
        "media_type": upload.media_type,
        "replaces": upload.replaces,
        "counts": _model(CountsOut, upload.counts or {}),
        "created_at": _utc(upload.created_at),
        "updated_at": _utc(upload.updated_at),
        "location": location(upload.id),
    }


def _model(model: type[_Out], value: Any) -> Any:
    return model.model_validate(value if isinstance(value, dict) else {})


def _expectation(value: dict[str, Any]) -> ExpectationOut:
    out = ExpectationOut.model_validate(
        {**value, "observed": _numbers(value.get("observed")), "outcome": "not_run"}
    )
    if out.success is not None:
        out.outcome = "passed" if out.success else "failed"
    return out


def _error(value: Any) -> ErrorOut | None:
    if not value:
        return None
    if isinstance(value, str):
        return ErrorOut(detail=value)
    if isinstance(value, dict):
        detail_text = value.get("detail") or value.get("message") or "Processing failed."
        return ErrorOut(code=value.get("code"), detail=str(detail_text), row=value.get("row"))
    return ErrorOut(detail="Processing failed.")


def _summary_items(value: Any) -> list[dict[str, Any]]:
    # A summary may come as a list of {column, check, count} or as {"column/check": count}.
    if isinstance(value, dict):
        out = []
        for key, count in value.items():
            column, _, check = str(key).rpartition("/")
            out.append({"column": column or None, "check": check, "count": _int(count)})
        return out
    return _items(value)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _texts(value: Any) -> list[str]:
    return [item for item in value or [] if isinstance(item, str)]


def _items(value: Any) -> list[dict[str, Any]]:
    return [item for item in value or [] if isinstance(item, dict)]


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _scalars(value: Any) -> dict[str, Scalar]:
    return {str(k): v for k, v in _mapping(value).items() if isinstance(v, Scalar)}


def _numbers(value: Any) -> dict[str, float | int | None]:
    return {
        str(k): v
        for k, v in _mapping(value).items()
        if v is None or (isinstance(v, int | float) and not isinstance(v, bool))
    }


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
