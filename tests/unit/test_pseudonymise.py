"""Keyring (HKDF per linkage domain), pseudonyms, the bulk column function, and the rule that
no error, report or repr ever holds a raw identifier (DESIGN Decisions 3 and 4)."""

from __future__ import annotations

import copy
import hashlib
import hmac
import pickle
import traceback

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.pseudonymise import (
    KINDS,
    InvalidIdentifier,
    Keyring,
    nhs_check_digit,
    normalise,
    pseudonym,
    pseudonymise_many,
    upn_check_letter,
)

MASTER = bytes(range(32))
SLOW_MACHINE = settings(deadline=None)


@pytest.fixture
def keyring() -> Keyring:
    return Keyring(MASTER)


# --- an independent HKDF (RFC 5869), written with hmac only -----------------------------------


def rfc5869_hkdf_sha256(ikm: bytes, salt: bytes, info: bytes, length: int) -> bytes:
    prk = hmac.new(salt or b"\0" * 32, ikm, hashlib.sha256).digest()  # extract
    okm, block, counter = b"", b"", 1
    while len(okm) < length:  # expand
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        okm += block
        counter += 1
    return okm[:length]


def test_the_reference_hkdf_passes_rfc_5869_test_case_1():
    okm = rfc5869_hkdf_sha256(
        ikm=b"\x0b" * 22,
        salt=bytes(range(13)),
        info=bytes(range(0xF0, 0xFA)),
        length=42,
    )
    assert okm.hex() == (
        "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"
    )


@pytest.mark.parametrize("domain", ["police-council-2025", "schools:truancy", "ünïcode domain"])
def test_key_for_is_hkdf_sha256_of_the_master_key_with_the_domain_in_info(keyring, domain):
    expected = rfc5869_hkdf_sha256(MASTER, b"", b"hub pseudonym v1|" + domain.encode("utf-8"), 32)
    assert keyring.key_for(domain) == expected
    assert keyring.key_for(domain) is keyring.key_for(domain)  # cached


def test_two_domains_never_share_a_key(keyring):
    domains = [f"agreement-{n}" for n in range(200)] + ["a", "a ", "A"]
    assert len({keyring.key_for(d) for d in domains}) == len(domains)


def test_the_keyring_never_shows_or_pickles_its_keys(keyring):
    key = keyring.key_for("d")
    for text in (repr(keyring), str(keyring), f"{keyring}"):
        assert text == "Keyring(<redacted>)"
        assert MASTER.hex() not in text and key.hex() not in text
    with pytest.raises(TypeError):
        pickle.dumps(keyring)
    assert copy.deepcopy(keyring) is keyring
    assert not hasattr(keyring, "__dict__")


@pytest.mark.parametrize(
    ("master", "error"), [(b"short", ValueError), ("0" * 64, TypeError), (None, TypeError)]
)
def test_the_master_key_must_be_32_bytes_or_more(master, error):
    with pytest.raises(error):
        Keyring(master)


@pytest.mark.parametrize("domain", ["", "   ", None, b"bytes"])
def test_a_linkage_domain_is_a_non_empty_string(keyring, domain):
    with pytest.raises(ValueError):
        keyring.key_for(domain)


# --- pseudonym --------------------------------------------------------------------------------


def test_pseudonym_is_hmac_sha256_of_kind_and_canonical_value(keyring):
    expected = hmac.new(
        rfc5869_hkdf_sha256(MASTER, b"", b"hub pseudonym v1|d1", 32),
        b"nhs_number\x1f9434765919",
        hashlib.sha256,
    ).hexdigest()
    assert pseudonym(kind="nhs_number", value="943 476 5919", domain="d1", keyring=keyring) == (
        expected
    )


def test_the_pseudonym_format_never_changes():
    # A pinned vector: if this fails, every stored pseudonym would stop linking.
    assert (
        pseudonym(kind="nhs_number", value="9434765919", domain="d1", keyring=Keyring(MASTER))
        == "61fe3cf1b0a11beb219b30af9c774bb6627a0e920385b56465b6e83c38cb5c9a"
    )


