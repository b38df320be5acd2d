"""Sessions bound to the current app's engine. One unit of work per use case."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, current_app
from sqlalchemy import Engine
from sqlmodel import Session

from hub.db.engine import make_engine

EXTENSION = "hub.db"


def init_app(app: Flask, database_url: str) -> Engine:
    engine = make_engine(database_url)
    app.extensions[EXTENSION] = engine
    return engine


def get_engine(app: Flask | None = None) -> Engine:
    return (app or current_app).extensions[EXTENSION]


@contextmanager
def unit_of_work(engine: Engine | None = None) -> Iterator[Session]:
    """A session that commits when the block ends cleanly and rolls back otherwise."""
    with Session(engine or get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


@contextmanager
def read_only(engine: Engine | None = None) -> Iterator[Session]:
    """A session for reads; never commits. Objects it loaded stay readable after the block."""
    with Session(engine or get_engine(), expire_on_commit=False) as session:
        try:
            yield session
        finally:
            # Detach before ending the transaction, so that rows read here keep their values
            # instead of being expired by the rollback.
            session.expunge_all()
            session.rollback()
