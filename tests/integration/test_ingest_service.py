"""The ingest use cases: the same file twice, Idempotency-Key, replace, withdraw, who may read
and list uploads. Service level, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from hub.errors import Conflict, Forbidden, NotFound, ValidationFailed
from hub.ingest import (
    UploadNotFound,
    get_upload,
    list_uploads,
    withdraw_upload,
)
from hub.ingest.parse_errors import ParseError

from .ingest_support import (
    HOTSPOTS,
    POLICE,
    STREET,
    events,
    officer,
    police_variant,
    process,
    staged_rows,
    submit,
    upload_of,
    uploader,
    visible_rows,
    wait_all,
)


def test_the_same_file_twice_returns_the_first_upload(app, engine):
    data, _ = police_variant(40)
    identity = uploader(POLICE)
    first, created = submit(app, identity, HOTSPOTS, STREET, data)
    assert created
    again, created_again = submit(app, uploader(POLICE), HOTSPOTS, STREET, data)
    assert (again.id, created_again) == (first.id, False)
    wait_all(app)
    third, created_third = submit(app, identity, HOTSPOTS, STREET, data)
    assert (third.id, created_third) == (first.id, False)
    assert upload_of(app, first.id).status == "published"
    assert len(visible_rows(engine, HOTSPOTS, STREET)) == 40
    # Nothing left behind in the spool by the copies that were not needed.
    spool_dir = app.extensions["hub.settings"].effective_spool_dir
    assert list(spool_dir.glob("*")) == []


def test_the_same_file_after_a_withdrawal_is_a_new_upload(app, engine):
    data, _ = police_variant(20)
    identity = uploader(POLICE)
    first = process(app, identity, HOTSPOTS, STREET, data)
    with app.app_context():
        withdraw_upload(identity=identity, upload_id=first.id)
    second = process(app, identity, HOTSPOTS, STREET, data)
    assert second.id != first.id and second.status == "published"
    assert len(visible_rows(engine, HOTSPOTS, STREET)) == 20


def test_an_idempotency_key_returns_the_upload_it_made(app):
    identity = uploader(POLICE)
    data, _ = police_variant(10, seed=5)
    first, _ = submit(app, identity, HOTSPOTS, STREET, data, idempotency_key="k-1")
    again, created = submit(app, identity, HOTSPOTS, STREET, data, idempotency_key="k-1")
    assert (again.id, created) == (first.id, False)
    other, _ = police_variant(10, seed=6)
    with pytest.raises(Conflict) as raised:
        submit(app, identity, HOTSPOTS, STREET, other, idempotency_key="k-1")
    assert raised.value.code == "idempotency_key_reused"
    wait_all(app)


def test_only_the_provider_may_upload(app):
    council = uploader("northshire-council")
    with pytest.raises(Forbidden):
        submit(app, council, HOTSPOTS, STREET, police_variant(5)[0])
    spool_dir = app.extensions["hub.settings"].effective_spool_dir
    assert list(spool_dir.glob("*")) == []


def test_an_unsupported_media_type_is_refused_at_once(app):
    with pytest.raises(ParseError) as raised:
        submit(app, uploader(POLICE), HOTSPOTS, STREET, b"%PDF-1.4", media_type="application/pdf")
    assert raised.value.code == "unsupported_media_type"


def test_replace_swaps_the_rows_in_one_go(app, engine):
    identity = uploader(POLICE)
    old_bytes, old_ids = police_variant(30, seed=11)
    old = process(app, identity, HOTSPOTS, STREET, old_bytes)
    # The new file corrects the old one: same Crime IDs, which must not count as duplicates.
    new_bytes = old_bytes.replace(b"Under investigation", b"Local resolution")
    new = process(app, identity, HOTSPOTS, STREET, new_bytes, replaces=old.id)

    assert new.status == "published", new.cause
    assert new.report["row_failures"] == []
    old = upload_of(app, old.id)
    assert (old.status, old.replaced_by) == ("replaced", new.id)
    rows = visible_rows(engine, HOTSPOTS, STREET)
    assert {r["_upload_id"] for r in rows} == {new.id}
    assert sorted(r["crime_id"] for r in rows) == sorted(old_ids)
    assert staged_rows(engine, HOTSPOTS, STREET, old.id) == 0
    assert [e.details["replaces"] for e in events(app, "upload.published")] == [None, old.id]


def test_replaces_must_name_a_published_upload_of_the_same_dataset(app):
    identity = uploader(POLICE)
    first = process(app, identity, HOTSPOTS, STREET, police_variant(5, seed=1)[0])
    with app.app_context():
        withdraw_upload(identity=identity, upload_id=first.id)
    with pytest.raises(Conflict):
        submit(app, identity, HOTSPOTS, STREET, police_variant(5, seed=2)[0], replaces=first.id)
    with pytest.raises(ValidationFailed):
        submit(
            app,
            identity,
            HOTSPOTS,
            STREET,
            police_variant(5, seed=3)[0],
            replaces="00000000-0000-0000-0000-000000000000",
        )


def test_withdraw_deletes_the_rows_and_is_audited(app, engine):
    identity = uploader(POLICE)
    upload = process(app, identity, HOTSPOTS, STREET, police_variant(25)[0])
    assert len(visible_rows(engine, HOTSPOTS, STREET)) == 25

    with app.app_context():
        withdrawn = withdraw_upload(identity=identity, upload_id=upload.id)
        again = withdraw_upload(identity=identity, upload_id=upload.id)
    assert withdrawn.status == again.status == "withdrawn"
    assert staged_rows(engine, HOTSPOTS, STREET) == 0
    (event,) = events(app, "upload.withdrawn")
    assert event.details["upload_id"] == upload.id
    assert event.details["rows_deleted"] == 25
    assert event.details["sha256"] == upload.sha256
    assert event.actor_client == identity.client_id


def test_only_the_sender_withdraws(app):
    upload = process(app, uploader(POLICE), HOTSPOTS, STREET, police_variant(5)[0])
    with app.app_context():
        with pytest.raises(Forbidden):
            withdraw_upload(identity=officer(POLICE), upload_id=upload.id)
        with pytest.raises(NotFound):
            withdraw_upload(identity=uploader("northshire-council"), upload_id=upload.id)
    assert upload_of(app, upload.id).status == "published"


def test_who_may_read_an_upload(app):
    upload = process(app, uploader(POLICE), HOTSPOTS, STREET, police_variant(5)[0])
    with app.app_context():
        assert get_upload(identity=uploader(POLICE), upload_id=upload.id).id == upload.id
        assert get_upload(identity=officer("northshire-council"), upload_id=upload.id)
        # Not a party's IG officer, another provider's uploader, an unknown id: all 404.
        for identity in (officer("westshire-council"), uploader("northshire-council")):
            with pytest.raises(UploadNotFound):
                get_upload(identity=identity, upload_id=upload.id)
        with pytest.raises(NotFound):
            get_upload(identity=uploader(POLICE), upload_id="not-an-id")


def test_list_uploads_pages_through_what_the_caller_may_see(app):
    police = uploader(POLICE)
    made = [
        process(app, police, HOTSPOTS, STREET, police_variant(3, seed=seed)[0]).id
        for seed in range(5)
    ]
    with app.app_context():
        page, cursor = list_uploads(identity=police, limit=2)
        seen = [u.id for u in page]
        while cursor:
            page, cursor = list_uploads(identity=police, limit=2, cursor=cursor)
            seen += [u.id for u in page]
        assert seen == list(reversed(made))
        mine, _ = list_uploads(identity=police, agreement_id=HOTSPOTS, status="published")
        assert len(mine) == 5
        council, _ = list_uploads(identity=uploader("northshire-council"))
        assert council == []
        ig, _ = list_uploads(identity=officer("northshire-council"), dataset=STREET)
        assert len(ig) == 5
        with pytest.raises(Forbidden):
            list_uploads(identity=officer("westshire-council"), agreement_id=HOTSPOTS)
