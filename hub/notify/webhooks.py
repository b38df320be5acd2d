"""Webhooks to recipients, as the Standard Webhooks specification has them: a nudge only, the
feed stays the source of truth.

- A recipient's IG officer registers an endpoint (`register_endpoint`) and is shown its
  signing secret once (`whsec_...`). The secret is derived from the hub's master key and the
  endpoint id (HKDF, under a name no linkage domain can have), so it is stored nowhere.
- Each notice makes one delivery per endpoint. The body is thin: `{type, timestamp, data:
  {id, notification_url}}`, never a subject; the recipient fetches the notice through the
  audited API. Headers `webhook-id`, `webhook-timestamp`, `webhook-signature` (`v1,` +
  base64 HMAC-SHA256 of `{id}.{timestamp}.{body}`).
- `deliver_due` sends what is due (hub.clock's now), and schedules a failed attempt again
  per the specification's schedule: at once, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h,
  24 h. 2xx is delivered; 410 disables the endpoint; after the last attempt the delivery
  fails. The audit log gets one `notification.delivered` or `notification.delivery_failed`
  per delivery, not one per attempt.
- Targets are `https://`; `http://` only to a loopback address in demo mode. Addresses in
  private ranges are refused (SSRF) unless HUB_WEBHOOK_ALLOW_PRIVATE is set, at registration
  and again at each attempt (the name may resolve elsewhere later). Redirects are not followed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import logging
import socket
import uuid
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import requests
from flask import current_app
from sqlalchemy import select, update

from hub import audit, clock, db
from hub.agreements import Decision, current_policies, enforce
from hub.audit import NewEvent
from hub.auth import Identity
from hub.db.models import Notification, WebhookDelivery, WebhookEndpoint
from hub.errors import InvalidRequest
from hub.pseudonymise import Keyring

log = logging.getLogger(__name__)

EVENT_TYPES = (
    "record.rectified",
    "record.erased",
    "record.restricted",
    "record.corrected",
    "aggregate.changed",
)
RETRY_SCHEDULE = (
    timedelta(0),
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=14),
    timedelta(hours=20),
    timedelta(hours=24),
)
CLAIM = timedelta(seconds=120)  # an attempt in progress: no other process takes it
TIMEOUT_SECONDS = 10
MAX_URL = 2000
SYSTEM_ACTOR = {"client": None, "partner": None, "roles": ["system"]}
# Domains are slugs without "/": this name can never be a linkage domain's.
_SECRET_DOMAIN = "webhook-signing/"  # noqa: S105 - a key name, not a key


def endpoint_secret(endpoint_id: str, *, app=None) -> str:
    """The endpoint's signing secret in the Standard Webhooks form `whsec_<base64>`."""
    app = app or current_app
    keyring = Keyring(app.extensions["hub.keys"].pseudonym_master_key)
    key = keyring.key_for(_SECRET_DOMAIN + endpoint_id)
    return "whsec_" + base64.b64encode(key).decode()


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` header value (`v1,<base64>`) of one message."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    content = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()


# -- registering --------------------------------------------------------------------------------


def register_endpoint(
    *, identity: Identity, url: str, events: list[str] | None = None
) -> tuple[WebhookEndpoint, str]:
    """An IG officer of a recipient registers where its nudges go; returns the endpoint and
    its signing secret, shown this once."""
    audit.note(action="webhook.register", resource="webhooks")
    if not identity.has_role("ig_officer"):
        enforce(
            Decision(
                False,
                "Registering a webhook needs the ig_officer role at a recipient.",
                "role-not-allowed",
            )
        )
    if not any(
        a.has_role(identity.partner, "recipient")
        for a in current_policies().agreements_of(identity.partner)
    ):
        enforce(
            Decision(
                False,
                f"`{identity.partner}` is a recipient under no agreement: it gets no notices.",
                "not-a-recipient",
            )
        )
    events = list(dict.fromkeys(events or []))
    unknown = [e for e in events if e not in EVENT_TYPES]
    if unknown:
        raise InvalidRequest(f"`events` may name: {', '.join(EVENT_TYPES)} (or none: all).")
    check_target(url)
    enforce(Decision(True, f"An IG officer of `{identity.partner}` registers a webhook.", "ig"))
    endpoint = WebhookEndpoint(
        id=str(uuid.uuid4()),
        partner_id=identity.partner,
        url=url,
        events=events,
        created_by=identity.client_id,
        created_at=clock.now(),
    )
    with db.unit_of_work() as session:
        session.add(endpoint)
        session.flush()
        session.expunge(endpoint)
    audit.note(details={"endpoint": endpoint.id, "host": urlsplit(url).hostname})
    return endpoint, endpoint_secret(endpoint.id)


def check_target(url: str) -> None:
    """Refuse a target the hub must not call (see the module doc). Raises InvalidRequest."""
    settings = current_app.extensions["hub.settings"]
    if len(url) > MAX_URL:
        raise InvalidRequest(f"`url` is at most {MAX_URL} characters.")
    parts = urlsplit(url)
    host = parts.hostname
    if parts.scheme not in ("https", "http") or not host:
        raise InvalidRequest("`url` must be an https:// URL.", code="webhook_url_refused")
    try:
        addresses = {
            ipaddress.ip_address(info[4][0])
            for info in socket.getaddrinfo(host, parts.port or 443, proto=socket.IPPROTO_TCP)
        }
    except (socket.gaierror, ValueError) as exc:
        raise InvalidRequest(
            f"`url`: the host `{host}` does not resolve.", code="webhook_url_refused"
        ) from exc
    loopback = all(a.is_loopback for a in addresses)
    if parts.scheme == "http" and not (loopback and settings.mode == "demo"):
        raise InvalidRequest(
            "`url` must be an https:// URL (http:// only to loopback in demo mode).",
            code="webhook_url_refused",
        )
    demo_loopback = loopback and settings.mode == "demo"
    private = any(a.is_private or a.is_loopback or a.is_link_local for a in addresses)
    if private and not (settings.webhook_allow_private or demo_loopback):
        raise InvalidRequest(
            f"`url`: `{host}` is in a private address range, which the hub does not call "
            "(set HUB_WEBHOOK_ALLOW_PRIVATE=1 if it must).",
            code="webhook_url_refused",
        )


# -- delivering ---------------------------------------------------------------------------------


def payload(notice: Notification, timestamp: datetime) -> bytes:
    body = {
        "type": notice.type,
        "timestamp": timestamp.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "data": {"id": notice.id, "notification_url": f"/api/v1/notifications/{notice.id}"},
    }
    return json.dumps(body, separators=(",", ":"), sort_keys=True).encode()


def deliver_due(*, now: datetime | None = None, limit: int = 50) -> dict[str, int]:
    """Attempt every delivery that is due (inside an app context); counts by outcome."""
    now = now or clock.now()
    out = {"delivered": 0, "retrying": 0, "failed": 0}
    with db.read_only() as session:
        due = list(
            session.execute(
                select(WebhookDelivery.id, WebhookDelivery.next_attempt_at)
                .where(
                    WebhookDelivery.status == "pending",
                    WebhookDelivery.next_attempt_at <= now,
                )
                .order_by(WebhookDelivery.next_attempt_at)
                .limit(limit)
            ).all()
        )
    for delivery_id, when in due:
        with db.unit_of_work() as session:
            claimed = session.execute(
                update(WebhookDelivery)
                .where(
                    WebhookDelivery.id == delivery_id,
                    WebhookDelivery.status == "pending",
                    WebhookDelivery.next_attempt_at == when,
                )
                .values(next_attempt_at=now + CLAIM)
            ).rowcount
        if claimed == 1:
            out[_attempt(delivery_id, now)] += 1
    return out


def _attempt(delivery_id: str, now: datetime) -> str:
    with db.read_only() as session:
        delivery = session.get(WebhookDelivery, delivery_id)
        endpoint = session.get(WebhookEndpoint, delivery.endpoint_id)
        notice = session.get(Notification, delivery.notification_id)
    status: int | None = None
    error: str | None = None
    if endpoint.disabled_at is not None:
        error = "endpoint disabled"
    else:
        body = payload(notice, now)
        timestamp = int(now.timestamp())
        headers = {
            "content-type": "application/json",
            "user-agent": "hub-webhooks/1",
            "webhook-id": delivery.id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(endpoint_secret(endpoint.id), delivery.id, timestamp, body),
        }
        try:
            check_target(endpoint.url)
            answer = requests.post(
                endpoint.url,
                data=body,
                headers=headers,
                timeout=TIMEOUT_SECONDS,
                allow_redirects=False,
            )
            status = answer.status_code
            answer.close()
        except InvalidRequest:
            error = "target refused"
        except requests.RequestException as exc:
            error = type(exc).__name__
    return _record(delivery_id, endpoint, notice, now, status, error)


def _record(delivery_id, endpoint, notice, now, status, error) -> str:
    with db.unit_of_work() as session:
        delivery = session.get(WebhookDelivery, delivery_id, populate_existing=True)
        delivery.attempts += 1
        delivery.last_status = status
        delivery.last_error = error
        outcome = "retrying"
        if status is not None and 200 <= status < 300:
            delivery.status = "delivered"
            delivery.delivered_at = now
            delivery.next_attempt_at = None
            outcome = "delivered"
        elif status == 410 or endpoint.disabled_at is not None:
            outcome = "failed"
            if endpoint.disabled_at is None:
                session.execute(
                    update(WebhookEndpoint)
                    .where(WebhookEndpoint.id == endpoint.id)
                    .values(disabled_at=now, disabled_reason="The endpoint answered 410 Gone.")
                )
        elif delivery.attempts >= len(RETRY_SCHEDULE):
            outcome = "failed"
        else:
            delivery.next_attempt_at = now + RETRY_SCHEDULE[delivery.attempts]
        if outcome == "failed":
            delivery.status = "failed"
            delivery.next_attempt_at = None
        session.add(delivery)
        session.flush()
        if outcome != "retrying":
            audit.append(
                session,
                NewEvent(
                    action=(
                        "notification.delivered"
                        if outcome == "delivered"
                        else "notification.delivery_failed"
                    ),
                    resource=f"notification:{notice.id}",
                    outcome="allowed" if outcome == "delivered" else "failed",
                    reason=(
                        f"Webhook delivered after {delivery.attempts} attempt(s)."
                        if outcome == "delivered"
                        else f"Webhook not delivered after {delivery.attempts} attempt(s)."
                    ),
                    request_id=delivery.id[:64],
                    actor=SYSTEM_ACTOR,
                    details={
                        "notification": notice.id,
                        "recipient": notice.recipient_partner,
                        "endpoint": endpoint.id,
                        "attempts": delivery.attempts,
                        "last_status": status,
                    },
                ),
            )
    return outcome
