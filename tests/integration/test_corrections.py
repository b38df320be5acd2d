"""Corrections reach exactly the recipients who were shown the data (issue 17): a school
corrects one pupil's row after the council's and the police's analysts saw the pupil (and
the police ran an aggregate covering the row's month); exactly those two organisations get
one notice each, nobody else any; the police's webhook is signed as Standard Webhooks says
(verified with the reference library), redelivered after the endpoint first fails; the
banner and the IG console follow the acknowledgements. On SQLite and PostgreSQL, with data
published through the real pipeline."""

from __future__ import annotations

import json
import re

import pytest
import standardwebhooks.webhooks as swh
from sqlalchemy import select

from hub import db, notify
from hub.db.models import Notification, WebhookDelivery
from tests.helpers import bearer, token_for
from tests.integration.corrections_support import (  # noqa: F401 - fixtures
    COUNCIL,
    EARLY,
    EXCLUSIONS,
    HEADER,
    MONTHS_VIEW,
    PEOPLE_VIEW,
    POLICE,
    SCHOOL,
    Receiver,
    advance,
    analyst,
    correct,
    corrections_body,
    exclusions_feed,
    feed_of,
    hub_clock_for_receivers,
    people,
    policies_with_test_views,
    published,
    query,
    row_of,
    settings,
    stored_rows,
    upn_pseudonym,
)
from tests.integration.governance_support import sign_in
from tests.integration.ingest_support import events


