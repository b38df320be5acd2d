"""sync_to_database: partners and agreement versions in the database, idempotent, on SQLite
and PostgreSQL. The `app` fixture has already synced the shipped policies once."""

import dataclasses

import pytest
from sqlmodel import select

from hub import db
from hub.agreements import current_policies, sync_to_database
from hub.agreements.model import AgreementFile
from hub.db.models import AgreementRecord, Partner


def rows(app):
    with app.app_context(), db.read_only() as session:
        partners = {p.id: (p.name, p.kind) for p in session.exec(select(Partner))}
        records = [
            (r.agreement_id, r.content_hash, r.status, r.title, r.document)
            for r in session.exec(select(AgreementRecord).order_by(AgreementRecord.id))
        ]
    return partners, records


@pytest.mark.agreements_proposed  # as loaded: no party has approved them yet
def test_the_shipped_policies_are_in_the_database(app):
    partners, records = rows(app)
    assert partners["northshire-police"] == ("Northshire Police", "police")
    assert partners["riverside-academy"] == ("Riverside Academy", "school")
    with app.app_context():
        policies = current_policies()
    assert {r[0] for r in records} == set(policies.agreements)
    for agreement_id, content_hash, status, title, document in records:
        assert status == "proposed"
        assert content_hash == policies.files[agreement_id].sha256
        assert title == policies.agreements[agreement_id].title
        assert document == policies.agreements[agreement_id].model_dump(mode="json")


def test_syncing_again_changes_nothing(app):
    before = rows(app)
    with app.app_context():
        result = sync_to_database()
    assert (result.partners_added, result.partners_updated, result.agreement_versions_added) == (
        0,
        0,
        0,
    )
    assert rows(app) == before


def test_a_renamed_partner_is_updated_and_a_changed_file_is_a_new_version(app):
    with app.app_context():
        policies = current_policies()
        police = policies.partners["northshire-police"].model_copy(
            update={"name": "Northshire Constabulary"}
        )
        hotspots = policies.files["crime-asb-hotspots"]
        changed = dataclasses.replace(
            policies,
            partners={**policies.partners, "northshire-police": police},
            files={**policies.files, "crime-asb-hotspots": AgreementFile(hotspots.path, "f" * 64)},
        )
        result = sync_to_database(policies=changed)
        again = sync_to_database(policies=changed)
    assert (result.partners_updated, result.agreement_versions_added) == (1, 1)
    assert (again.partners_updated, again.agreement_versions_added) == (0, 0)
    partners, records = rows(app)
    assert partners["northshire-police"] == ("Northshire Constabulary", "police")
    versions = [r[1] for r in records if r[0] == "crime-asb-hotspots"]
    assert versions == [hotspots.sha256, "f" * 64]


def test_partners_made_elsewhere_are_kept(app):
    with app.app_context(), db.unit_of_work() as session:
        session.add(Partner(id="test-partner-kept", name="Made by a test", kind="other"))
    with app.app_context():
        sync_to_database()
    partners, _ = rows(app)
    assert partners["test-partner-kept"] == ("Made by a test", "other")
