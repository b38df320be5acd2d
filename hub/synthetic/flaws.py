"""The mistakes real feeds carry, each one known, so tests and the demo can expect them.

Two sorts. Accepted flaws (`rejected_by=None`) pass every check but make linkage or analysis
harder: a typo in a name, a record sent months late. Rejected flaws fail a check and set
their row aside: the contract's row checks (`row_check`: a date written 14/03/2011, a
nine-digit NHS number) or the identifier checks at pseudonymisation (`identifier`: a
transposed NHS number, a wrong UPN check letter, a digit in a name).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from hub.synthetic import identifiers

ROW_CHECK = "row_check"
IDENTIFIER = "identifier"

Row = dict[str, str]


@dataclass(frozen=True)
class Flaw:
    row: int  # the data row, from 1 (the header is not a row), as hub.contracts reports
    column: str
    kind: str
    rejected_by: str | None  # row_check | identifier | None: accepted as sent


def rejected_rows(flaws, stage: str | None = None) -> list[int]:
    """Rows the hub will set aside: at `stage` (row_check or identifier), or at either."""
    return sorted({f.row for f in flaws if f.rejected_by and stage in (None, f.rejected_by)})


@dataclass(frozen=True)
class Corruption:
    """A way to break one column of a row: `applies` says whether the row has something to
    break, `apply` breaks it in place."""

    column: str
    kind: str
    rejected_by: str
    apply: Callable[[Row, str, random.Random], None]
    needs_value: bool = True

    def applies(self, row: Row) -> bool:
        return not self.needs_value or row.get(self.column, "") != ""


# --- identifier typos (the shape passes, the check does not) ----------------------------------


def _nhs(row: Row, column: str, rng: random.Random) -> None:
    value = row[column]
    wrong = identifiers.mistyped_nhs_number(value.replace(" ", ""), rng)
    row[column] = identifiers.spaced_nhs_number(wrong) if " " in value else wrong


def _upn(row: Row, column: str, rng: random.Random) -> None:
    row[column] = identifiers.mistyped_upn(row[column], rng)


def _pnc(row: Row, column: str, rng: random.Random) -> None:
    row[column] = identifiers.mistyped_pnc_id(row[column], rng)


def _digit_in_name(row: Row, column: str, rng: random.Random) -> None:
    name = row[column]
    for letter, digit in (("o", "0"), ("l", "1"), ("i", "1"), ("e", "3"), ("a", "4")):
        at = name.lower().find(letter, 1)
        if at > 0:
            row[column] = name[:at] + digit + name[at + 1 :]
            return
    row[column] = name + "1"


def nhs_check(column: str) -> Corruption:
    return Corruption(column, "nhs_number_check_digit", IDENTIFIER, _nhs)


def upn_check(column: str) -> Corruption:
    return Corruption(column, "upn_check_letter", IDENTIFIER, _upn)


def pnc_check(column: str) -> Corruption:
    return Corruption(column, "pnc_id_check_character", IDENTIFIER, _pnc)


def digit_in_name(column: str) -> Corruption:
    return Corruption(column, "digit_in_name", IDENTIFIER, _digit_in_name)


# --- format slips (the contract's row checks catch them) ---------------------------------------


def _uk_date(row: Row, column: str, rng: random.Random) -> None:
    year, month, day = row[column].split("-")
    row[column] = f"{day}/{month}/{year}"


def _short_nhs(row: Row, column: str, rng: random.Random) -> None:
    digits = row[column].replace(" ", "")
    at = rng.randrange(3, 10)
    row[column] = digits[:at] + digits[at + 1 :]


def _truncated_postcode(row: Row, column: str, rng: random.Random) -> None:
    row[column] = row[column][:-1]


def _no_offset(row: Row, column: str, rng: random.Random) -> None:
    row[column] = row[column][:19]  # 2026-03-14T22:41:00, without its UTC offset


def _swap_coordinates(latitude: str, longitude: str):
    def apply(row: Row, column: str, rng: random.Random) -> None:
        row[latitude], row[longitude] = row[longitude], row[latitude]

    return apply


def uk_date(column: str) -> Corruption:
    return Corruption(column, "date_as_dd_mm_yyyy", ROW_CHECK, _uk_date)


def short_nhs(column: str) -> Corruption:
    return Corruption(column, "nhs_number_digit_missing", ROW_CHECK, _short_nhs)


def truncated_postcode(column: str) -> Corruption:
    return Corruption(column, "postcode_truncated", ROW_CHECK, _truncated_postcode)


def no_offset(column: str) -> Corruption:
    return Corruption(column, "timestamp_without_offset", ROW_CHECK, _no_offset)


def swapped_coordinates(latitude: str, longitude: str) -> Corruption:
    return Corruption(
        latitude, "latitude_longitude_swapped", ROW_CHECK, _swap_coordinates(latitude, longitude)
    )


def literal(column: str, kind: str, text: str, *, needs_value: bool = True) -> Corruption:
    """A value a person typed instead of a code: "Early Help" for early_help, "Y" for true."""

    def apply(row: Row, column: str, rng: random.Random) -> None:
        row[column] = text

    return Corruption(column, kind, ROW_CHECK, apply, needs_value=needs_value)


# --- accepted flaws --------------------------------------------------------------------------


def name_typo(name: str, rng: random.Random) -> str:
    """A keying slip: two letters swapped, one dropped or doubled, a vowel changed. The
    first letter and any punctuation stay, so the name is still a name."""
    letters = [i for i in range(1, len(name)) if name[i].isalpha() and name[i - 1].isalpha()]
    if not letters:
        return name
    at = rng.choice(letters)
    how = rng.randrange(4)
    if how == 0 and at + 1 < len(name) and name[at + 1].isalpha() and name[at] != name[at + 1]:
        return name[:at] + name[at + 1] + name[at] + name[at + 2 :]
    if how == 1 and len(name) > 4:
        return name[:at] + name[at + 1 :]
    if how == 2:
        return name[:at] + name[at] + name[at:]
    vowels = "aeiou"
    swap = rng.choice([v for v in vowels if v != name[at].lower()])
    return name[:at] + (swap if name[at].islower() else swap.upper()) + name[at + 1 :]
