"""The s.62 report page and its CSV, over the audit log, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from hub import clock
from tests.integration.governance_support import add_event, sign_in
from tests.integration.ingest_support import events

EARLY = "early-intervention-young-people"
COHORT = "early-intervention-cohort"
HOTSPOTS = "crime-asb-hotspots"


def _query(app, *, view, partner, justification, case_reference=None, outcome="allowed", **kw):
    return add_event(
        app,
        action="view.query",
        outcome=outcome,
        client=f"analyst-{partner}",
        partner=partner,
        roles=("analyst",),
        resource=f"view:{view}",
        details={
            "view": view,
            "purpose": "safeguarding-early-help" if view == COHORT else "patrol-planning",
            "justification": justification,
            "case_reference": case_reference,
            "rows": 7,
            "result_sha256": "0" * 64,
        },
        **kw,
    )


def _log(app) -> dict[str, int]:
    """A log with what the report must list, and what it must leave out."""
    old = clock.now() - timedelta(days=60)
    return {
        "old": _query(
            app, view=COHORT, partner="northshire-council", justification="Old", time=old
        ),
        "cohort": _query(
            app,
            view=COHORT,
            partner="northshire-council",
            justification='=HYPERLINK("http://evil")  panel review',
            case_reference="EH-42",
            request_id="req-cohort",
        ),
        "hotspots": _query(
            app, view=HOTSPOTS, partner="northshire-police", justification="Patrol plan"
        ),
        "refused": _query(
            app,
            view=COHORT,
            partner="northshire-police",
            justification="Not allowed",
            outcome="denied",
        ),
        "gone": _query(
            app, view="a-view-no-longer-here", partner="northshire-council", justification="Gone"
        ),
        "upload": add_event(
            app,
            action="upload.published",
            client="uploader-riverside",
            partner="riverside-academy",
            roles=("uploader",),
            resource="upload:u-1",
            details={
                "upload_id": "u-1",
                "agreement": EARLY,
                "dataset": "school-exclusions",
                "sha256": "1" * 64,
                "counts": {"read": 120, "accepted": 118, "rejected": 2},
            },
        ),
    }


def test_the_report_lists_consultations_and_disclosures_of_the_officers_agreements(app, client):
    indexes = _log(app)
    sign_in(client, app, partner="riverside-academy")  # party to early intervention only

    page = client.get("/console/report")
    assert page.status_code == 200, page.text
    html = page.text
    listed = {int(i) for i in _audit_links(html)}
    assert listed == {indexes["cohort"], indexes["upload"]}
    assert "EH-42" in html and "panel review" in html
    assert "northshire-council" in html  # the analyst's partner, the query's recipient
    # The upload: a disclosure from the school to the agreement's recipients of the dataset.
    assert "disclosure" in html and "school-exclusions" in html
    assert "UK GDPR Art. 6(1)(e)" in html

    (event,) = [e for e in events(app, "report.s62") if e.details.get("format") == "html"]
    today = clock.today()
    assert event.outcome == "allowed"
    assert event.details["to"] == today.isoformat()
    assert event.details["from"] == (today - timedelta(days=29)).isoformat()
    assert event.details["entries"] == 2


def test_a_party_to_both_agreements_sees_both_and_the_csv_is_escaped(app, client):
    indexes = _log(app)
    sign_in(client, app, partner="northshire-council")
    today = clock.today().isoformat()
    first = (clock.today() - timedelta(days=90)).isoformat()

    page = client.get(f"/console/report?from={first}&to={today}")
    listed = {int(i) for i in _audit_links(page.text)}
    assert listed == {indexes[k] for k in ("old", "cohort", "hotspots", "upload")}

    answer = client.get(f"/console/report.csv?from={first}&to={today}")
    assert answer.status_code == 200
    assert answer.mimetype == "text/csv"
    assert "attachment" in answer.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True))))
    by_index = {int(r["audit_index"]): r for r in rows}
    assert set(by_index) == listed
    cohort = by_index[indexes["cohort"]]
    assert cohort["justification"].startswith("'=HYPERLINK")  # never a live formula
    assert cohort["case_reference"] == "EH-42"
    assert cohort["category"] == "consultation and disclosure"
    assert cohort["recipients"] == "northshire-council"
    assert cohort["request_id"] == "req-cohort"
    assert cohort["rows"] == "7"
    upload = by_index[indexes["upload"]]
    assert upload["category"] == "disclosure"
    assert upload["partner"] == "riverside-academy"
    assert upload["recipients"] == "northshire-council northshire-police"
    assert upload["rows"] == "118"
    assert upload["purpose"] == "safeguarding-early-help"

    (event,) = [e for e in events(app, "report.s62") if e.details.get("format") == "csv"]
    assert event.details["entries"] == 4
    assert event.details["from"] == first


def test_a_bad_period_is_explained_and_an_outsider_is_refused(app, client):
    sign_in(client, app, partner="northshire-council")
    wrong = client.get("/console/report?from=2026-02-30")
    assert wrong.status_code == 400
    assert "YYYY-MM-DD" in wrong.text
    backwards = client.get("/console/report?from=2026-03-01&to=2026-02-01")
    assert backwards.status_code == 400
    assert "starts after it ends" in backwards.text
    assert client.get("/console/report.csv?from=nonsense").status_code == 400

    outsider = client.application.test_client()
    sign_in(outsider, app, partner="westshire-council")
    refused = outsider.get("/console/report", headers={"Accept": "text/html"})
    assert refused.status_code == 403
    assert refused.mimetype == "text/html"
    denied = [e for e in events(app, "report.s62") if e.outcome == "denied"]
    assert [e.actor_partner for e in denied] == ["westshire-council"]


def _audit_links(html: str) -> list[str]:
    import re

    return re.findall(r'href="/console/audit/(\d+)"', html)
