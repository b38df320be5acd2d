"""Identifier kinds: published examples, spellings that must agree, and check-digit properties.

The check algorithms are re-implemented here independently (plain loops over the published
tables) so that a mistake in the package's lookup tables cannot hide behind itself.
"""

from __future__ import annotations

import string
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub import clock
from hub.pseudonymise import (
    KINDS,
    REASONS,
    InvalidIdentifier,
    get_kind,
    nhs_check_digit,
    normalise,
    pnc_check_character,
    upn_check_letter,
)
from tests.conftest import PIN

SLOW_MACHINE = settings(deadline=None)


def rejects(kind: str, value, code: str) -> InvalidIdentifier:
    with pytest.raises(InvalidIdentifier) as info:
        normalise(kind=kind, value=value)
    error = info.value
    assert (error.kind, error.code) == (kind, code)
    assert error.reason == REASONS[code]
    return error


# --- independent reference implementations ----------------------------------------------------


def reference_nhs_check(first9: str) -> int | None:
    """NHS Data Dictionary: weights 10..2, 11 - (sum mod 11), 11 -> 0, 10 -> invalid."""
    total = sum(int(d) * w for d, w in zip(first9, range(10, 1, -1), strict=True))
    check = 11 - total % 11
    return None if check == 10 else (0 if check == 11 else check)


# DfE / UK GDSC: values 0..22 map to A..Z without I, O, S.
UPN_LETTERS = [c for c in string.ascii_uppercase if c not in "IOS"]
UPN_VALUES = {c: i for i, c in enumerate(UPN_LETTERS)} | {str(d): d for d in range(10)}


def reference_upn_check(last12: str) -> str:
    values = [int(c) if c.isdigit() else UPN_LETTERS.index(c) for c in last12]
    assert values == [UPN_VALUES[c] for c in last12]
    return UPN_LETTERS[sum(v * w for v, w in zip(values, range(2, 14), strict=True)) % 23]


def reference_pnc_check(year: int, serial: int) -> str:
    return "ZABCDEFGHJKLMNPQRTUVWXY"[int(f"{year % 100:02d}{serial:07d}") % 23]


# --- NHS number -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spelling",
    ["9434765919", "943 476 5919", "943-476-5919", " 943 476 5919 ", "943\t476\u00a05919"],
)
def test_nhs_number_spellings_share_one_canonical_form(spelling):
    assert normalise(kind="nhs_number", value=spelling) == "9434765919"


def test_nhs_number_published_example_and_its_neighbour():
    # 943 476 5919 is the NHS Data Dictionary's worked example.
    assert nhs_check_digit("943476591") == "9"
    rejects("nhs_number", "9434765918", "check_digit")


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("943476591", "bad_length"),
        ("94347659190", "bad_length"),
        ("94347659l9", "bad_characters"),
        ("９４３４７６５９１９", "bad_characters"),  # full-width digits are not ASCII digits
        ("943476591²", "bad_characters"),
        ("0000000000", "repeated_digits"),
        ("1111111111", "repeated_digits"),
        ("9999999999", "repeated_digits"),
        ("1" * 100, "too_long"),
    ],
)
def test_nhs_number_rejections(value, code):
    rejects("nhs_number", value, code)


def test_nhs_number_whose_check_would_be_ten_is_invalid_for_every_last_digit():
    first9 = next(f"{n:09d}" for n in range(10**6) if reference_nhs_check(f"{n:09d}") is None)
    assert nhs_check_digit(first9) is None
    for last in "0123456789":
        if first9 + last not in {d * 10 for d in "0123456789"}:
            rejects("nhs_number", first9 + last, "no_check_digit")


def test_nhs_number_not_text():
    rejects("nhs_number", 9434765919, "not_text")


def test_nhs_check_digit_wants_nine_ascii_digits():
    for bad in ("12345678", "1234567890", "12345678x", 123456789):
        with pytest.raises(InvalidIdentifier):
            nhs_check_digit(bad)


