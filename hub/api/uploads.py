"""HTTP for ingest: send a file, follow its upload, withdraw it, get a contract's template.

    POST   /api/v1/agreements/{agreement}/datasets/{dataset}/uploads   202 (or 200: seen)
    GET    /api/v1/uploads/{id}      GET /api/v1/uploads      DELETE /api/v1/uploads/{id}
    GET    /api/v1/contracts/{dataset}/template.csv

Thin, as DESIGN.md asks: the caller is authenticated and the upload decided before a byte
of the body is read; the body goes to the spool (hub/api/upload_body.py); the service
(hub/ingest/service.py) does the rest. Answers never hold a cell of the file.
"""

from __future__ import annotations

from flask import Response, current_app, g, request
from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, Field

from hub import agreements, audit, auth
from hub.api.problem_docs import problem_responses
from hub.api.upload_body import ACCEPTED, MULTIPART, OCTET_STREAM, receive
from hub.contracts import current_contracts
from hub.errors import NotFound
from hub.ingest import schemas, service
from hub.ingest.schemas import Status, UploadOut, UploadPage
from hub.ingest.template import template_csv

api = APIBlueprint(
    "ingest",
    __name__,
    url_prefix="/api/v1",
    abp_tags=[Tag(name="uploads", description="Send datasets and follow their processing.")],
    abp_security=[{"bearer": []}],
)

UPLOAD = "dataset.upload"
READ = "upload.read"
WITHDRAW = "upload.withdraw"
AGREEMENT_ID = r"^[a-z0-9][a-z0-9-]{0,99}$"
DATASET_ID = r"^[A-Za-z0-9_-]{1,100}$"
UPLOAD_ID = r"^[A-Za-z0-9-]{1,36}$"

_BODY_DOC = {
    "requestBody": {
        "required": True,
        "description": "The file, as the raw body or as the `file` field of a form.",
        "content": {
            **{kind: {"schema": {"type": "string", "format": "binary"}} for kind in ACCEPTED},
            OCTET_STREAM: {"schema": {"type": "string", "format": "binary"}},
            MULTIPART: {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "replaces": {"type": "string", "description": "An upload id."},
                    },
                }
            },
        },
    }
}


class DatasetPath(BaseModel):
    agreement: str = Field(pattern=AGREEMENT_ID, description="The agreement id.")
    dataset: str = Field(pattern=DATASET_ID, description="The dataset id (its contract's id).")


class SubmitQuery(BaseModel):
    replaces: str | None = Field(
        None, pattern=UPLOAD_ID, description="The upload this one replaces once published."
    )


class SubmitHeaders(BaseModel):
    idempotency_key: str | None = Field(
        None,
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        description="A key of the sender's choosing: a retry with the same key gets the "
        "same upload back instead of a second one.",
    )


class UploadPath(BaseModel):
    id: str = Field(pattern=UPLOAD_ID, description="The upload id.")


class UploadsQuery(BaseModel):
    agreement: str | None = Field(None, pattern=AGREEMENT_ID)
    dataset: str | None = Field(None, pattern=DATASET_ID)
    status: Status | None = None
    limit: int = Field(50, ge=1, le=200)
    cursor: str | None = Field(
        None, max_length=200, description="The previous page's next_cursor, same filters."
    )


class ContractPath(BaseModel):
    dataset: str = Field(pattern=DATASET_ID, description="The dataset id.")


def _answer(upload, status: int, identity) -> tuple[dict, int, dict[str, str]]:
    out = schemas.detail(upload, viewer_partner=identity.partner)
    return out.model_dump(mode="json"), status, {"Location": out.location}


