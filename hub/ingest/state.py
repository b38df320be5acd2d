"""What the ingest stage keeps per app: the keyring, the job runner, the recovery thread.
(The dataset tables are the store's: hub.store.dataset_tables.)"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app

from hub.pseudonymise import Keyring

EXTENSION = "hub.ingest"
_LOCK = threading.Lock()


@dataclass
class IngestState:
    keyring: Keyring
    runner: Any = None  # hub.ingest.jobs: made on first enqueue
    background: Any = None  # the recovery thread, once started
    redis: Any = None  # the Redis client, with HUB_REDIS_URL
    # Set when the process stops: uploads being processed hand their lease back at the next
    # chunk, so that stopping takes seconds and the next start processes them again.
    stopping: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # Called in the transaction that removes a published upload's rows (withdraw, replace),
    # before they go: hub.corrections tells the recipients (`on_rows_removed`).
    removal_listeners: list = field(default_factory=list)


def init_app(app: Flask, settings=None) -> IngestState:
    """Make the ingest state of `app`. Touches no database: that is `start_background`'s job
    (and happens lazily before the first load)."""
    return state(app)


def state(app: Flask | None = None) -> IngestState:
    app = app or current_app._get_current_object()
    found = app.extensions.get(EXTENSION)
    if found is not None:
        return found
    with _LOCK:
        found = app.extensions.get(EXTENSION)
        if found is None:
            keys = app.extensions["hub.keys"]
            found = IngestState(
                keyring=Keyring(keys.pseudonym_master_key),
            )
            app.extensions[EXTENSION] = found
    return found


def keyring(app: Flask | None = None) -> Keyring:
    """The keyring the pipeline pseudonymises with (corrections re-pseudonymise with it)."""
    return state(app).keyring


def on_rows_removed(listener, app: Flask | None = None) -> None:
    """Have `listener(session, upload, *, kind, actor, replacement)` called in the transaction
    that withdraws (`kind="withdraw"`) or replaces (`"replace"`, with the `replacement`
    upload) a published upload, before its rows are deleted."""
    found = state(app)
    with found.lock:
        if listener not in found.removal_listeners:
            found.removal_listeners.append(listener)


def rows_removed(session, upload, *, kind: str, actor, replacement=None) -> None:
    for listener in list(state().removal_listeners):
        listener(session, upload, kind=kind, actor=actor, replacement=replacement)