@SLOW_MACHINE
@given(st.integers(0, 10**9 - 1))
def test_nhs_check_digit_matches_the_published_algorithm(n):
    first9 = f"{n:09d}"
    expected = reference_nhs_check(first9)
    assert nhs_check_digit(first9) == (None if expected is None else str(expected))


# The test range 999 000 0000 - 999 999 9999 is valid but never issued.
test_range_nhs_numbers = (
    st.integers(0, 999_999)
    .map(lambda n: f"999{n:06d}")
    .filter(lambda first9: nhs_check_digit(first9) is not None)
    .map(lambda first9: first9 + nhs_check_digit(first9))
    .filter(lambda number: number != "9999999999")
)


@SLOW_MACHINE
@given(test_range_nhs_numbers, st.sampled_from([" ", "-", ""]))
def test_every_generated_nhs_number_round_trips(number, separator):
    spelled = f"{number[:3]}{separator}{number[3:6]}{separator}{number[6:]}"
    assert normalise(kind="nhs_number", value=spelled) == number
    assert normalise(kind="nhs_number", value=number) == number


@SLOW_MACHINE
@given(test_range_nhs_numbers, st.integers(0, 9), st.integers(1, 9))
def test_every_single_digit_error_is_caught(number, position, shift):
    wrong = number[:position] + str((int(number[position]) + shift) % 10) + number[position + 1 :]
    with pytest.raises(InvalidIdentifier):
        normalise(kind="nhs_number", value=wrong)


@SLOW_MACHINE
@given(test_range_nhs_numbers, st.integers(0, 8))
def test_every_adjacent_transposition_is_caught(number, position):
    a, b = number[position], number[position + 1]
    if a != b:
        swapped = number[:position] + b + a + number[position + 2 :]
        with pytest.raises(InvalidIdentifier):
            normalise(kind="nhs_number", value=swapped)


# --- UPN --------------------------------------------------------------------------------------

# H801200001001 and the temporary G80120000101A are the worked examples of the DfE guidance
# "Unique Pupil Numbers (UPNs)"; B801200005001 is python-stdnum's example; A950000178301 and
# H243278544154 are from the DfE CIN validation rule 1510 tests (social-finance cin_validator).
PUBLISHED_UPNS = [
    "H801200001001",
    "G80120000101A",
    "B801200005001",
    "A950000178301",
    "H243278544154",
]


@pytest.mark.parametrize("upn", PUBLISHED_UPNS)
def test_published_upns_are_valid(upn):
    assert normalise(kind="upn", value=upn) == upn
    assert upn_check_letter(upn[1:]) == upn[0] == reference_upn_check(upn[1:])


def test_upn_canonical_form_is_upper_case_without_spaces():
    assert normalise(kind="upn", value=" g801 2000 0101a ") == "G80120000101A"


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("Z801200001001", "check_letter"),  # DfE guidance: wrong check letter
        ("R247962919251", "check_letter"),  # CIN rule 1510 test: wrong check letter
        ("H80120000100", "bad_length"),
        ("", "empty"),
        ("I801200001001", "bad_format"),  # I, O and S are never check letters
        ("S801200001001", "bad_format"),
        ("H80120000100S", "bad_format"),  # nor the last letter of a temporary UPN
        ("H8012000A1001", "bad_format"),  # characters 2-12 are digits
        ("H8012000010é1", "bad_characters"),
    ],
)
def test_upn_rejections(value, code):
    rejects("upn", value, code)


def test_upn_alphabet_includes_q_and_omits_s():
    # 14 -> Q, 15 -> R, 16 -> T (the DfE table): a check letter of Q must be possible.
    assert "".join(UPN_LETTERS) == "ABCDEFGHJKLMNPQRTUVWXYZ"
    last12 = next(f"{n:012d}" for n in range(10**6) if reference_upn_check(f"{n:012d}") == "Q")
    assert upn_check_letter(last12) == "Q"
    assert normalise(kind="upn", value="Q" + last12) == "Q" + last12


