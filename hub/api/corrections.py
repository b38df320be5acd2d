"""HTTP for corrections from a dataset's provider.

    POST /api/v1/agreements/{agreement}/datasets/{dataset}/corrections?reason=&legal_ground=

The body is a corrections file (text/csv or application/x-ndjson; hub/corrections/parse.py).
Thin: hub.corrections decides, applies it in one transaction and tells the recipients.
"""

from __future__ import annotations

from flask import g, request
from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, Field

from hub import agreements, audit, auth, corrections
from hub.api.uploads import DatasetPath
from hub.corrections.parse import MAX_BYTES
from hub.errors import ValidationFailed

api = APIBlueprint(
    "corrections",
    __name__,
    url_prefix="/api/v1",
    abp_tags=[
        Tag(
            name="corrections",
            description="Rectify, erase or restrict rows you shared; recipients are told.",
        )
    ],
    abp_security=[{"bearer": []}],
)

_BODY_DOC = {
    "requestBody": {
        "required": True,
        "description": "One correction a row: `_op` (rectify | erase | restrict), `_upload_id` "
        "and `_row` (or `_record_ref`), and for rectify every column of the contract.",
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "application/x-ndjson": {"schema": {"type": "string"}},
        },
    }
}


class CorrectionQuery(BaseModel):
    reason: str = Field(max_length=1000, description="Why; no identifier (it is logged).")
    legal_ground: str = Field(
        max_length=100, description=", ".join(corrections.LEGAL_GROUNDS) + "."
    )


class CorrectionResult(BaseModel):
    correction_id: str
    agreement: str
    dataset: str
    counts: dict[str, int]
    legal_ground: str
    notices: int = Field(description="Recipients told (one notice each).")
    recipients: list[str]


@api.post(
    "/agreements/<agreement>/datasets/<dataset>/corrections",
    responses={201: CorrectionResult},
    openapi_extensions=_BODY_DOC,
)
def correct(path: DatasetPath, query: CorrectionQuery):
    """Apply a corrections file to rows of your published uploads, in one transaction."""
    resource = agreements.Resource(
        kind="dataset", agreement_id=path.agreement, dataset=path.dataset
    )
    audit.note(action="dataset.correct", resource=resource.label)
    identity = auth.current_identity()
    if (request.content_length or 0) > MAX_BYTES:
        raise ValidationFailed(
            f"A corrections file is at most {MAX_BYTES // (1024 * 1024)} MiB; send it in parts.",
            code="corrections_too_large",
        )
    data = request.stream.read(MAX_BYTES + 1)
    out = corrections.correct_rows(
        identity=identity,
        agreement_id=path.agreement,
        dataset=path.dataset,
        data=data,
        media_type=request.mimetype,
        reason=query.reason,
        legal_ground=query.legal_ground,
        request_id=g.get("request_id") or "",
    )
    c = out.correction
    return (
        CorrectionResult(
            correction_id=c.id,
            agreement=c.agreement_id,
            dataset=c.dataset,
            counts=c.counts,
            legal_ground=c.legal_ground,
            notices=out.notices,
            recipients=list(out.recipients),
        ).model_dump(mode="json"),
        201,
    )
