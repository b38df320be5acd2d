"""A corrections file: CSV (a header row) or NDJSON (one object a line), one correction a row.

Control columns, beside the contract's own:

- `_op`: `rectify`, `erase` or `restrict`;
- the row it corrects: `_upload_id` and `_row` (the upload and the sender's row number, as
  the upload's report names them), or `_record_ref` (the contract's record reference, once
  the hub keeps one: hub.corrections.set_record_ref_resolver);
- for `rectify`, every column of the contract, as in an upload: the corrected row replaces
  the row whole. `erase` and `restrict` carry only the reference.

The reason and the legal ground are the batch's (query parameters / `hub upload --reason
--legal-ground`). Problems name the line and the column, never a value.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field

from hub.errors import ValidationFailed

OPS = ("rectify", "erase", "restrict")
CONTROL = ("_op", "_upload_id", "_row", "_record_ref")
MAX_BYTES = 10 * 1024 * 1024
MAX_ITEMS = 10_000


@dataclass
class Item:
    line: int
    op: str
    upload_id: str | None
    row: int | None
    record_ref: str | None
    values: dict[str, str | None] = field(default_factory=dict)


def _problem(problems: list[dict], line: int, column: str, check: str, message: str) -> None:
    problems.append({"line": line, "column": column, "check": check, "message": message})


def parse_corrections(data: bytes, media_type: str | None) -> tuple[list[Item], list[str]]:
    """The items of a corrections file and the names of its non-control columns."""
    if len(data) > MAX_BYTES:
        raise ValidationFailed(
            f"A corrections file is at most {MAX_BYTES // (1024 * 1024)} MiB; send it in parts.",
            code="corrections_too_large",
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationFailed(
            "The corrections file is not UTF-8 text.", code="corrections_invalid"
        ) from None
    kind = (media_type or "").split(";")[0].strip().lower()
    ndjson = kind in ("application/x-ndjson", "application/ndjson", "application/jsonl") or (
        kind not in ("text/csv",) and text.lstrip().startswith("{")
    )
    records: list[tuple[int, dict[str, str | None]]] = []
    if ndjson:
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except ValueError:
                value = None
            if not isinstance(value, dict):
                raise ValidationFailed(
                    f"Line {number} is not a JSON object.", code="corrections_invalid"
                )
            records.append(
                (number, {str(k): None if v is None else str(v) for k, v in value.items()})
            )
    else:
        reader = csv.reader(io.StringIO(text, newline=""))
        header = next(reader, None)
        if not header:
            raise ValidationFailed("The corrections file is empty.", code="corrections_invalid")
        header = [h.strip() for h in header]
        for number, cells in enumerate(reader, start=2):
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(header):
                raise ValidationFailed(
                    f"Line {number} has {len(cells)} fields; the header has {len(header)}.",
                    code="corrections_invalid",
                )
            records.append(
                (number, {h: (c if c != "" else None) for h, c in zip(header, cells, strict=True)})
            )
    if not records:
        raise ValidationFailed("The corrections file has no rows.", code="corrections_invalid")
    if len(records) > MAX_ITEMS:
        raise ValidationFailed(
            f"At most {MAX_ITEMS} corrections a file; send it in parts.",
            code="corrections_too_large",
        )
    items, problems = [], []
    columns: dict[str, None] = {}
    for number, record in records:
        op = (record.get("_op") or "").strip().lower()
        if op not in OPS:
            _problem(problems, number, "_op", "op", f"`_op` is one of {', '.join(OPS)}.")
            continue
        upload_id = (record.get("_upload_id") or "").strip() or None
        ref = (record.get("_record_ref") or "").strip() or None
        row = None
        raw_row = (record.get("_row") or "").strip()
        if raw_row:
            if not raw_row.isdigit():
                _problem(problems, number, "_row", "row", "`_row` is a row number.")
                continue
            row = int(raw_row)
        if not ((upload_id and row is not None) or ref):
            _problem(
                problems,
                number,
                "_upload_id",
                "reference",
                "Name the row: `_upload_id` and `_row`, or `_record_ref`.",
            )
            continue
        values = {k: v for k, v in record.items() if k not in CONTROL}
        if op != "rectify" and any(v is not None for v in values.values()):
            _problem(
                problems,
                number,
                "_op",
                "values",
                f"`{op}` carries only the row's reference; leave the other columns empty.",
            )
            continue
        for k in values:
            columns.setdefault(k, None)
        items.append(Item(number, op, upload_id, row, ref, values))
    if problems:
        raise ValidationFailed(
            f"{len(problems)} correction(s) cannot be read; nothing was changed.",
            code="corrections_invalid",
            extra={"problems": problems[:100]},
        )
    return items, list(columns)
