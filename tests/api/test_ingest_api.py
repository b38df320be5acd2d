"""Issue 3, done when, through HTTP: a partner sends a file and follows it to its end.

Bad files end `rejected` with a report that names rows, columns and checks (never a value);
bad requests are refused with problem+json; nothing answers 500; every refusal is audited.
"""

from __future__ import annotations

import io
import json
import threading

import pytest

from hub import db
from hub.app import create_app
from tests.conftest import make_settings
from tests.helpers import bearer, token_for
from tests.helpers_ingest import (
    CRIME,
    EARLY,
    POLICE_ROWS,
    STREET,
    csv_bytes,
    events,
    police_csv,
    police_lines,
    send,
    send_and_wait,
    uploads_url,
    wait_for_upload,
    with_ingest,
)

PROBLEM = "application/problem+json"


@pytest.fixture
def app(app):
    return with_ingest(app)


@pytest.fixture
def police(client, app) -> str:
    return token_for(client, app, partner="northshire-police", roles=["uploader"])


def assert_problem(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body = response.get_json()
    if code:
        assert body["code"] == code, body
    return body


def rejected_because(upload: dict) -> str:
    """Everything the answer says about why, as one lower-case text to search."""
    return json.dumps(
        {k: upload.get(k) for k in ("error", "row_failures", "failure_summary", "expectations")}
    ).lower()


# -- the good path -----------------------------------------------------------------------------


def test_a_month_of_street_crime_is_published(client, app, police):
    data = police_csv()
    response = send(client, police, data)

    assert response.status_code == 202, response.get_json()
    body = response.get_json()
    assert response.headers["Location"] == f"/api/v1/uploads/{body['id']}"
    assert body["status"] in ("received", "processing")
    assert (body["agreement_id"], body["dataset"], body["partner_id"]) == (
        CRIME,
        STREET,
        "northshire-police",
    )
    assert body["size_bytes"] == len(data)

    done = wait_for_upload(client, police, body["id"])
    assert done["status"] == "published", done
    assert done["counts"]["read"] == POLICE_ROWS
    assert done["counts"]["accepted"] + done["counts"]["rejected"] == POLICE_ROWS
    assert done["expectations"], "the dataset checks and their outcomes are listed"
    assert all(e["outcome"] in ("passed", "failed", "not_run") for e in done["expectations"])
    assert done["done"] is True

    [event] = [e for e in events(app, action="dataset.upload") if e.outcome == "allowed"]
    assert event.resource == f"dataset:{CRIME}/{STREET}"
    assert event.details["upload_id"] == body["id"]
    assert event.details["sha256"] == body["sha256"]
    assert event.details["size_bytes"] == len(data)


def test_the_same_file_twice_is_the_same_upload(client, app, police):
    data = police_csv(40)
    first = send(client, police, data)
    assert first.status_code == 202
    upload_id = first.get_json()["id"]
    wait_for_upload(client, police, upload_id)

    again = send(client, police, data)

    assert again.status_code == 200, again.get_json()
    assert again.get_json()["id"] == upload_id
    assert again.headers["Location"] == first.headers["Location"]
    listed = client.get(
        "/api/v1/uploads", query_string={"dataset": STREET}, headers=bearer(police)
    ).get_json()
    assert [u["id"] for u in listed["items"]] == [upload_id]  # published once


def test_an_idempotency_key_is_honoured(client, app, police):
    key = {"Idempotency-Key": "nightly-2026-02-28"}
    first = send(client, police, police_csv(10), headers=key)
    assert first.status_code == 202
    retry = send(client, police, police_csv(10), headers=key)
    assert retry.status_code == 200
    assert retry.get_json()["id"] == first.get_json()["id"]

    other_bytes = send(client, police, police_csv(10, start=10), headers=key)
    # One key names one upload: other bytes under it are a mistake, not a second upload.
    body = assert_problem(other_bytes, 409, "idempotency_key_reused")
    assert body["upload_id"] == first.get_json()["id"]
    wait_for_upload(client, police, first.get_json()["id"])


def test_a_multipart_form_upload_works(client, app, police):
    data = police_csv(25)
    response = client.post(
        uploads_url(),
        data={"file": (io.BytesIO(data), "street.csv", "text/csv")},
        headers=bearer(police),
        content_type="multipart/form-data",
    )
    assert response.status_code == 202, response.get_json()
    assert response.get_json()["size_bytes"] == len(data)
    done = wait_for_upload(client, police, response.get_json()["id"])
    assert done["status"] == "published", done
    assert done["counts"]["read"] == 25


def test_a_multipart_part_without_a_useful_type_is_told_by_its_bytes(client, app, police):
    response = client.post(
        uploads_url(),
        data={"file": (io.BytesIO(police_csv(5)), "street.csv", "application/octet-stream")},
        headers=bearer(police),
        content_type="multipart/form-data",
    )
    assert response.status_code == 202, response.get_json()
    assert response.get_json()["media_type"] == "text/csv"
    wait_for_upload(client, police, response.get_json()["id"])


def test_a_multipart_form_without_a_file_is_refused(client, app, police):
    response = client.post(
        uploads_url(),
        data={"replaces": "x"},
        headers=bearer(police),
        content_type="multipart/form-data",
    )
    assert_problem(response, 400, "missing_file")


def test_concurrent_uploads_each_get_their_own_upload(client, app, police):
    results: dict[int, tuple[int, dict]] = {}

    def upload(n: int) -> None:
        own = app.test_client()  # one client per thread, as separate senders would be
        r = send(own, police, police_csv(20, start=20 * n))
        results[n] = (r.status_code, r.get_json())

    threads = [threading.Thread(target=upload, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    assert sorted(status for status, _ in results.values()) == [202] * 4, results
    ids = {body["id"] for _, body in results.values()}
    assert len(ids) == 4
    for upload_id in ids:
        assert wait_for_upload(client, police, upload_id)["status"] == "published"


# -- files that cannot be published -----------------------------------------------------------


def _lines_with(change) -> bytes:
    lines = police_lines()[:6]
    change(lines)
    return ("\n".join(lines) + "\n").encode("utf-8")


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        (
            "unbalanced quotes",
            _lines_with(lambda ls: ls.__setitem__(3, ls[3].replace("On or near", '"On or near'))),
            "quote",
        ),
        ("a ragged row", _lines_with(lambda ls: ls.__setitem__(2, ls[2] + ",extra")), "ragged"),
        ("a wrong encoding", police_csv(5).decode().encode("utf-16"), "encoding"),
        (
            "missing and extra columns",
            _lines_with(
                lambda ls: ls.__setitem__(
                    slice(None), [line.replace("Month,", "Officer notes,", 1) for line in ls]
                )
            ),
            "month",
        ),
        ("a header only", police_csv(0), "row"),
    ],
)
def test_a_file_that_cannot_be_read_is_rejected_with_a_reason(
    client, app, police, name, data, expected
):
    response = send(client, police, data)
    assert response.status_code in (202, 422), response.get_json()
    if response.status_code == 422:  # refused before an upload exists
        assert expected in response.get_json()["detail"].lower()
        return
    done = wait_for_upload(client, police, response.get_json()["id"])
    assert done["status"] == "rejected", done
    assert expected in rejected_because(done), done


def test_an_empty_file_is_refused(client, app, police):
    assert_problem(send(client, police, b""), 400, "empty_file")


def test_duplicate_keys_in_one_file_reject_it(client, app, police):
    lines = police_lines()[:11]
    data = ("\n".join([*lines, lines[3]]) + "\n").encode()  # row 4 again, same Crime ID
    done = send_and_wait(client, police, data)
    assert done["status"] == "rejected", done
    assert any(
        e["column"] == "Crime ID" and e["outcome"] == "failed" for e in done["expectations"]
    ) or "crime id" in rejected_because(done)


def test_duplicate_keys_across_uploads(client, app, police):
    first = send_and_wait(client, police, police_csv(10))
    assert first["status"] == "published"
    # Rows 5..14: five Crime IDs the first upload already published.
    second = send_and_wait(client, police, police_csv(10, start=5))
    assert second["status"] == "rejected", second
    assert "crime id" in rejected_because(second)


def test_invalid_identifiers_are_reported_without_their_values(client, app):
    school = token_for(client, app, partner="riverside-academy", roles=["uploader"])
    template = client.get(
        "/api/v1/contracts/school-attendance/template.csv", headers=bearer(school)
    )
    assert template.status_code == 200
    lines = template.get_data(as_text=True).splitlines()
    header = lines[0].split(",")
    rows = [line.split(",") for line in lines[1:]]
    upn = header.index("upn")
    good = rows[1][upn]
    bad = ("A" if good[0] != "A" else "B") + good[1:]  # the wrong check letter
    rows[1][upn] = bad

    done = send_and_wait(
        client, school, csv_bytes(header, rows), agreement=EARLY, dataset="school-attendance"
    )

    assert done["status"] == "rejected", done
    failure = next(f for f in done["row_failures"] if f["column"] == "upn")
    assert failure["row"] == 3  # the header is row 1
    assert bad not in json.dumps(done)
    for event in events(app):
        assert bad not in event.leaf.decode()


# -- refusals --------------------------------------------------------------------------------


def test_a_wrong_token_is_refused(client, app):
    response = send(client, "not-a-token", police_csv(3))
    assert_problem(response, 401, "unauthenticated")
    no_token = client.post(uploads_url(), data=police_csv(3), content_type="text/csv")
    assert_problem(no_token, 401)
    denied = [e for e in events(app, action="dataset.upload") if e.outcome == "denied"]
    assert len(denied) == 2


@pytest.mark.parametrize(
    ("partner", "roles", "agreement", "dataset"),
    [
        ("northshire-council", ["uploader"], CRIME, STREET),  # another partner's dataset
        ("hillcrest-high-school", ["uploader"], CRIME, STREET),  # not a party
        ("northshire-hospitals", ["uploader"], EARLY, "police-contacts"),  # not the provider
        ("northshire-police", ["analyst"], CRIME, STREET),  # an analyst
        ("northshire-police", ["ig_officer"], CRIME, STREET),
    ],
)
def test_only_the_provider_s_uploaders_may_upload(client, app, partner, roles, agreement, dataset):
    token = token_for(client, app, partner=partner, roles=roles)
    response = send(client, token, police_csv(3), agreement=agreement, dataset=dataset)

    body = assert_problem(response, 403, "forbidden")
    assert body["detail"]
    [event] = [e for e in events(app, action="dataset.upload") if e.outcome == "denied"]
    assert event.actor_partner == partner
    assert event.resource == f"dataset:{agreement}/{dataset}"
    assert event.details["http"]["status"] == 403


def test_an_unsupported_media_type_is_refused(client, app, police):
    for media_type in ("application/json", "text/plain", "image/png"):
        body = assert_problem(send(client, police, police_csv(3), media_type=media_type), 415)
        assert "text/csv" in body["accepted"]
        assert "application/x-ndjson" in body["accepted"]
        assert "application/vnd.apache.parquet" in body["accepted"]
    missing = client.post(uploads_url(), data=police_csv(3), headers=bearer(police))
    assert_problem(missing, 415)


def test_parquet_declared_for_a_csv_file_is_refused(client, app, police):
    response = send(client, police, police_csv(3), media_type="application/vnd.apache.parquet")
    assert_problem(response, 422, "not_parquet")


# -- size limits -------------------------------------------------------------------------------


@pytest.fixture
def small_app(tmp_path, database_url, test_keys):
    from hub.agreements import sync_to_database
    from tests.helpers import approve_every_agreement

    settings = make_settings(tmp_path / "small", database_url, test_keys, max_upload_bytes=2_000)
    app = with_ingest(create_app(settings))
    with app.app_context():
        sync_to_database()
    approve_every_agreement(app)
    yield app
    db.get_engine(app).dispose()


def test_an_oversized_body_is_refused_with_413(small_app):
    client = small_app.test_client()
    token = token_for(client, small_app, partner="northshire-police", roles=["uploader"])
    data = police_csv(30)
    assert len(data) > 2_000

    declared = send(client, token, data)  # Content-Length says it: refused unread
    body = assert_problem(declared, 413, "payload_too_large")
    assert body["max_bytes"] == 2_000

    # No Content-Length (a chunked body): refused once the limit is passed while reading.
    chunked = client.post(
        uploads_url(),
        input_stream=io.BytesIO(data),
        headers={**bearer(token), "Content-Type": "text/csv"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert_problem(chunked, 413, "payload_too_large")

    for body in (data, data * 40):  # the part over the limit; the whole form far over it
        form = client.post(
            uploads_url(),
            data={"file": (io.BytesIO(body), "street.csv", "text/csv")},
            headers=bearer(token),
            content_type="multipart/form-data",
        )
        assert_problem(form, 413, "payload_too_large")
    spool = small_app.extensions["hub.settings"].effective_spool_dir
    assert not spool.exists() or list(spool.iterdir()) == []  # nothing left behind

    fits = send(client, token, police_csv(3))
    assert fits.status_code == 202, fits.get_json()
    wait_for_upload(client, token, fits.get_json()["id"])


# -- following, listing, withdrawing, replacing ---------------------------------------------


def test_uploads_are_listed_for_the_caller_s_partner_with_paging(client, app, police):
    ids = [send(client, police, police_csv(5, start=5 * n)).get_json()["id"] for n in range(3)]
    for upload_id in ids:
        wait_for_upload(client, police, upload_id)
    council = token_for(client, app, partner="northshire-council", roles=["uploader"])

    seen, cursor = [], None
    while True:
        query = {"limit": 2, "dataset": STREET, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/uploads", query_string=query, headers=bearer(police))
        assert page.status_code == 200, page.get_json()
        seen += [item["id"] for item in page.get_json()["items"]]
        cursor = page.get_json()["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(ids)

    theirs = client.get("/api/v1/uploads", headers=bearer(council)).get_json()
    assert theirs["items"] == []
    published = client.get(
        "/api/v1/uploads", query_string={"status": "published"}, headers=bearer(police)
    ).get_json()
    assert {u["id"] for u in published["items"]} == set(ids)
    assert (
        client.get(
            "/api/v1/uploads", query_string={"status": "nonsense"}, headers=bearer(police)
        ).status_code
        == 400
    )


def test_another_partner_cannot_read_an_upload(client, app, police):
    upload_id = send(client, police, police_csv(3)).get_json()["id"]
    wait_for_upload(client, police, upload_id)
    council = token_for(client, app, partner="northshire-council", roles=["uploader"])
    response = client.get(f"/api/v1/uploads/{upload_id}", headers=bearer(council))
    assert response.status_code in (403, 404)
    unknown = client.get("/api/v1/uploads/no-such-upload", headers=bearer(police))
    assert_problem(unknown, 404)


def test_the_provider_withdraws_an_upload(client, app, police):
    upload_id = send_and_wait(client, police, police_csv(8))["id"]
    analyst = token_for(client, app, partner="northshire-police", roles=["analyst"])
    council = token_for(client, app, partner="northshire-council", roles=["uploader"])

    assert client.delete(f"/api/v1/uploads/{upload_id}", headers=bearer(analyst)).status_code in (
        403,
        404,
    )
    assert client.delete(f"/api/v1/uploads/{upload_id}", headers=bearer(council)).status_code in (
        403,
        404,
    )
    response = client.delete(f"/api/v1/uploads/{upload_id}", headers=bearer(police))

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "withdrawn"
    after = client.get(f"/api/v1/uploads/{upload_id}", headers=bearer(police)).get_json()
    assert after["status"] == "withdrawn"
    [event] = [
        e
        for e in events(app, action="upload.withdraw")
        if e.resource == f"upload:{upload_id}" and e.outcome == "allowed"
    ]
    assert event.details["http"]["method"] == "DELETE"
    assert [e.outcome for e in events(app, action="upload.withdraw")].count("denied") == 2


def test_an_upload_replaces_an_earlier_one(client, app, police):
    first = send_and_wait(client, police, police_csv(10))
    assert first["status"] == "published"

    second = send_and_wait(client, police, police_csv(12), query={"replaces": first["id"]})

    assert second["status"] == "published", second
    assert second["replaces"] == first["id"]
    earlier = client.get(f"/api/v1/uploads/{first['id']}", headers=bearer(police)).get_json()
    assert earlier["status"] == "replaced"


def test_replaces_as_a_form_field(client, app, police):
    first = send_and_wait(client, police, police_csv(4))
    response = client.post(
        uploads_url(),
        data={"file": (io.BytesIO(police_csv(6)), "street.csv"), "replaces": first["id"]},
        headers=bearer(police),
        content_type="multipart/form-data",
    )
    assert response.status_code == 202, response.get_json()
    assert response.get_json()["replaces"] == first["id"]
    wait_for_upload(client, police, response.get_json()["id"])


def test_replacing_an_unknown_upload_is_refused(client, app, police):
    response = send(client, police, police_csv(3), query={"replaces": "no-such-upload"})
    assert response.status_code in (404, 409, 422), response.get_json()
    assert response.mimetype == PROBLEM


def test_an_uploader_filtering_by_a_dataset_it_does_not_provide_is_told_so(client, app, police):
    """Issue 11 item 16: not 'needs the uploader role; this client holds uploader'."""
    response = client.get(
        "/api/v1/uploads",
        query_string={"agreement": "crime-asb-hotspots", "dataset": "council-asb-reports"},
        headers=bearer(police),
    )
    problem = assert_problem(response, 403)
    assert problem["rule"] == "not-the-provider"
    assert "this client holds" not in problem["detail"]
    assert "`police-street-crime`" in problem["detail"]
    assert "not `council-asb-reports`" in problem["detail"]