def test_a_correction_reaches_exactly_those_who_saw_it_and_the_webhook_is_redelivered(
    app,
    client,
    published,  # noqa: F811 - the fixture
    hub_clock_for_receivers,  # noqa: F811 - the fixture
):
    feed, upload = published
    pupil = feed.pupils[0]  # suspended in October
    key = upn_pseudonym(app, pupil.upn)
    police_ig = bearer(token_for(client, app, partner=POLICE, roles=["ig_officer"]))
    with Receiver(answers=[500, 200]) as receiver:
        registered = client.post("/api/v1/webhooks", json={"url": receiver.url}, headers=police_ig)
        assert registered.status_code == 201, registered.get_json()
        secret = registered.get_json()["secret"]

        council, police = analyst(client, app, COUNCIL), analyst(client, app, POLICE)
        seen_by_council = query(client, council, PEOPLE_VIEW)
        seen_by_police = query(client, police, PEOPLE_VIEW)
        assert key in people(seen_by_council) and key in people(seen_by_police)
        police_months = query(client, police, MONTHS_VIEW)  # every month: October too
        # The council's aggregate query covers September only: not the pupil's row.
        query(
            client,
            council,
            MONTHS_VIEW,
            filters=[{"column": "month", "op": "eq", "value": "2026-09"}],
        )
        before = client.get(f"/api/v1/views/{PEOPLE_VIEW}", headers=council.headers)
        assert before.get_json()["corrected_since_seen"] == []

        # The school corrects the pupil's row: another reason code, another start day.
        row = row_of(app, key)["_row"]
        school = bearer(token_for(client, app, partner=SCHOOL, roles=["uploader"]))
        fixed = list(feed.rows[0])
        fixed[HEADER.index("reason")] = "VA"
        fixed[HEADER.index("start_date")] = "2026-10-06"
        answer = correct(
            client,
            school,
            corrections_body([["rectify", upload.id, str(row), *fixed]]),
            reason="The school recorded the wrong reason code.",
            legal_ground="uk-gdpr-art16",
        )
        assert answer.status_code == 201, answer.get_json()
        result = answer.get_json()
        assert result["counts"] == {"rectify": 1, "erase": 0, "restrict": 0}
        assert result["notices"] == 2 and result["recipients"] == [COUNCIL, POLICE]
        assert row_of(app, key)["reason"] == "VA"

        # Exactly those recipients, exactly one notice each; nobody else any.
        with app.app_context(), db.read_only() as session:
            all_notices = list(session.execute(select(Notification)).scalars())
        assert sorted(n.recipient_partner for n in all_notices) == [COUNCIL, POLICE]
        for outsider in ("northshire-hospitals", "westshire-council"):
            assert feed_of(client, analyst(client, app, outsider)) == []
        (council_item,) = feed_of(client, council)
        (police_item,) = feed_of(client, police)
        assert council_item["type"] == police_item["type"] == "record.rectified"

        detail = client.get(council_item["url"], headers=council.headers).get_json()
        assert [(s["kind"], s["pseudonym"], s["request_ids"]) for s in detail["subjects"]] == [
            ("person", key, [seen_by_council.headers["X-Request-Id"]])
        ]
        detail = client.get(police_item["url"], headers=police.headers).get_json()
        subjects = {(s["kind"], s["view"]): s for s in detail["subjects"]}
        assert subjects[("person", PEOPLE_VIEW)]["pseudonym"] == key
        assert subjects[("person", PEOPLE_VIEW)]["request_ids"] == [
            seen_by_police.headers["X-Request-Id"]
        ]
        assert subjects[("cells", MONTHS_VIEW)]["cells"] == [{"month": "2026-10"}]
        assert subjects[("cells", MONTHS_VIEW)]["request_ids"] == [
            police_months.headers["X-Request-Id"]
        ]
        # Another organisation's notice: not readable, not acknowledgeable.
        assert client.get(police_item["url"], headers=council.headers).status_code == 403
        refused = client.post(
            f"{police_item['url']}/ack", json={"action": "rectified"}, headers=council.headers
        )
        assert refused.status_code == 403

        # The webhook: the endpoint fails first, then the retry (5 s later) succeeds.
        with app.app_context():
            assert notify.deliver_due() == {"delivered": 0, "retrying": 1, "failed": 0}
            advance(2)
            assert notify.deliver_due() == {"delivered": 0, "retrying": 0, "failed": 0}
            advance(4)
            assert notify.deliver_due() == {"delivered": 1, "retrying": 0, "failed": 0}
        assert len(receiver.received) == 2
        hook = swh.Webhook(secret)
        for got in receiver.received:
            sent = hook.verify(got.body, got.headers)
            assert sent["type"] == "record.rectified"
            assert sent["data"] == {
                "id": police_item["id"],
                "notification_url": police_item["url"],
            }
            assert key not in got.body.decode()  # thin: no subject, no pseudonym
        assert (
            receiver.received[0].headers["webhook-id"] == receiver.received[1].headers["webhook-id"]
        )
        with pytest.raises(swh.WebhookVerificationError):
            hook.verify(
                receiver.received[1].body.replace(b"rectified", b"erased"),
                receiver.received[1].headers,
            )
        delivered = events(app, "notification.delivered")
        assert len(delivered) == 1 and delivered[0].details["attempts"] == 2
        with app.app_context(), db.read_only() as session:
            delivery = session.execute(select(WebhookDelivery)).scalar_one()
        assert delivery.status == "delivered" and delivery.attempts == 2

    # The analyst page's banner: on until the analyst runs the view again.
    banner = client.get(f"/api/v1/views/{PEOPLE_VIEW}", headers=council.headers).get_json()
    assert [c["id"] for c in banner["corrected_since_seen"]] == [council_item["id"]]
    query(client, council, PEOPLE_VIEW)
    after = client.get(f"/api/v1/views/{PEOPLE_VIEW}", headers=council.headers).get_json()
    assert after["corrected_since_seen"] == []

    # The correction is an s.62 alteration in the log: counts, never a value.
    (corrected,) = events(app, "dataset.corrected")
    assert corrected.details["s62"] == ["alteration"]
    assert corrected.details["counts"]["rectify"] == 1
    assert key not in json.dumps(corrected.details)

    # Thirty days on, both notices are overdue on the IG console; the police acknowledge
    # theirs, and it leaves the console.
    advance(31 * 24 * 3600)
    console = app.test_client()
    sign_in(console, app, partner=SCHOOL)
    page = console.get("/console/notifications")
    assert page.status_code == 200, page.text
    assert overdue_on(page.text) == {COUNCIL: 1, POLICE: 1}
    assert "sent to 2, 0 acknowledged" in page.text
    acked = client.post(
        f"{police_item['url']}/ack", json={"action": "rectified"}, headers=police.headers
    )
    assert acked.status_code == 200, acked.get_json()
    assert acked.get_json()["ack_action"] == "rectified"
    page = console.get("/console/notifications")
    assert overdue_on(page.text) == {COUNCIL: 1}
    assert "sent to 2, 1 acknowledged" in page.text
    (ack_event,) = events(app, "notification.acknowledged")
    assert ack_event.actor_partner == POLICE and ack_event.details["action"] == "rectified"


def overdue_on(html: str) -> dict[str, int]:
    """recipient -> overdue count, as the console's table shows it."""
    found = re.findall(
        r'data-recipient="([^"]+)">.*?data-testid="overdue">(\d+)<', html, flags=re.S
    )
    return {recipient: int(n) for recipient, n in found}
