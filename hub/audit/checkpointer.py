"""When the hub signs checkpoints by itself: every N events (HUB_CHECKPOINT_EVERY_EVENTS) or
when the last checkpoint is older than M seconds (HUB_CHECKPOINT_EVERY_SECONDS) and the log
grew since. The request hook (hub/api/audit_hook.py) asks after each append; a background
thread in each serving process (hub/audit/background.py) asks every little while, so that a
quiet hub still checkpoints its last events.

Every process may try at once: the store keeps one checkpoint per size and refuses a second
root for a size (hub.audit.log.store_checkpoint).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine

from hub import db
from hub.audit.events import now as utc_now
from hub.audit.log import (
    current_size,
    ensure_checkpoint,
    first_event_time,
    last_checkpoint,
)
from hub.audit.tree import LogTree
from hub.db.models import AuditCheckpoint

log = logging.getLogger(__name__)


def is_due(
    *,
    size: int,
    last_size: int,
    last_time: datetime,
    moment: datetime,
    every_events: int,
    every_seconds: int,
) -> bool:
    """A checkpoint is due when the log grew by `every_events`, or grew at all and the last
    checkpoint (the first event, if there is none) is `every_seconds` old."""
    if size <= last_size:
        return False
    return size - last_size >= every_events or (
        (moment - last_time).total_seconds() >= every_seconds
    )


@dataclass
class Checkpointer:
    """One per app: the signing origin, the policy, and this process's running tree."""

    origin: str
    every_events: int
    every_seconds: int
    tree: LogTree = field(default_factory=LogTree)
    # The last checkpoint this process knows of, (size, time): lets the hook decide without
    # a query after most requests; it is read again from the database before any signing.
    _last: tuple[int, datetime] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    background: threading.Event | None = None

    def proof_tree(self, session, size: int) -> LogTree:
        """The running tree, read up to at least `size` events (for proofs)."""
        if size > self.tree.size:
            stored = last_checkpoint(session)
            known = (stored.size, bytes.fromhex(stored.root)) if stored is not None else None
            self.tree.sync(session, current_size(session), known=known)
        return self.tree

    def ensure(self, engine: Engine | None, private_key: Ed25519PrivateKey) -> AuditCheckpoint:
        """The checkpoint for the log's current size, signed now if there is none."""
        stored = ensure_checkpoint(
            engine, origin=self.origin, private_key=private_key, tree=self.tree
        )
        self._remember(stored.size, stored.created_at)
        return stored

    def _remember(self, size: int, moment: datetime) -> None:
        if self._last is None or size >= self._last[0]:
            self._last = (size, moment)

    def _due(self, size: int, last: tuple[int, datetime], moment: datetime) -> bool:
        return is_due(
            size=size,
            last_size=last[0],
            last_time=last[1],
            moment=moment,
            every_events=self.every_events,
            every_seconds=self.every_seconds,
        )

    def checkpoint_if_due(
        self,
        engine: Engine | None,
        private_key: Ed25519PrivateKey,
        *,
        size: int | None = None,
        moment: datetime | None = None,
    ) -> AuditCheckpoint | None:
        """Sign and keep a checkpoint for the current size if one is due; None if not.

        `size` is the log's size as the caller knows it (after its append): with it, and a
        remembered last checkpoint that says nothing is due, no query is made.
        """
        moment = moment or utc_now()
        last = self._last
        if size is not None and last is not None and not self._due(size, last, moment):
            return None
        with self._lock:  # one signer per process; other processes meet at the primary key
            with db.read_only(engine) as session:
                size = current_size(session)
                stored = last_checkpoint(session)
                if stored is not None:
                    last = (stored.size, stored.created_at)
                else:
                    last = (0, first_event_time(session) or moment)
            self._remember(*last)
            if not self._due(size, last, moment):
                return None
            return self.ensure(engine, private_key)
