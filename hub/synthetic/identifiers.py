"""Synthetic identifiers that pass the hub's checks, and the typos that make them fail.

NHS numbers come from 999 000 0000..999 999 9999, which NHS England reserves for testing
and never issues. UPNs belong to local authority 999, which does not exist (as in the
hub's CSV templates). The check algorithms are the hub's own (hub.pseudonymise), so a
generated identifier is valid exactly when the hub will accept it.
"""

from __future__ import annotations

import random

from hub.pseudonymise import nhs_check_digit, pnc_check_character, upn_check_letter

UPN_LA = "999"
_UPN_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"
_PNC_LETTERS = "ZABCDEFGHJKLMNPQRTUVWXY"


def nhs_number(rng: random.Random, used: set[str]) -> str:
    """A new, valid NHS number in the test range, not in `used` (which it joins)."""
    while True:
        first9 = f"999{rng.randrange(1_000_000):06d}"
        check = nhs_check_digit(first9)
        number = first9 + check if check is not None else None
        if number and number not in used and number != "9999999999":
            used.add(number)
            return number


def upn(establishment: str, year: int, serial: int) -> str:
    """A permanent UPN: check letter, LA (3), establishment (4), year allocated (2), serial (3)."""
    last12 = f"{UPN_LA}{establishment}{year % 100:02d}{serial:03d}"
    return upn_check_letter(last12) + last12


def pnc_id(year: int, serial: int) -> str:
    """The canonical long form YYYY/NNNNNNNC."""
    return f"{year:04d}/{serial:07d}{pnc_check_character(year, serial)}"


def short_pnc_id(canonical: str) -> str:
    """The same PNC ID as YY/NNNNNNC, the form older records use."""
    year, _, rest = canonical.partition("/")
    return f"{year[2:]}/{int(rest[:-1])}{rest[-1]}"


def spaced_nhs_number(number: str) -> str:
    return f"{number[:3]} {number[3:6]} {number[6:]}"


# --- typos that keep the shape but fail the check ----------------------------------------------


def mistyped_nhs_number(number: str, rng: random.Random) -> str:
    """Two adjacent digits swapped: Modulus 11 catches every such swap of unequal digits.
    Only digits 4-9 move, so the number stays in the test range."""
    digits = list(number)
    positions = [i for i in range(3, 8) if digits[i] != digits[i + 1]]
    if not positions:  # e.g. 9990000000: change a digit instead
        digits[5] = str((int(digits[5]) + 1) % 10)
        return _still_invalid_nhs("".join(digits))
    i = rng.choice(positions)
    digits[i], digits[i + 1] = digits[i + 1], digits[i]
    return "".join(digits)


def _still_invalid_nhs(candidate: str) -> str:
    check = nhs_check_digit(candidate[:9])
    if check == candidate[9]:
        candidate = candidate[:9] + str((int(candidate[9]) + 1) % 10)
    return candidate


def mistyped_upn(value: str, rng: random.Random) -> str:
    """The check letter replaced by another: the shape passes, the check does not."""
    return rng.choice([c for c in _UPN_LETTERS if c != value[0]]) + value[1:]


def mistyped_pnc_id(value: str, rng: random.Random) -> str:
    return value[:-1] + rng.choice([c for c in _PNC_LETTERS if c != value[-1]])