upn_bodies = st.tuples(
    st.text("0123456789", min_size=11, max_size=11),
    st.sampled_from(list("0123456789") + UPN_LETTERS),
).map("".join)


@SLOW_MACHINE
@given(upn_bodies)
def test_every_generated_upn_round_trips(last12):
    check = upn_check_letter(last12)
    assert check == reference_upn_check(last12)
    assert normalise(kind="upn", value=(check + last12).lower()) == check + last12


@SLOW_MACHINE
@given(upn_bodies, st.integers(1, 12), st.sampled_from(list("0123456789") + UPN_LETTERS))
def test_every_single_character_error_in_a_upn_is_caught(last12, position, replacement):
    upn = upn_check_letter(last12) + last12
    if position < 12 and not replacement.isdigit():
        return  # not a UPN shape at all; covered by the format tests
    # Inherent to the DfE scheme: a temporary UPN's last letter has the value of a digit
    # (A = 0, B = 1, ...), so swapping one for the other keeps the check letter. Both stay
    # valid, distinct UPNs, with distinct pseudonyms.
    if position == 12 and UPN_VALUES[replacement] == UPN_VALUES[upn[12]]:
        swapped = upn[:12] + replacement
        assert normalise(kind="upn", value=swapped) == swapped
        return
    wrong = upn[:position] + replacement + upn[position + 1 :]
    if wrong != upn:
        with pytest.raises(InvalidIdentifier):
            normalise(kind="upn", value=wrong)


# --- PNC ID -----------------------------------------------------------------------------------

# Valid PNC IDs from ministryofjustice/hmpps-person-record, PNCIdValidatorTest.kt.
PUBLISHED_PNC_IDS = {
    "2001/0171310W": "2001/0171310W",
    "2011/0275516Q": "2011/0275516Q",
    "2008/0056560Z": "2008/0056560Z",
    "2003/0062845E": "2003/0062845E",
    "1981/0154257C": "1981/0154257C",
    "20030011985X": "2003/0011985X",
    "20120052494Q": "2012/0052494Q",
    "20230583843L": "2023/0583843L",
}


@pytest.mark.parametrize(("value", "canonical"), PUBLISHED_PNC_IDS.items())
def test_published_pnc_ids_are_valid(value, canonical):
    assert normalise(kind="pnc_id", value=value) == canonical
    year, serial = int(canonical[:4]), int(canonical[5:12])
    assert pnc_check_character(year, serial) == canonical[-1] == reference_pnc_check(year, serial)


@pytest.mark.parametrize(
    "spelling",
    [
        "1981/0154257C",
        "81/154257C",
        "81/0154257c",
        "81154257C",
        " 1981 / 0154257 C ",
        "19810154257C",
    ],
)
def test_pnc_id_spellings_share_one_canonical_form(spelling):
    assert normalise(kind="pnc_id", value=spelling) == "1981/0154257C"


@pytest.mark.parametrize(
    ("value", "code"),
    [
        # Invalid per hmpps-person-record's tests: right shape, wrong check character.
        ("20030011985Z", "check_character"),
        ("20120052494O", "check_character"),
        ("2001/0171310S", "check_character"),
        ("1X23/1234567A", "bad_format"),
        ("1923[1234567A", "bad_format"),
        ("1923/1Z34567A", "bad_format"),
        ("1923/1234567AA", "bad_format"),
        ("2001/01713101W", "bad_format"),  # 8-digit serial
        ("201/0171310W", "bad_format"),  # 3-digit year
        ("2001/W", "bad_format"),
        ("", "empty"),
        ("1949/0000001A", "year_out_of_range"),
        ("2050/0000001A", "year_out_of_range"),
        ("49/1A", "year_in_future"),  # 2049, after today
    ],
)
def test_pnc_id_rejections(value, code):
    rejects("pnc_id", value, code)


