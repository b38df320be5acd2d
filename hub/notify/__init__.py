"""Notices to recipients that data disclosed to them was corrected (UK GDPR Art. 19, DPA 2018
s.48), and the webhooks that nudge them (Standard Webhooks).

- `feed.py`: the per-recipient feed, the source of truth: notices are made in the correcting
  transaction (`record_notices`), read by id, acknowledged, and listed overdue (not
  acknowledged after 30 days) for the IG console; `views_corrected_since` drives the analyst
  page's banner.
- `webhooks.py`: endpoints recipients register, signed thin payloads (Standard Webhooks `v1`,
  HMAC-SHA256 under a secret derived per endpoint, never stored), delivery with the
  Standard Webhooks retry schedule on the clock of hub.clock; `background.py` runs due
  deliveries every HUB_WEBHOOK_INTERVAL_SECONDS in each serving process.

Below hub.corrections (which works out who must be told) and above the store: it knows db,
audit, auth and the agreements, nothing of ingest or views.
"""

from hub.notify.background import start_background, stop_background
from hub.notify.feed import (
    ACK_ACTIONS,
    OVERDUE_DAYS,
    NoticePlan,
    SubjectPlan,
    ack_notification,
    erase_subjects,
    get_notification,
    iso,
    list_notifications,
    mark_view_seen,
    overdue_by_recipient,
    record_notices,
    views_corrected_since,
)
from hub.notify.webhooks import (
    EVENT_TYPES,
    RETRY_SCHEDULE,
    deliver_due,
    endpoint_secret,
    register_endpoint,
    sign,
)

__all__ = [
    "ACK_ACTIONS",
    "EVENT_TYPES",
    "OVERDUE_DAYS",
    "RETRY_SCHEDULE",
    "NoticePlan",
    "SubjectPlan",
    "ack_notification",
    "deliver_due",
    "endpoint_secret",
    "erase_subjects",
    "get_notification",
    "iso",
    "list_notifications",
    "mark_view_seen",
    "overdue_by_recipient",
    "record_notices",
    "register_endpoint",
    "sign",
    "start_background",
    "stop_background",
    "views_corrected_since",
]
