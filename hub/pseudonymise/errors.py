"""`InvalidIdentifier`: why a value is not a valid identifier of its kind, never what it was.

DESIGN Decision 3: reports, logs and errors never hold raw identifiers. The only inputs to an
`InvalidIdentifier` are the kind's name and a reason code, both checked against fixed tables,
so neither its message, its `args` nor its `repr` can carry the value. The code that raises it
never raises inside an `except` block either, so there is no chained exception (whose message
might quote the value) in `__context__`.
"""

from __future__ import annotations

from types import MappingProxyType

# Reason code -> human text. Codes are stable (ingest reports and tests rely on them);
# texts say what is wrong without quoting the value. No text contains a digit, so a test
# can check that no part of a number leaked into a message.
REASONS = MappingProxyType(
    {
        "not_text": "the value is not text",
        "empty": "the value is empty",
        "too_long": "the value is too long",
        "bad_length": "wrong number of characters",
        "bad_characters": "contains characters this kind does not allow",
        "bad_format": "does not match the expected format",
        "check_digit": "check digit does not match",
        "no_check_digit": "no check digit is possible for these digits (modulus eleven gives ten)",
        "repeated_digits": "all digits are the same",
        "check_letter": "check letter does not match",
        "check_character": "check character does not match",
        "year_out_of_range": "the year is outside the accepted range",
        "year_in_future": "the year is in the future",
        "not_a_date": "not a real calendar date",
        "date_in_future": "the date is in the future",
        "date_too_early": "the date is before the earliest accepted year",
        "after_reference_date": "the date of birth is after the reference date",
        "not_a_postcode": "does not match the UK postcode pattern",
        "contains_digit": "a name cannot contain digits",
    }
)

# The names an InvalidIdentifier may carry: the identifier kinds, plus `date` for the
# generalisation rules that take any calendar date.
ERROR_KINDS = frozenset(
    {"nhs_number", "upn", "pnc_id", "postcode", "person_name", "date_of_birth", "date"}
)


class InvalidIdentifier(ValueError):
    """A value is not a valid identifier of `kind`, for the reason `code` (text: `reason`).

    Carries the kind and the reason only; the value is never stored or shown.
    """

    kind: str
    code: str
    reason: str

    def __init__(self, kind: str, code: str) -> None:
        # Fixed tables only: a caller cannot smuggle a value into the message. The error for
        # a misuse does not quote what was passed, for the same reason.
        if kind not in ERROR_KINDS:
            raise ValueError("InvalidIdentifier: unknown identifier kind")
        if code not in REASONS:
            raise ValueError("InvalidIdentifier: unknown reason code")
        super().__init__(kind, code)
        self.kind = kind
        self.code = code
        self.reason = REASONS[code]

    def __str__(self) -> str:
        return f"{self.kind}: {self.reason} ({self.code})"

    def __repr__(self) -> str:
        return f"InvalidIdentifier(kind={self.kind!r}, code={self.code!r})"
