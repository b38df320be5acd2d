"""Pseudonymise: identifier kinds, per-domain keys and pseudonyms (DESIGN Decisions 3 and 4).

Pure code: no database, no Flask, no I/O. What the package guarantees:

* **Canonical forms.** Each identifier kind (`KINDS`: nhs_number, upn, pnc_id, postcode,
  person_name, date_of_birth) checks a value (check digit, check letter, check character,
  pattern, calendar) and returns one canonical text, so every accepted spelling of an
  identifier gets the same pseudonym. Canonical forms are part of the pseudonym format and
  do not change.
* **No raw identifiers in errors.** An invalid value raises `InvalidIdentifier(kind, code)`:
  its message, `args` and `repr` are built from the kind name and a fixed reason table only,
  never from the value, and it is never chained to another exception. `pseudonymise_many`
  reports invalid values by position, with their tracebacks dropped.
* **Pseudonyms per linkage domain.** `pseudonym` is HMAC-SHA256, as 64 lower-case hex
  characters, over `kind + "\\x1f" + canonical` under `Keyring.key_for(domain)`, a key
  derived with HKDF-SHA256 from the master key with info `b"hub pseudonym v1|" + domain`.
  Two domains never share keys, so two agreements never share pseudonyms; the same value in
  the same domain always gives the same pseudonym. `Keyring` never shows or pickles keys.
* **Generalisation.** `generalise` coarsens quasi-identifiers (year_month, year,
  postcode_district, postcode_sector, age_band) with the same checks and error rules.

Security-relevant functions (`normalise`, `pseudonym`, `pseudonymise_many`) take
keyword-only arguments.
"""

from hub.pseudonymise.errors import REASONS, InvalidIdentifier
from hub.pseudonymise.generalise import AGE_BANDS, RULES, age_band, age_on, generalise
from hub.pseudonymise.keyring import Keyring
from hub.pseudonymise.kinds import (
    KINDS,
    IdentifierKind,
    get_kind,
    nhs_check_digit,
    normalise,
    parse_date,
    pnc_check_character,
    upn_check_letter,
)
from hub.pseudonymise.pseudonym import keyed_digests, pseudonym, pseudonymise_many

__all__ = [
    "AGE_BANDS",
    "KINDS",
    "REASONS",
    "RULES",
    "IdentifierKind",
    "InvalidIdentifier",
    "Keyring",
    "age_band",
    "age_on",
    "generalise",
    "get_kind",
    "keyed_digests",
    "nhs_check_digit",
    "normalise",
    "parse_date",
    "pnc_check_character",
    "pseudonym",
    "pseudonymise_many",
    "upn_check_letter",
]