@pytest.mark.parametrize(
    ("kind", "spellings"),
    [
        ("nhs_number", ["9434765919", "943 476 5919", "943-476-5919"]),
        ("upn", ["H801200001001", "h801200001001", "H801 2000 01001"]),
        ("pnc_id", ["1981/0154257C", "81/154257C", "19810154257c"]),
        ("postcode", ["SW1A 1AA", "sw1a1aa", " SW1A  1AA"]),
        ("person_name", ["Siân O'Brien-Smith", "SIAN OBRIEN SMITH", "sian  o’brien smith"]),
        ("date_of_birth", ["2000-02-29", "29/02/2000"]),
    ],
)
def test_spellings_of_one_identifier_share_a_pseudonym(keyring, kind, spellings):
    found = {pseudonym(kind=kind, value=v, domain="d", keyring=keyring) for v in spellings}
    assert len(found) == 1
    (value,) = found
    assert len(value) == 64 and set(value) <= set("0123456789abcdef")


def test_different_domains_give_different_pseudonyms(keyring):
    one = pseudonym(kind="nhs_number", value="9434765919", domain="d1", keyring=keyring)
    two = pseudonym(kind="nhs_number", value="9434765919", domain="d2", keyring=keyring)
    assert one != two


def test_different_master_keys_give_different_pseudonyms():
    values = [
        pseudonym(kind="nhs_number", value="9434765919", domain="d", keyring=Keyring(master))
        for master in (MASTER, bytes(32))
    ]
    assert values[0] != values[1]


def test_the_kind_is_inside_the_mac(keyring):
    # The same text as two kinds: a date of birth and a person name never collide anyway, so
    # compare the MAC input directly for two kinds that share the canonical text.
    key = keyring.key_for("d")
    as_name = hmac.new(key, b"person_name\x1fabc", hashlib.sha256).hexdigest()
    assert pseudonym(kind="person_name", value="ABC", domain="d", keyring=keyring) == as_name
    assert hmac.new(key, b"postcode\x1fabc", hashlib.sha256).hexdigest() != as_name


def test_security_relevant_functions_take_keyword_arguments_only(keyring):
    with pytest.raises(TypeError):
        pseudonym("nhs_number", "9434765919", "d", keyring)  # type: ignore[misc]
    with pytest.raises(TypeError):
        pseudonymise_many("nhs_number", ["9434765919"], "d", keyring)  # type: ignore[misc]


# --- pseudonymise_many ------------------------------------------------------------------------


def test_pseudonymise_many_keeps_order_gaps_and_reports_positions(keyring):
    values = ["9434765919", None, "", "   ", "9434765918", "943 476 5919", "9434765919", "x"]
    results, errors = pseudonymise_many(
        kind="nhs_number", values=iter(values), domain="d", keyring=keyring
    )
    good = pseudonym(kind="nhs_number", value="9434765919", domain="d", keyring=keyring)
    assert results == [good, None, None, None, None, good, good, None]
    assert [(position, error.code) for position, error in errors] == [
        (4, "check_digit"),
        (7, "bad_characters"),
    ]
    assert all(error.__traceback__ is None for _, error in errors)


def test_pseudonymise_many_reports_values_that_are_not_text(keyring):
    results, errors = pseudonymise_many(
        kind="postcode", values=["SW1A 1AA", float("nan"), 12], domain="d", keyring=keyring
    )
    assert results[1:] == [None, None]
    assert [(p, e.code) for p, e in errors] == [(1, "not_text"), (2, "not_text")]


column_values = st.lists(
    st.one_of(
        st.none(),
        st.integers(0, 10**9 - 1)
        .map(lambda n: f"{n:09d}")
        .filter(lambda f: nhs_check_digit(f) is not None)
        .map(lambda f: f + nhs_check_digit(f)),
        st.text("0123456789 -", max_size=14),
    ),
    max_size=30,
)