def test_two_digit_years_use_a_fixed_pivot():
    # 00-49 are 20xx, 50-99 are 19xx, whatever today's date.
    for yy, century in ((0, 2000), (24, 2000), (50, 1900), (99, 1900)):
        check = reference_pnc_check(yy, 123)
        assert normalise(kind="pnc_id", value=f"{yy:02d}/123{check}") == (
            f"{century + yy}/0000123{check}"
        )


@SLOW_MACHINE
@given(st.integers(1950, PIN.year), st.integers(0, 9_999_999))
def test_every_generated_pnc_id_round_trips_between_short_and_long_forms(year, serial):
    check = pnc_check_character(year, serial)
    assert check == reference_pnc_check(year, serial)
    canonical = f"{year}/{serial:07d}{check}"
    assert normalise(kind="pnc_id", value=canonical) == canonical
    assert normalise(kind="pnc_id", value=f"{year % 100:02d}/{serial}{check}") == canonical
    assert normalise(kind="pnc_id", value=f"{year}{serial:07d}{check.lower()}") == canonical


def test_pnc_check_character_wants_whole_numbers_in_range():
    for year, serial in ((2001, -1), (2001, 10_000_000), ("2001", 1), (2001, 1.0), (-1, 1)):
        with pytest.raises(InvalidIdentifier):
            pnc_check_character(year, serial)


# --- postcode ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "canonical"),
    [
        ("SW1A 1AA", "SW1A 1AA"),
        ("sw1a1aa", "SW1A 1AA"),
        ("  Sw1A   1aA ", "SW1A 1AA"),
        ("GIR 0AA", "GIR 0AA"),
        ("gir0aa", "GIR 0AA"),
        ("M1 1AE", "M1 1AE"),  # A9
        ("B33 8TH", "B33 8TH"),  # A99
        ("CR2 6XH", "CR2 6XH"),  # AA9
        ("DN55 1PT", "DN55 1PT"),  # AA99
        ("W1A 0AX", "W1A 0AX"),  # A9A
        ("EC1A 1BB", "EC1A 1BB"),  # AA9A
        ("N1C 4AG", "N1C 4AG"),
        ("BT1 5GS", "BT1 5GS"),
    ],
)
def test_postcodes(value, canonical):
    assert normalise(kind="postcode", value=value) == canonical


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("QA1 1AA", "not_a_postcode"),  # Q never first
        ("AZ1 1AA", "not_a_postcode"),  # Z never second
        ("SW1A 1AI", "not_a_postcode"),  # I never in the inward code
        ("SW1A 1CA", "not_a_postcode"),  # nor C
        ("W1I 0AX", "not_a_postcode"),  # I never third
        ("EC1C 1BB", "not_a_postcode"),  # C never fourth
        ("SW1A1", "not_a_postcode"),
        ("1AA", "bad_length"),
        ("SW1A 1AAA", "bad_length"),
        ("", "empty"),
        ("SW1A 1ÅA", "bad_characters"),
    ],
)
def test_postcode_rejections(value, code):
    rejects("postcode", value, code)


@SLOW_MACHINE
@given(
    st.from_regex(
        r"\A([A-PR-UWYZ][0-9][0-9]?|[A-PR-UWYZ][A-HK-Y][0-9][0-9]?|[A-PR-UWYZ][0-9][A-HJKPSTUW]"
        r"|[A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRVWXY]) [0-9][ABD-HJLNP-UW-Z]{2}\Z"
    )
)
def test_every_generated_postcode_round_trips(postcode):
    assert normalise(kind="postcode", value=postcode) == postcode
    assert normalise(kind="postcode", value=postcode.replace(" ", "").lower()) == postcode


