"""Test fixtures that ship with the repository."""

from pathlib import Path

DATA = Path(__file__).resolve().parent
POLICE_STREET_CSV = DATA / "police-uk" / "2026-02-city-of-london-street.csv"