@SLOW_MACHINE
@given(column_values)
def test_pseudonymise_many_agrees_with_pseudonym_value_by_value(values):
    keyring = Keyring(MASTER)
    results, errors = pseudonymise_many(
        kind="nhs_number", values=values, domain="d", keyring=keyring
    )
    assert len(results) == len(values)
    failed = dict(errors)
    for position, (value, result) in enumerate(zip(values, results, strict=True)):
        if value is None or not value.strip():
            assert result is None and position not in failed
            continue
        try:
            expected = pseudonym(kind="nhs_number", value=value, domain="d", keyring=keyring)
        except InvalidIdentifier as error:
            assert result is None
            assert failed[position].code == error.code
        else:
            assert result == expected and position not in failed


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_pseudonymise_many_agrees_with_pseudonym_for_every_kind(keyring, kind):
    samples = {
        "nhs_number": "9434765919",
        "upn": "G80120000101A",
        "pnc_id": "81/154257C",
        "postcode": "gir0aa",
        "person_name": "Zoë d'Arcy",
        "date_of_birth": "1/2/2003",
    }
    results, errors = pseudonymise_many(
        kind=kind, values=[samples[kind]], domain="d", keyring=keyring
    )
    assert errors == []
    assert results == [pseudonym(kind=kind, value=samples[kind], domain="d", keyring=keyring)]


# --- no raw identifier in any error -----------------------------------------------------------

INVALID_VALUES = {
    "nhs_number": ["9434765918", "94347659", "943476591X", "0000000000", "1234567890"],
    "upn": ["Z801200001001", "H80120000100", "H80120000100S", "Q8012000010019"],
    "pnc_id": ["2001/0171310S", "1923/1Z34567A", "1949/0000001A", "2001/01713101W"],
    "postcode": ["QA1 1AA", "SW1A 1AI", "SW1A 1AAA", "SW1Å 1AA"],
    "person_name": ["Jane 2nd", "x" * 600, "Ann-3"],
    "date_of_birth": ["2001-02-29", "1899-12-31", "2999-01-01", "31/31/2000", "2000/02/29"],
}


def _all_text_of(error: BaseException) -> str:
    parts = [str(error), repr(error), repr(error.args), "".join(traceback.format_exception(error))]
    parts.extend(f"{name}={value!r}" for name, value in vars(error).items())
    return "\n".join(parts)


@pytest.mark.parametrize(
    ("kind", "value"), [(k, v) for k, values in INVALID_VALUES.items() for v in values]
)
def test_errors_never_contain_the_value(keyring, kind, value):
    with pytest.raises(InvalidIdentifier) as info:
        pseudonym(kind=kind, value=value, domain="d", keyring=keyring)
    error = info.value
    text = _all_text_of(error)
    assert value not in text
    assert error.args == (kind, error.code)
    assert error.__cause__ is None and error.__context__ is None
    # Round-trips through pickle (a job queue) without gaining anything.
    assert repr(pickle.loads(pickle.dumps(error))) == repr(error)


@SLOW_MACHINE
@given(
    st.sampled_from(["nhs_number", "upn", "pnc_id", "postcode", "date_of_birth"]),
    st.text("0123456789/- ABCDEFGHJKLMNPQRTUVWXYZabc", min_size=1, max_size=20),
)
def test_no_error_message_contains_a_digit(kind, value):
    # Reason texts hold no digits, so no part of a number can leak into a message.
    try:
        normalise(kind=kind, value=value)
    except InvalidIdentifier as error:
        text = str(error) + repr(error)
        assert not any(c.isdigit() for c in text)
        assert error.__context__ is None


def test_errors_in_a_column_report_carry_no_value(keyring):
    values = [v for vs in INVALID_VALUES.values() for v in vs]
    _, errors = pseudonymise_many(kind="nhs_number", values=values, domain="d", keyring=keyring)
    report = repr(errors) + str([str(e) for _, e in errors])
    for value in values:
        if value.strip():
            assert value not in report


def test_invalid_identifier_refuses_anything_but_the_fixed_tables():
    with pytest.raises(ValueError) as info:
        InvalidIdentifier("nhs_number", "9434765919")
    assert "9434765919" not in str(info.value)
    with pytest.raises(ValueError) as info:
        InvalidIdentifier("9434765919", "check_digit")
    assert "9434765919" not in str(info.value)


def test_check_helpers_build_identifiers_a_generator_can_use():
    # 999 000 000 has no check digit (the remainder gives ten); a generator skips it.
    assert nhs_check_digit("999000000") is None
    numbers = [f + c for n in range(20) if (c := nhs_check_digit(f := f"999{n:06d}"))]
    assert numbers and all(normalise(kind="nhs_number", value=v) == v for v in numbers)
    last12 = "801200001001"
    assert normalise(kind="upn", value=upn_check_letter(last12) + last12) == "H801200001001"