# --- person name ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "canonical"),
    [
        ("Siân O'Brien-Smith", "sian obrien smith"),
        ("SIAN OBRIEN SMITH", "sian obrien smith"),
        ("siân o’brien – smith", "sian obrien smith"),
        ("  José   María ", "jose maria"),
        ("Jose\u0301 Mari\u0301a", "jose maria"),  # decomposed accents
        ("Zoë d'Arcy", "zoe darcy"),
        ("Straße", "strasse"),
        ("St. John-Smythe, Jr", "st john smythe jr"),
        ("ＡＮＮＡ", "anna"),  # full-width letters (NFKC)
        ("Ólafur Þórðarson", "olafur þorðarson"),
        ("राम", "राम"),  # Devanagari vowel signs are kept
    ],
)
def test_person_names(value, canonical):
    assert normalise(kind="person_name", value=value) == canonical


def test_names_in_scripts_with_vowel_signs_do_not_collide():
    assert normalise(kind="person_name", value="राम") != normalise(kind="person_name", value="रम")


@pytest.mark.parametrize(
    ("value", "code"),
    [("", "empty"), ("  - ' . ", "empty"), ("John 2", "contains_digit"), ("x" * 600, "too_long")],
)
def test_person_name_rejections(value, code):
    rejects("person_name", value, code)


@SLOW_MACHINE
@given(st.text(max_size=60))
def test_person_name_normalisation_is_idempotent(text):
    try:
        once = normalise(kind="person_name", value=text)
    except InvalidIdentifier:
        return
    assert normalise(kind="person_name", value=once) == once
    assert once == once.strip() and "  " not in once


# --- date of birth ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "canonical"),
    [
        ("2000-02-29", "2000-02-29"),
        ("29/02/2000", "2000-02-29"),
        ("1/2/2003", "2003-02-01"),
        (" 01/02/2003 ", "2003-02-01"),
        ("1900-01-01", "1900-01-01"),
    ],
)
def test_dates_of_birth(value, canonical):
    assert normalise(kind="date_of_birth", value=value) == canonical


def test_date_of_birth_today_is_accepted_and_tomorrow_is_not():
    today = clock.today()
    assert normalise(kind="date_of_birth", value=today.isoformat()) == today.isoformat()
    rejects("date_of_birth", (today + timedelta(days=1)).isoformat(), "date_in_future")


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("2001-02-29", "not_a_date"),
        ("31/04/2000", "not_a_date"),
        ("2000-13-01", "not_a_date"),
        ("0000-01-01", "not_a_date"),
        ("1899-12-31", "date_too_early"),
        ("2000/02/29", "bad_format"),
        ("02/29/2000", "not_a_date"),  # US order is not accepted
        ("29-02-2000", "bad_format"),
        ("2000-2-29", "bad_format"),
        ("２０００-０２-２９", "bad_format"),  # only ASCII digits
        ("", "empty"),
    ],
)
def test_date_of_birth_rejections(value, code):
    rejects("date_of_birth", value, code)


@SLOW_MACHINE
@given(st.dates(min_value=date(1900, 1, 1), max_value=PIN.date()))
def test_every_date_of_birth_reads_the_same_in_iso_and_uk_order(day):
    assert normalise(kind="date_of_birth", value=day.strftime("%d/%m/%Y")) == day.isoformat()
    assert normalise(kind="date_of_birth", value=day.isoformat()) == day.isoformat()


# --- the registry -----------------------------------------------------------------------------


def test_the_six_kinds():
    assert set(KINDS) == {"nhs_number", "upn", "pnc_id", "postcode", "person_name", "date_of_birth"}
    assert KINDS["nhs_number"].normalise("943 476 5919") == "9434765919"


def test_an_unknown_kind_is_a_programming_error_that_does_not_echo_odd_input():
    with pytest.raises(ValueError, match="unknown identifier kind 'nhs'"):
        get_kind("nhs")
    with pytest.raises(ValueError) as info:
        get_kind("9434765919")
    assert "9434765919" not in str(info.value)


def test_normalise_takes_keyword_arguments_only():
    with pytest.raises(TypeError):
        normalise("nhs_number", "9434765919")  # type: ignore[misc]
