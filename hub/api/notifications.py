"""HTTP for notices of corrections, on the recipient's side, and its webhooks.

    GET  /api/v1/notifications?after=&limit=     the feed (ids, types, counts, links)
    GET  /api/v1/notifications/{id}              a notice and its subjects
    POST /api/v1/notifications/{id}/ack          {action, note?}
    POST /api/v1/webhooks                        {url, events[]}: the secret, shown once

Thin: hub.notify does the deciding and the recording.
"""

from __future__ import annotations

from typing import Any, Literal

from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, ConfigDict, Field

from hub import audit, auth, notify

api = APIBlueprint(
    "notifications",
    __name__,
    url_prefix="/api/v1",
    abp_tags=[
        Tag(
            name="notifications",
            description="Notices that data disclosed to your organisation was corrected.",
        )
    ],
    abp_security=[{"bearer": []}],
)

NOTIFICATION_ID = r"^[A-Za-z0-9-]{1,36}$"


class FeedQuery(BaseModel):
    after: str | None = Field(None, max_length=100, description="The last page's next_cursor.")
    limit: int = Field(50, ge=1, le=200)
    unacknowledged: bool = Field(False, description="Only notices not acknowledged yet.")


class NotificationPath(BaseModel):
    id: str = Field(pattern=NOTIFICATION_ID, description="The notice's id.")


class NoticeOut(BaseModel):
    id: str
    type: str = Field(
        description="record.rectified | record.erased | record.restricted | record.corrected "
        "(several kinds) | aggregate.changed"
    )
    agreement: str
    dataset: str
    correction_id: str
    views: list[str]
    subject_count: int
    created_at: str
    acknowledged_at: str | None
    ack_action: str | None
    url: str


class FeedOut(BaseModel):
    items: list[NoticeOut]
    next_cursor: str | None = Field(
        description="Pass as `after` for the next page, and to poll for new notices later."
    )


class SubjectOut(BaseModel):
    kind: Literal["person", "cells"]
    view: str
    change: str
    linkage_domain: str | None = None
    pseudonym: str | None = Field(
        None, description="The person as your queries showed them (rectified, restricted)."
    )
    match_token: str | None = Field(
        None,
        description="Erased: HMAC-SHA256 keyed by the notice id (UTF-8) over the pseudonym; "
        "compute it over the pseudonyms in your copies of `request_ids` to find the person.",
    )
    cells: list[dict[str, Any]] = []
    request_ids: list[str] = Field(description="Your organisation's queries that showed it.")


class NoticeDetail(NoticeOut):
    subjects: list[SubjectOut]


class AckBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: Literal["rectified", "erased", "restricted", "no_copy_held"]
    note: str | None = Field(None, max_length=1000)


class WebhookBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str = Field(max_length=2000, description="https:// (http:// to loopback in demo).")
    events: list[str] = Field(default=[], description="Notice types; none: all.")


class WebhookOut(BaseModel):
    id: str
    url: str
    events: list[str]
    secret: str = Field(
        description="The Standard Webhooks signing secret (whsec_...), shown this once."
    )
    signature_scheme: str = "v1 (HMAC-SHA256, Standard Webhooks)"


def _notice(n) -> NoticeOut:
    return NoticeOut(
        id=n.id,
        type=n.type,
        agreement=n.agreement_id,
        dataset=n.dataset,
        correction_id=n.correction_id,
        views=list(n.views or []),
        subject_count=n.subject_count,
        created_at=notify.iso(n.created_at),
        acknowledged_at=notify.iso(n.acked_at),
        ack_action=n.ack_action,
        url=f"/api/v1/notifications/{n.id}",
    )


@api.get("/notifications", responses={200: FeedOut})
def feed(query: FeedQuery):
    """Your organisation's notices, oldest first (the source of truth; webhooks only nudge)."""
    audit.note(action="notification.read", resource="notifications")
    identity = auth.current_identity()
    items, next_cursor = notify.list_notifications(
        identity=identity, after=query.after, limit=query.limit, unacked=query.unacknowledged
    )
    return FeedOut(items=[_notice(n) for n in items], next_cursor=next_cursor).model_dump(
        mode="json"
    )


@api.get("/notifications/<id>", responses={200: NoticeDetail})
def read_notice(path: NotificationPath):
    """A notice with its subjects: whom (as your queries showed them) or which cells."""
    audit.note(action="notification.read", resource=f"notification:{path.id}")
    identity = auth.current_identity()
    notice, subjects = notify.get_notification(identity=identity, notification_id=path.id)
    out = NoticeDetail(
        **_notice(notice).model_dump(),
        subjects=[
            SubjectOut(
                kind=s.kind,
                view=s.view_id,
                change=s.change,
                linkage_domain=s.linkage_domain,
                pseudonym=s.pseudonym,
                match_token=s.match_token,
                cells=list(s.cells or []),
                request_ids=list(s.request_ids or []),
            )
            for s in subjects
        ],
    )
    return out.model_dump(mode="json"), 200, {"Cache-Control": "no-store"}


@api.post("/notifications/<id>/ack", responses={200: NoticeOut})
def ack(path: NotificationPath, body: AckBody):
    """Say what your organisation did with its copies (UK GDPR Art. 19: recipients act too)."""
    audit.note(action="notification.ack", resource=f"notification:{path.id}")
    identity = auth.current_identity()
    notice = notify.ack_notification(
        identity=identity, notification_id=path.id, action=body.action, note=body.note
    )
    return _notice(notice).model_dump(mode="json")


@api.post("/webhooks", responses={201: WebhookOut})
def register_webhook(body: WebhookBody):
    """Register where nudges go (IG officers of a recipient). Payloads are thin: type and the
    notice's id and URL; fetch the notice through the API."""
    audit.note(action="webhook.register", resource="webhooks")
    identity = auth.current_identity()
    endpoint, secret = notify.register_endpoint(identity=identity, url=body.url, events=body.events)
    out = WebhookOut(id=endpoint.id, url=endpoint.url, events=list(endpoint.events), secret=secret)
    return out.model_dump(mode="json"), 201, {"Cache-Control": "no-store"}
