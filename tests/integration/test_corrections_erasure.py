"""Erasure is complete, restriction hides, withdrawal tells, and a bad corrections file changes
nothing and quotes no value (issue 17). On SQLite and PostgreSQL, through the HTTP API, with
data published through the real pipeline."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

from sqlalchemy import MetaData, select

from hub import clock, db, governance, notify
from hub.agreements import current_policies
from hub.db.models import Notification, WebhookEndpoint
from tests.helpers import bearer, token_for
from tests.integration.corrections_support import (  # noqa: F401 - fixtures
    COUNCIL,
    EARLY,
    HEADER,
    MONTHS_VIEW,
    PEOPLE_VIEW,
    POLICE,
    SCHOOL,
    Receiver,
    analyst,
    correct,
    corrections_body,
    feed_of,
    people,
    published,
    query,
    row_of,
    settings,
    stored_rows,
    upn_pseudonym,
)
from tests.integration.ingest_support import events, process, reading, to_csv, uploader


def database_text(app) -> str:
    """Every value of every table of the database, as text: what a dump would hold."""
    parts = []
    with reading(db.get_engine(app)) as connection:
        metadata = MetaData()
        metadata.reflect(connection)
        for table in metadata.sorted_tables:
            for row in connection.execute(select(table)):
                for value in row:
                    if isinstance(value, bytes | memoryview):
                        value = bytes(value).decode("utf-8", "replace")
                    parts.append(str(value))
    return "\n".join(parts)


def school(client, app):
    return bearer(token_for(client, app, partner=SCHOOL, roles=["uploader"]))


def notices(app) -> list[Notification]:
    with app.app_context(), db.read_only() as session:
        return list(session.execute(select(Notification).order_by(Notification.seq)).scalars())


def test_erasure_leaves_no_value_of_the_row_anywhere_and_tells_who_saw_it(
    app,
    client,
    published,  # noqa: F811 - the fixture
):
    feed, upload = published
    key = upn_pseudonym(app, feed.pupils[0].upn)
    council, police = analyst(client, app, COUNCIL), analyst(client, app, POLICE)
    shown = query(client, council, PEOPLE_VIEW)
    assert key in people(shown)
    query(client, police, MONTHS_VIEW)
    old = row_of(app, key)
    others = {v for r in stored_rows(app) if r["upn"] != key for v in r.values()}
    # The row's own values: its pseudonyms and keyed digests that no other row shares.
    values = {v for v in old.values() if isinstance(v, str) and len(v) >= 16} - others
    assert key in values and len(values) >= 4
    assert key in database_text(app)  # the disclosure record holds it before the erasure

    answer = correct(
        client,
        school(client, app),
        corrections_body([["erase", upload.id, str(old["_row"])] + [""] * len(HEADER)]),
        reason="Court order to erase the record.",
        legal_ground="uk-gdpr-art17",
    )
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["counts"]["erase"] == 1
    assert answer.get_json()["recipients"] == [COUNCIL, POLICE]

    dump = database_text(app)
    assert [v for v in values if v in dump] == []
    assert key not in people(query(client, council, PEOPLE_VIEW))

    # The council is told, by a token it can match against its copy, not by the pseudonym.
    (item,) = feed_of(client, council)
    assert item["type"] == "record.erased"
    (subject,) = client.get(item["url"], headers=council.headers).get_json()["subjects"]
    assert subject["pseudonym"] is None
    token = hmac.new(item["id"].encode(), key.encode(), hashlib.sha256).hexdigest()
    assert subject["match_token"] == token
    assert subject["request_ids"] == [shown.headers["X-Request-Id"]]
    (police_item,) = feed_of(client, police)
    assert police_item["type"] == "aggregate.changed"
    # The log keeps that it happened, without values.
    (event,) = events(app, "dataset.corrected")
    assert event.details["s62"] == ["erasure"]
    assert not any(v in str(event.details) + event.reason for v in values)
    # And the s.62 report shows it as an erasure, with the recipients told.
    with app.app_context():
        entries = governance.s62_entries(
            partner=SCHOOL,
            since=clock.now() - timedelta(days=1),
            until=clock.now() + timedelta(days=1),
            policies=current_policies(),
            view_agreement=lambda view: EARLY,
        )
    (entry,) = [e for e in entries if e.category == "erasure"]
    assert entry.recipients == (COUNCIL, POLICE) and entry.lawful_basis == "uk-gdpr-art17"


def test_a_restricted_row_is_kept_but_shown_by_no_view(
    app,
    client,
    published,  # noqa: F811 - the fixture
):
    feed, upload = published
    key = upn_pseudonym(app, feed.pupils[1].upn)
    council = analyst(client, app, COUNCIL)
    assert key in people(query(client, council, PEOPLE_VIEW))
    row = row_of(app, key)["_row"]
    answer = correct(
        client,
        school(client, app),
        corrections_body([["restrict", upload.id, str(row)] + [""] * len(HEADER)]),
        reason="Accuracy contested by the family; kept while it is checked.",
        legal_ground="uk-gdpr-art18",
    )
    assert answer.status_code == 201, answer.get_json()
    assert key not in people(query(client, council, PEOPLE_VIEW))
    assert row_of(app, key)["_restricted_at"] is not None  # kept
    (item,) = feed_of(client, council)
    assert item["type"] == "record.restricted"
    assert [n.recipient_partner for n in notices(app)] == [COUNCIL]


def test_withdrawing_an_upload_tells_everyone_who_was_shown_its_rows(
    app,
    client,
    published,  # noqa: F811 - the fixture
):
    feed, upload = published
    council = analyst(client, app, COUNCIL)
    shown = people(query(client, council, PEOPLE_VIEW))
    assert len(shown) == len(feed.pupils)
    answer = client.delete(f"/api/v1/uploads/{upload.id}", headers=school(client, app))
    assert answer.status_code == 200, answer.get_json()
    (notice,) = notices(app)
    assert (notice.recipient_partner, notice.type) == (COUNCIL, "record.erased")
    assert notice.subject_count == len(shown)
    (event,) = events(app, "dataset.corrected")
    assert event.details["kind"] == "withdraw" and event.details["s62"] == ["erasure"]


def test_a_bad_corrections_file_changes_nothing_and_quotes_no_value(
    app,
    client,
    published,  # noqa: F811 - the fixture
):
    feed, upload = published
    key = upn_pseudonym(app, feed.pupils[2].upn)
    query(client, analyst(client, app, COUNCIL), PEOPLE_VIEW)
    row = row_of(app, key)["_row"]
    bad = list(feed.rows[2])
    bad[HEADER.index("upn")] = "Q99999999999"  # not a UPN (check letter)
    bad[HEADER.index("reason")] = "VA"
    uploader = school(client, app)
    answer = correct(
        client,
        uploader,
        corrections_body([["rectify", upload.id, str(row), *bad]]),
        reason="Wrong reason code.",
        legal_ground="uk-gdpr-art16",
    )
    assert answer.status_code == 422, answer.get_json()
    problems = answer.get_json()["problems"]
    assert {(p["line"], p["column"]) for p in problems} == {(2, "upn")}
    assert "Q99999999999" not in answer.text and feed.pupils[2].surname not in answer.text
    assert row_of(app, key)["reason"] == "VP"  # unchanged

    nhs = feed.pupils[2].nhs_number
    named = correct(
        client,
        uploader,
        corrections_body([["erase", upload.id, str(row)] + [""] * len(HEADER)]),
        reason=f"Pupil {nhs} left",
        legal_ground="uk-gdpr-art17",
    )
    assert named.status_code == 422 and named.get_json()["code"] == "reason_has_identifier"
    assert nhs not in named.text
    wrong_ground = correct(
        client,
        uploader,
        corrections_body([["erase", upload.id, str(row)] + [""] * len(HEADER)]),
        reason="Duplicate record.",
        legal_ground="uk-gdpr-art16",
    )
    assert wrong_ground.get_json()["code"] == "legal_ground_mismatch"
    not_provider = correct(
        client,
        bearer(token_for(client, app, partner=COUNCIL, roles=["uploader"])),
        corrections_body([["erase", upload.id, str(row)] + [""] * len(HEADER)]),
        reason="Duplicate record.",
        legal_ground="uk-gdpr-art17",
    )
    assert not_provider.status_code == 403
    assert notices(app) == [] and events(app, "dataset.corrected") == []
    refused = [e for e in events(app, "dataset.correct") if e.outcome != "allowed"]
    assert len(refused) == 4


def test_replacing_an_upload_tells_only_of_the_rows_that_changed(
    app,
    client,
    published,  # noqa: F811 - the fixture
):
    feed, upload = published
    council = analyst(client, app, COUNCIL)
    query(client, council, PEOPLE_VIEW)
    changed = list(feed.rows[3])
    changed[HEADER.index("reason")] = "BU"
    rows = [*feed.rows[:3], changed, *feed.rows[4:]]
    replacement = process(
        app,
        uploader(SCHOOL),
        EARLY,
        "school-exclusions",
        to_csv(HEADER, rows),
        replaces=upload.id,
    )
    assert replacement.status == "published", replacement.cause
    (notice,) = notices(app)
    assert (notice.recipient_partner, notice.type, notice.subject_count) == (
        COUNCIL,
        "record.rectified",
        1,
    )
    (event,) = events(app, "dataset.corrected")
    assert event.details["kind"] == "replace" and event.details["counts"] == {"replace": 1}


def test_a_410_disables_the_endpoint_and_private_targets_are_refused(
    app,
    client,
    published,  # noqa: F811 - the fixture
):
    feed, upload = published
    ig = bearer(token_for(client, app, partner=COUNCIL, roles=["ig_officer"]))
    for url in ("http://10.1.2.3/hook", "https://10.0.0.7/hook", "ftp://127.0.0.1/x"):
        refused = client.post("/api/v1/webhooks", json={"url": url}, headers=ig)
        assert refused.status_code == 400, (url, refused.get_json())
        assert refused.get_json()["code"] == "webhook_url_refused"
    assert (
        client.post(
            "/api/v1/webhooks",
            json={"url": "http://127.0.0.1:1/x"},
            headers=bearer(token_for(client, app, partner=COUNCIL, roles=["analyst"])),
        ).status_code
        == 403
    )
    with Receiver(answers=[410]) as receiver:
        made = client.post("/api/v1/webhooks", json={"url": receiver.url}, headers=ig)
        assert made.status_code == 201, made.get_json()
        council = analyst(client, app, COUNCIL)
        query(client, council, PEOPLE_VIEW)
        key = upn_pseudonym(app, feed.pupils[4].upn)
        row = row_of(app, key)["_row"]
        answer = correct(
            client,
            school(client, app),
            corrections_body([["restrict", upload.id, str(row)] + [""] * len(HEADER)]),
            reason="Accuracy contested.",
            legal_ground="uk-gdpr-art18",
        )
        assert answer.status_code == 201
        with app.app_context():
            assert notify.deliver_due()["failed"] == 1
        assert len(receiver.received) == 1
    with app.app_context(), db.read_only() as session:
        endpoint = session.execute(select(WebhookEndpoint)).scalar_one()
    assert endpoint.disabled_at is not None and "410" in endpoint.disabled_reason
    (failed,) = events(app, "notification.delivery_failed")
    assert failed.details["last_status"] == 410