@api.post(
    "/agreements/<agreement>/datasets/<dataset>/uploads",
    responses={
        202: UploadOut,
        200: UploadOut,
        **problem_responses(
            {
                400: "The body ended before its Content-Length or last chunk "
                "(`incomplete_body`), does not match its Content-Digest (`digest_mismatch`), "
                "or the request is otherwise not valid. Nothing was kept.",
                408: "The body arrived too slowly (`body_timeout`); nothing was kept.",
                413: "The file is larger than HUB_MAX_UPLOAD_BYTES.",
                503: "The hub is reading as many bodies as it can (`busy`), or its database "
                "is unavailable: send it again after Retry-After.",
                507: "The hub has no room to keep the file (`insufficient_storage`); nothing "
                "was kept.",
            }
        ),
    },
    openapi_extensions=_BODY_DOC,
)
def submit(path: DatasetPath, query: SubmitQuery, header: SubmitHeaders):
    """Send a file for a dataset under an agreement; it is processed in the background.

    202 with the new upload, or 200 with the existing one when the same file (or the same
    Idempotency-Key) was sent before. Follow `Location` until `done`. Give RFC 9530
    `Content-Digest: sha-256=:…:` and the hub checks the bytes against it before it keeps
    them (`hub upload` always does).
    """
    resource = agreements.Resource(
        kind="dataset", agreement_id=path.agreement, dataset=path.dataset
    )
    audit.note(action=UPLOAD, resource=resource.label)  # so a refused token is this action
    identity = auth.current_identity()
    # Decided before the body is read, so a refusal costs the sender no upload time; the
    # service decides again when it records the upload.
    service.authorize_upload(identity=identity, agreement_id=path.agreement, dataset=path.dataset)
    settings = current_app.extensions["hub.settings"]
    received = receive(
        request,
        spool_dir=settings.effective_spool_dir,
        max_bytes=settings.max_upload_bytes,
        reserve_bytes=settings.spool_reserve_bytes,
    )
    if received.digests_checked:
        audit.note(details={"content_digest": list(received.digests_checked)})
    try:
        upload, created = service.submit_upload(
            identity=identity,
            agreement_id=path.agreement,
            dataset=path.dataset,
            spooled=received.spooled,
            media_type=received.media_type,
            filename=received.filename,
            idempotency_key=header.idempotency_key,
            replaces=query.replaces or received.fields.get("replaces") or None,
            request_id=g.get("request_id"),
        )
    finally:
        # The service moves the file under the upload's id, or removes it; whatever went
        # wrong, no spooled copy (raw identifiers) is left behind under its temporary name.
        received.spooled.path.unlink(missing_ok=True)
    return _answer(upload, 202 if created else 200, identity)


@api.get("/uploads/<id>", responses={200: UploadOut})
def read_upload(path: UploadPath):
    """An upload's status, counts, progress, row failures and dataset expectations."""
    audit.note(action=READ, resource=f"upload:{path.id}")
    identity = auth.current_identity()
    upload = service.get_upload(identity=identity, upload_id=path.id)
    return _answer(upload, 200, identity)


@api.get("/uploads", responses={200: UploadPage})
def list_uploads(query: UploadsQuery):
    """The caller's organisation's uploads, newest first, filtered and paged."""
    audit.note(action=READ, resource="uploads")
    identity = auth.current_identity()
    uploads, next_cursor = service.list_uploads(
        identity=identity,
        agreement_id=query.agreement,
        dataset=query.dataset,
        status=query.status,
        limit=query.limit,
        cursor=query.cursor,
    )
    audit.note(details={"returned": len(uploads)})
    page = UploadPage(items=[schemas.summary(u) for u in uploads], next_cursor=next_cursor)
    return page.model_dump(mode="json")


@api.delete("/uploads/<id>", responses={200: UploadOut})
def withdraw(path: UploadPath):
    """Withdraw an upload (its provider only): its rows stop being visible."""
    audit.note(action=WITHDRAW, resource=f"upload:{path.id}")
    identity = auth.current_identity()
    try:
        upload = service.withdraw_upload(identity=identity, upload_id=path.id)
    finally:
        # The service reads the upload first (noting `upload.read`); the request withdraws.
        audit.note(action=WITHDRAW)
    return _answer(upload, 200, identity)


@api.get(
    "/contracts/<dataset>/template.csv",
    responses={
        200: {
            "description": "The contract's header and a few synthetic rows that pass it.",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    },
)
def contract_template(path: ContractPath):
    """A CSV to start from: the contract's columns in order and valid synthetic rows."""
    identity = auth.current_identity()
    resource = agreements.Resource(kind="contract", dataset=path.dataset)
    audit.note(action="contract.read", resource=resource.label)
    contract = current_contracts().get(path.dataset)
    if contract is None:
        raise NotFound(
            f"There is no contract for dataset `{path.dataset}`. The datasets of an agreement "
            "are listed at GET /api/v1/agreements/{id}."
        )
    agreements.enforce(agreements.decide(identity, "contract.read", resource))
    return Response(
        template_csv(contract),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{path.dataset}-template.csv"'},
    )
