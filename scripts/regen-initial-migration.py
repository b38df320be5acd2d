"""Regenerate the single initial Alembic revision from hub/db/models.py.

While the hub has no release, its schema is one revision, made anew from the models so that
it can never drift from them. Once a release ships, add revisions instead.
"""

import tempfile
from pathlib import Path

from alembic import command

from hub.db import make_engine
from hub.db.migrate import MIGRATIONS, alembic_config

versions = MIGRATIONS / "versions"
for old in versions.glob("*.py"):
    old.unlink()
with tempfile.TemporaryDirectory() as tmp:
    engine = make_engine(f"sqlite:///{Path(tmp) / 'empty.sqlite3'}")
    command.revision(
        alembic_config(engine), message="initial schema", autogenerate=True, rev_id="0001"
    )
print("wrote", next(versions.glob("*.py")))
