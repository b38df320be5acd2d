"""Identifier kinds: each turns a raw value into one canonical text or raises `InvalidIdentifier`.

Two spellings of the same identifier ("943 476 5919", "9434765919") must give the same
canonical text, because the pseudonym is computed over it; so the canonical forms below are
part of the pseudonym format and never change. Functions here do no I/O, never raise inside
an `except` block (a chained exception could quote the value) and never put a value into an
error.

Sources of the check algorithms (verified against public descriptions and implementations):

* NHS number, Modulus 11: NHS Data Dictionary, "NHS Number" (weights 10..2 over the first nine
  digits; check = 11 - (sum mod 11); 11 means 0; 10 means the number is invalid), as restated
  in e.g. docs.rs/nhs-number (worked example 943 476 5919; test range 999 000 0000 to
  999 999 9999, never issued).
* UPN check letter: DfE "Unique Pupil Numbers (UPNs)" guidance and the UK Government Data
  Standards Catalogue entry "Unique Pupil Number" v2.0 (govtalk.gov.uk/gdsc): characters 2..13
  weighted 2..13, sum mod 23, 0 -> A ... 22 -> Z over the alphabet without I, O and S,
  i.e. "ABCDEFGHJKLMNPQRTUVWXYZ" (Q *is* used; S is not); a temporary UPN's final letter
  takes the same value table. Cross-checked with python-stdnum `stdnum/gb/upn.py` and the
  DfE CIN validation rule 1510 (0=A ... 13=P, 14=Q, 15=R, 16=T). Worked examples
  H801200001001 and temporary G80120000101A are from the DfE guidance.
* PNC ID check character: ministryofjustice/hmpps-person-record (`PNCIdentifier.kt` and
  `PNCIdValidatorTest.kt`): the 2-digit year followed by the serial zero-padded to 7 digits,
  read as one number, mod 23, indexes "ZABCDEFGHJKLMNPQRTUVWXY".
* Postcode: the BS 7666 letter rules used by the UK Government Data Standards Catalogue
  pattern (first letter not Q, V, X; second not I, J, Z; third-position letters
  A-H, J, K, P, S, T, U, W; fourth-position letters A, B, E, H, M, N, P, R, V, W, X, Y;
  inward letters never C, I, K, M, O, V), plus the special "GIR 0AA".
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType

from hub import clock
from hub.pseudonymise.errors import InvalidIdentifier

__all__ = [
    "KINDS",
    "IdentifierKind",
    "nhs_check_digit",
    "normalise",
    "parse_date",
    "pnc_check_character",
    "upn_check_letter",
]

NHS_NUMBER = "nhs_number"
UPN = "upn"
PNC_ID = "pnc_id"
POSTCODE = "postcode"
PERSON_NAME = "person_name"
DATE_OF_BIRTH = "date_of_birth"


def _compact(value: str) -> str:
    """The value without any whitespace."""
    return "".join(value.split())


def _is_ascii_digits(text: str) -> bool:
    # str.isdigit() alone accepts other scripts' digits and superscripts.
    return text.isascii() and text.isdigit()


# ---------------------------------------------------------------------------------------------
# NHS number
# ---------------------------------------------------------------------------------------------

# The weighted sum of the first nine digits, in three table lookups of three digits each
# rather than a loop over nine: this runs once per value in `pseudonymise_many`.
_NHS_PART = tuple(
    {f"{n:03d}": w1 * (n // 100) + w2 * (n // 10 % 10) + w3 * (n % 10) for n in range(1000)}
    for w1, w2, w3 in ((10, 9, 8), (7, 6, 5), (4, 3, 2))
)
# Weighted sum (0..486) -> the check digit as text, or None where 11 - (sum mod 11) is 10.
_NHS_CHECK: tuple[str | None, ...] = tuple(
    None if (11 - total % 11) == 10 else str((11 - total % 11) % 11) for total in range(487)
)
_REPDIGITS = frozenset(d * 10 for d in "0123456789")
_NHS_SEPARATORS = re.compile(r"[\s\-]+")


def nhs_check_digit(first9: str) -> str | None:
    """The Modulus 11 check digit for the first nine digits of an NHS number, as text.

    Returns None when no check digit exists (the remainder calculation gives 10): no valid
    NHS number starts with those nine digits. Raises InvalidIdentifier if `first9` is not
    nine ASCII digits.
    """
    if type(first9) is not str or len(first9) != 9 or not _is_ascii_digits(first9):
        raise InvalidIdentifier(NHS_NUMBER, "bad_format")
    p0, p1, p2 = _NHS_PART
    return _NHS_CHECK[p0[first9[:3]] + p1[first9[3:6]] + p2[first9[6:]]]


def _make_nhs_number_normaliser() -> Callable[[str], str]:
    # A closure so the tables are fast local (cell) lookups: this runs once per value of a
    # column in `pseudonymise_many`.
    part0, part1, part2 = _NHS_PART
    check_for = _NHS_CHECK
    repdigits = _REPDIGITS
    separators = _NHS_SEPARATORS.sub

    def normalise_nhs_number(value: str) -> str:
        if type(value) is not str:
            raise InvalidIdentifier(NHS_NUMBER, "not_text")
        s = value
        if len(s) != 10 or not (s.isascii() and s.isdigit()):
            # Slow path: "943 476 5919", "943-476-5919", surrounding whitespace.
            if len(s) > 64:
                raise InvalidIdentifier(NHS_NUMBER, "too_long")
            s = separators("", s)
            if not s:
                raise InvalidIdentifier(NHS_NUMBER, "empty")
            if not (s.isascii() and s.isdigit()):
                raise InvalidIdentifier(NHS_NUMBER, "bad_characters")
            if len(s) != 10:
                raise InvalidIdentifier(NHS_NUMBER, "bad_length")
        if s in repdigits:
            # Every repeated digit passes Modulus 11 (54 * d = -d mod 11), 0000000000 too.
            raise InvalidIdentifier(NHS_NUMBER, "repeated_digits")
        check = check_for[part0[s[:3]] + part1[s[3:6]] + part2[s[6:9]]]
        if check is None:
            raise InvalidIdentifier(NHS_NUMBER, "no_check_digit")
        if check != s[9]:
            raise InvalidIdentifier(NHS_NUMBER, "check_digit")
        return s

    return normalise_nhs_number


_normalise_nhs_number = _make_nhs_number_normaliser()


# ---------------------------------------------------------------------------------------------
# UPN (Unique Pupil Number, England)
# ---------------------------------------------------------------------------------------------

# 23 letters: A-Z without I, O and S. Index = the value of the letter.
_UPN_ALPHABET = "ABCDEFGHJKLMNPQRTUVWXYZ"
_UPN_VALUE = {letter: index for index, letter in enumerate(_UPN_ALPHABET)} | {
    str(d): d for d in range(10)
}


def _upn_body_ok(last12: str) -> bool:
    # LA number (3), establishment (4), year (2), serial (3); for a temporary UPN the last
    # character is a letter from the same 23-letter alphabet.
    return _is_ascii_digits(last12[:11]) and last12[11] in _UPN_VALUE


def upn_check_letter(last12: str) -> str:
    """The check letter (first character) for the last twelve characters of a UPN.

    `last12` is eleven digits followed by a digit or, for a temporary UPN, a letter from
    "ABCDEFGHJKLMNPQRTUVWXYZ". Raises InvalidIdentifier otherwise.
    """
    if type(last12) is not str or len(last12) != 12:
        raise InvalidIdentifier(UPN, "bad_format")
    last12 = last12.upper()
    if not _upn_body_ok(last12):
        raise InvalidIdentifier(UPN, "bad_format")
    total = sum(
        weight * _UPN_VALUE[char] for weight, char in zip(range(2, 14), last12, strict=True)
    )
    return _UPN_ALPHABET[total % 23]


def _normalise_upn(value: str) -> str:
    if type(value) is not str:
        raise InvalidIdentifier(UPN, "not_text")
    if len(value) > 64:
        raise InvalidIdentifier(UPN, "too_long")
    s = _compact(value)
    if not s:
        raise InvalidIdentifier(UPN, "empty")
    if not s.isascii():
        raise InvalidIdentifier(UPN, "bad_characters")
    s = s.upper()
    if len(s) != 13:
        raise InvalidIdentifier(UPN, "bad_length")
    if s[0] not in _UPN_ALPHABET or not _upn_body_ok(s[1:]):
        raise InvalidIdentifier(UPN, "bad_format")
    if upn_check_letter(s[1:]) != s[0]:
        raise InvalidIdentifier(UPN, "check_letter")
    return s


# ---------------------------------------------------------------------------------------------
# PNC ID (Police National Computer)
# ---------------------------------------------------------------------------------------------

_PNC_ALPHABET = "ZABCDEFGHJKLMNPQRTUVWXY"
# Two-digit years: 00-49 are 2000-2049, 50-99 are 1950-1999. A fixed pivot, not one that
# slides with today's date, because the canonical form (and so the pseudonym) of "19/123456A"
# must not change from one year to the next. Four-digit years are accepted only inside the
# same window 1950-2049, so that the short and long forms of an ID always agree.
PNC_FIRST_YEAR = 1950
PNC_LAST_YEAR = 2049
_PNC_SERIAL_MAX = 9_999_999


def pnc_check_character(year: int, serial: int) -> str:
    """The check character of PNC ID `year`/`serial` (year as 2 or 4 digits; serial 0..9999999).

    The 2-digit year followed by the serial padded to 7 digits, read as a number, mod 23,
    indexes "ZABCDEFGHJKLMNPQRTUVWXY".
    """
    if type(year) is not int or type(serial) is not int:
        raise InvalidIdentifier(PNC_ID, "bad_format")
    if year < 0 or not 0 <= serial <= _PNC_SERIAL_MAX:
        raise InvalidIdentifier(PNC_ID, "bad_format")
    return _PNC_ALPHABET[((year % 100) * 10_000_000 + serial) % 23]


def _normalise_pnc_id(value: str) -> str:
    if type(value) is not str:
        raise InvalidIdentifier(PNC_ID, "not_text")
    if len(value) > 64:
        raise InvalidIdentifier(PNC_ID, "too_long")
    s = _compact(value)
    if not s:
        raise InvalidIdentifier(PNC_ID, "empty")
    if not s.isascii():
        raise InvalidIdentifier(PNC_ID, "bad_characters")
    s = s.upper()
    check = s[-1]
    body = s[:-1]
    if "/" in body:
        year_text, _, serial_text = body.partition("/")
        if len(year_text) not in (2, 4):
            raise InvalidIdentifier(PNC_ID, "bad_format")
    else:
        # Without a slash: ten or eleven digits are a 4-digit year and its serial (the long
        # form written without the slash); fewer are a 2-digit year and its serial.
        split = 4 if len(body) >= 10 else 2
        year_text, serial_text = body[:split], body[split:]
    if (
        not check.isalpha()
        or not _is_ascii_digits(year_text)
        or not _is_ascii_digits(serial_text)
        or not 1 <= len(serial_text) <= 7
    ):
        raise InvalidIdentifier(PNC_ID, "bad_format")
    year = int(year_text)
    if len(year_text) == 2:
        year += 2000 if year <= PNC_LAST_YEAR % 100 else 1900
    elif not PNC_FIRST_YEAR <= year <= PNC_LAST_YEAR:
        raise InvalidIdentifier(PNC_ID, "year_out_of_range")
    if year > clock.today().year:
        raise InvalidIdentifier(PNC_ID, "year_in_future")
    serial = int(serial_text)
    if pnc_check_character(year, serial) != check:
        raise InvalidIdentifier(PNC_ID, "check_character")
    return f"{year:04d}/{serial:07d}{check}"


# ---------------------------------------------------------------------------------------------
# Postcode
# ---------------------------------------------------------------------------------------------

_POSTCODE_OUTWARD = re.compile(
    r"""
      [A-PR-UWYZ][0-9][0-9]?                  # A9, A99
    | [A-PR-UWYZ][A-HK-Y][0-9][0-9]?          # AA9, AA99
    | [A-PR-UWYZ][0-9][A-HJKPSTUW]            # A9A
    | [A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRVWXY]  # AA9A
    """,
    re.VERBOSE,
)
_POSTCODE_INWARD = re.compile(r"[0-9][ABD-HJLNP-UW-Z]{2}")


def _normalise_postcode(value: str) -> str:
    if type(value) is not str:
        raise InvalidIdentifier(POSTCODE, "not_text")
    if len(value) > 64:
        raise InvalidIdentifier(POSTCODE, "too_long")
    s = _compact(value)
    if not s:
        raise InvalidIdentifier(POSTCODE, "empty")
    if not s.isascii():
        raise InvalidIdentifier(POSTCODE, "bad_characters")
    s = s.upper()
    if not 5 <= len(s) <= 7:
        raise InvalidIdentifier(POSTCODE, "bad_length")
    outward, inward = s[:-3], s[-3:]
    if s == "GIR0AA":
        return "GIR 0AA"
    if not (_POSTCODE_OUTWARD.fullmatch(outward) and _POSTCODE_INWARD.fullmatch(inward)):
        raise InvalidIdentifier(POSTCODE, "not_a_postcode")
    return f"{outward} {inward}"


# ---------------------------------------------------------------------------------------------
# Person name
# ---------------------------------------------------------------------------------------------

# Apostrophe-like characters are deleted, so O'Brien, O’Brien and OBrien agree.
_APOSTROPHES = dict.fromkeys(map(ord, "'\u2019\u2018\u02bc\u0060\u00b4\u2032\uff07"))
_NAME_MAX = 512


def _drops_marks(letter: str) -> bool:
    """Whether accents on this letter are stripped: Latin, Greek and Cyrillic letters.

    In other scripts (Devanagari, Arabic, ...) combining marks carry vowels and are kept, or
    distinct names would collide.
    """
    code = ord(letter)
    return code < 0x0250 or 0x0370 <= code < 0x0530 or 0x1E00 <= code < 0x2000


def _normalise_person_name(value: str) -> str:
    """The rule: delete apostrophes; NFKC; casefold; NFKD and drop the combining marks of
    Latin, Greek and Cyrillic letters; reject digits; every other non-letter (hyphen, full
    stop, comma, other punctuation, symbols, whitespace) separates words; words are joined by
    one space; the result is NFC. "Siân O'Brien-Smith" -> "sian obrien smith".
    """
    if type(value) is not str:
        raise InvalidIdentifier(PERSON_NAME, "not_text")
    if len(value) > _NAME_MAX:
        raise InvalidIdentifier(PERSON_NAME, "too_long")
    s = unicodedata.normalize("NFKC", value.translate(_APOSTROPHES)).casefold()
    s = unicodedata.normalize("NFKD", s)
    out: list[str] = []
    keep_marks = False
    category = unicodedata.category
    for char in s:
        kind = category(char)
        major = kind[0]
        if major == "M":
            if keep_marks:
                out.append(char)
        elif major == "L":
            out.append(char)
            keep_marks = not _drops_marks(char)
        elif major == "N":
            raise InvalidIdentifier(PERSON_NAME, "contains_digit")
        else:
            out.append(" ")
            keep_marks = False
    result = unicodedata.normalize("NFC", " ".join("".join(out).split()))
    if not result:
        raise InvalidIdentifier(PERSON_NAME, "empty")
    return result


# ---------------------------------------------------------------------------------------------
# Dates
# ---------------------------------------------------------------------------------------------

_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_UK_DATE = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})")
DOB_FIRST_YEAR = 1900


def parse_date(value: str | date, *, kind: str = "date") -> date:
    """A calendar date from ISO `YYYY-MM-DD` or UK `DD/MM/YYYY` (day and month may be one
    digit), or a `date` (a `datetime` gives its date). Errors name `kind`, never the value.
    """
    if isinstance(value, date):
        return value if type(value) is date else date(value.year, value.month, value.day)
    if type(value) is not str:
        raise InvalidIdentifier(kind, "not_text")
    if len(value) > 64:
        raise InvalidIdentifier(kind, "too_long")
    s = value.strip()
    if not s:
        raise InvalidIdentifier(kind, "empty")
    if match := _ISO_DATE.fullmatch(s):
        year, month, day = (int(part) for part in match.groups())
    elif match := _UK_DATE.fullmatch(s):
        day, month, year = (int(part) for part in match.groups())
    else:
        raise InvalidIdentifier(kind, "bad_format")
    # Checked here rather than by catching date()'s ValueError, which would chain an error.
    if not (1 <= year and 1 <= month <= 12 and 1 <= day <= calendar.monthrange(year, month)[1]):
        raise InvalidIdentifier(kind, "not_a_date")
    return date(year, month, day)


def _normalise_date_of_birth(value: str) -> str:
    born = parse_date(value, kind=DATE_OF_BIRTH)
    if born.year < DOB_FIRST_YEAR:
        raise InvalidIdentifier(DATE_OF_BIRTH, "date_too_early")
    if born > clock.today():
        raise InvalidIdentifier(DATE_OF_BIRTH, "date_in_future")
    return born.isoformat()


# ---------------------------------------------------------------------------------------------
# The kinds
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IdentifierKind:
    """One kind of identifier: `normalise(value)` returns the canonical text or raises
    InvalidIdentifier."""

    name: str
    description: str
    normalise: Callable[[str], str]

    def __repr__(self) -> str:
        return f"IdentifierKind({self.name!r})"


KINDS: Mapping[str, IdentifierKind] = MappingProxyType(
    {
        kind.name: kind
        for kind in (
            IdentifierKind(
                NHS_NUMBER,
                "NHS number: 10 digits, Modulus 11 check digit; canonical 10 digits",
                _normalise_nhs_number,
            ),
            IdentifierKind(
                UPN,
                "Unique Pupil Number: check letter + 12 characters; canonical upper case",
                _normalise_upn,
            ),
            IdentifierKind(
                PNC_ID,
                "Police National Computer ID; canonical YYYY/NNNNNNNC",
                _normalise_pnc_id,
            ),
            IdentifierKind(
                POSTCODE,
                "UK postcode; canonical upper case, one space before the inward code",
                _normalise_postcode,
            ),
            IdentifierKind(
                PERSON_NAME,
                "A person's name; canonical casefolded, accents stripped, single spaces",
                _normalise_person_name,
            ),
            IdentifierKind(
                DATE_OF_BIRTH,
                "Date of birth, ISO or DD/MM/YYYY, 1900 to today; canonical ISO",
                _normalise_date_of_birth,
            ),
        )
    }
)


_KIND_NAME = re.compile(r"[a-z_]{1,32}")


def get_kind(kind: str) -> IdentifierKind:
    """The IdentifierKind called `kind`; ValueError for an unknown name (a programming or
    contract error, not a data error: the name is not an identifier value)."""
    found = KINDS.get(kind) if type(kind) is str else None
    if found is None:
        # Name what was asked for only if it looks like a kind name, in case a value was
        # passed where the kind belongs.
        shown = repr(kind) if type(kind) is str and _KIND_NAME.fullmatch(kind) else "(not shown)"
        raise ValueError(f"unknown identifier kind {shown}; known: {', '.join(KINDS)}")
    return found


def normalise(*, kind: str, value: str) -> str:
    """The canonical form of `value` as an identifier of `kind`, or InvalidIdentifier."""
    return get_kind(kind).normalise(value)
