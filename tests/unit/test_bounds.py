"""Issue 11, item 4: the bounds that need no server. JSON nesting is measured without
parsing (brackets inside strings do not count); an audit event's details never exceed
MAX_DETAILS_BYTES, and what is left out is named with its hash."""

from __future__ import annotations

import hashlib
import json

from hub.api.body_limits import MAX_JSON_DEPTH, json_depth
from hub.audit import MAX_DETAILS_BYTES, NewEvent
from hub.audit.events import canonical_json


def test_json_depth_counts_arrays_and_objects_outside_strings():
    assert json_depth(b'{"a": [1, {"b": []}]}') == 4
    assert json_depth('{"a": "[[[[{{{{", "b": "\\"[[["}') == 1
    assert json_depth(b"[" * 5000 + b"]" * 5000) > MAX_JSON_DEPTH
    assert json_depth(b"") == 0


def test_small_details_are_kept_as_they_are():
    event = NewEvent(action="a", resource="r", outcome="allowed", details={"rows": 3})
    assert event.details == {"rows": 3}


def test_large_details_are_cut_to_the_bound_and_name_what_was_left_out():
    filters = [{"column": "month", "op": "in", "value": ["x" * 100] * 100}] * 20
    details = {"justification": "j" * 2000, "filters": filters, "rows": 0}
    event = NewEvent(action="view.query", resource="view:v", outcome="allowed", details=details)
    assert len(canonical_json(event.details)) <= MAX_DETAILS_BYTES
    assert event.details["justification"] == "j" * 2000
    assert event.details["rows"] == 0
    assert event.details["omitted_count"] == 1
    omitted = event.details["omitted"]["filters"]
    assert omitted["sha256"] == hashlib.sha256(canonical_json(filters)).hexdigest()
    assert omitted["bytes"] == len(canonical_json(filters))


def test_the_bound_holds_for_many_large_entries_with_long_keys():
    details = {("k" * 500) + str(i): "v" * 5000 for i in range(200)}
    event = NewEvent(action="a", resource="r", outcome="failed", details=details)
    assert len(json.dumps(event.details, separators=(",", ":")).encode()) <= MAX_DETAILS_BYTES
    assert event.details["omitted_count"] == 200 - sum(
        1 for k in event.details if k.startswith("k")
    )
