"""The field-by-field difference between two versions of an agreement."""

from __future__ import annotations

from hub.agreements import field_changes


def test_changes_are_named_by_where_they_sit_and_reordering_is_no_change():
    before = {
        "retention_days": 365,
        "parties": [{"partner": "a", "roles": ["provider"]}, {"partner": "b", "roles": ["x"]}],
        "datasets": [
            {
                "dataset": "d1",
                "provider": "a",
                "recipients": [{"partner": "b", "fields": ["f1", "f2"]}],
            }
        ],
    }
    after = {
        "retention_days": 180,
        "parties": [{"partner": "b", "roles": ["x"]}, {"partner": "a", "roles": ["provider"]}],
        "datasets": [
            {"dataset": "d1", "provider": "a", "recipients": [{"partner": "b", "fields": ["f1"]}]},
            {"dataset": "d2", "provider": "a", "recipients": [{"partner": "b", "fields": ["g"]}]},
        ],
    }
    changes = {(c.path, c.kind): (c.before, c.after) for c in field_changes(before, after)}
    assert changes == {
        ("retention_days", "changed"): (365, 180),
        ("datasets[d1].recipients[b].fields", "changed"): (["f1", "f2"], ["f1"]),
        ("datasets[d2]", "added"): (None, after["datasets"][1]),
    }
    assert field_changes(before, before) == []
