"""How the agencies' systems write values: each its own habits, all within the contracts."""

from __future__ import annotations

import random

from hub.synthetic.identifiers import spaced_nhs_number


def maybe(rng: random.Random, present: float, value: str) -> str:
    """`value`, or empty (a field the sender did not have) with chance 1 - `present`."""
    return value if rng.random() < present else ""


def nhs_number(rng: random.Random, number: str, *, spaced: float) -> str:
    """Some systems print NHS numbers in groups ("999 123 4567"); the hub reads both."""
    return spaced_nhs_number(number) if rng.random() < spaced else number


def postcode(rng: random.Random, value: str, *, present: float = 0.97) -> str:
    """A postcode as keyed: now and then without its space or in lower case, both valid."""
    if rng.random() >= present:
        return ""
    roll = rng.random()
    if roll < 0.03:
        return value.replace(" ", "")
    if roll < 0.04:
        return value.lower()
    return value


def coordinate(value: float) -> str:
    return f"{value:.6f}"
