"""An upload's answer as text for a terminal: status, counts, failures, expectations.

It prints only what the API answered, which never holds a cell of the file.
"""

from __future__ import annotations

from typing import Any

MAX_FAILURE_LINES = 50


def progress_line(upload: dict[str, Any]) -> str:
    """One line about where processing is, e.g. `processing: loading, 20,000 rows, 40%`."""
    progress = upload.get("progress") or {}
    parts = []
    status = str(upload.get("status", "?"))
    if progress.get("stage") and progress["stage"] != status:
        parts.append(str(progress["stage"]))
    if isinstance(progress.get("rows_read"), int):
        parts.append(f"{progress['rows_read']:,} rows")
    done, total = progress.get("bytes_read"), progress.get("total_bytes")
    if isinstance(done, int) and isinstance(total, int) and total > 0:
        parts.append(f"{min(done, total) / total:.0%} of the file")
    return status + (": " + ", ".join(parts) if parts else "")


def render(upload: dict[str, Any]) -> str:
    counts = upload.get("counts") or {}
    lines = [
        f"Upload {upload.get('id')}: {upload.get('status')}",
        f"  {upload.get('agreement_id')} / {upload.get('dataset')}, "
        f"{upload.get('size_bytes', 0):,} bytes, sha256 {upload.get('sha256', '')[:16]}…",
        f"  rows read {counts.get('read', 0):,}, accepted {counts.get('accepted', 0):,}, "
        f"rejected {counts.get('rejected', 0):,}",
    ]
    if upload.get("replaces"):
        lines.append(f"  replaces {upload['replaces']}")
    reasons = upload.get("rejected_because") or ([upload["cause"]] if upload.get("cause") else [])
    if reasons:
        lines += ["", "Not published because:", *(f"  - {r}" for r in reasons)]
    error = upload.get("error")
    if error:
        where = f" (row {error['row']})" if error.get("row") else ""
        code = f"{error['code']}: " if error.get("code") else ""
        lines += ["", f"Error{where}: {code}{error.get('detail')}"]
    lines += _warnings(upload.get("warnings") or [])
    lines += _summary(upload.get("failure_summary") or [])
    lines += _failures(upload.get("row_failures") or [], upload.get("row_failures_omitted", 0))
    lines += _expectations(upload.get("expectations") or [])
    return "\n".join(lines)


def _warnings(warnings: list[str]) -> list[str]:
    return ["", "Warnings:", *(f"  - {w}" for w in warnings)] if warnings else []


def _summary(summary: list[dict[str, Any]]) -> list[str]:
    if not summary:
        return []
    rows = [(s.get("column") or "", s.get("check") or "", str(s.get("count", ""))) for s in summary]
    return ["", "Failures by column and check:", *_table(("column", "check", "rows"), rows)]


def _failures(failures: list[dict[str, Any]], omitted: int) -> list[str]:
    if not failures:
        return []
    shown = failures[:MAX_FAILURE_LINES]
    rows = [
        (str(f.get("row") or ""), f.get("column") or "", f.get("check") or "", f.get("message", ""))
        for f in shown
    ]
    lines = ["", "Row failures:", *_table(("row", "column", "check", "message"), rows)]
    more = len(failures) - len(shown) + (omitted or 0)
    if more:
        lines.append(f"  … and {more:,} more")
    return lines


def _expectations(expectations: list[dict[str, Any]]) -> list[str]:
    if not expectations:
        return []
    rows = []
    for e in expectations:
        observed = ", ".join(
            f"{k}={_number(v)}" for k, v in (e.get("observed") or {}).items() if v is not None
        )
        rows.append(
            (
                e.get("rule") or e.get("expectation") or "",
                e.get("column") or "(dataset)",
                "blocking" if e.get("blocking") else "warning",
                e.get("outcome", ""),
                observed,
            )
        )
    return [
        "",
        "Dataset expectations:",
        *_table(("rule", "column", "kind", "outcome", "observed"), rows),
    ]


def _number(value) -> str:
    return f"{value:.2f}" if isinstance(value, float) else f"{value}"


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]
    widths[-1] = 0  # the last column is not padded

    def line(cells) -> str:
        return (
            "  " + "  ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()
        )

    return [line(header), *(line(r) for r in rows)]
