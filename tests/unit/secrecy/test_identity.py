"""Identity normalisation, written as tables of what is sent and what Serment makes of it."""

from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from serment.secrecy import (
    Canonical,
    Identity,
    IdentityError,
    IdentityErrors,
    canonical,
    demographic,
    make_identity,
    nir_control_key,
    normalise_birth_date,
    normalise_name,
    normalise_nir,
    normalise_sex,
)

TODAY = date(2026, 3, 2)


def with_key(first_13: str) -> str:
    """A valid NIR for test data, its key computed here independently of the code under test."""
    corsican = {"2A": "19", "2B": "18"}
    department = first_13[5:7].upper()
    number = int(first_13[:5] + corsican.get(department, department) + first_13[7:])
    return f"{first_13}{97 - number % 97:02d}"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1 85 05 78 006 084 91", "185057800608491"),
        ("185057800608491", "185057800608491"),
        ("1.85.05.78.006.084.91", "185057800608491"),
        ("1-85-05-78-006-084-91", "185057800608491"),
        ("  2 93 07 75 123 456 51 ", "293077512345651"),
        ("2 66 09 2A 004 123 31", "266092A00412331"),
        ("2 66 09 2a 004 123 31", "266092A00412331"),
        ("1 66 09 2B 004 123 11", "166092B00412311"),
        ("1 66 09 2b 004 123 11", "166092B00412311"),
    ],
)
def test_a_valid_nir_is_returned_in_its_15_character_form(raw: str, expected: str) -> None:
    assert normalise_nir(raw) == expected


@pytest.mark.parametrize(
    "first_13",
    [
        "1850578006084",
        "2930775123456",
        "3790199123001",
        "4660920004123",
        "7520220004123",
        "8510520004123",
        "179012A123001",
        "266092B004123",
    ],
)
def test_nirs_with_a_computed_key_are_valid(first_13: str) -> None:
    nir = with_key(first_13)
    assert normalise_nir(nir) == nir
    assert nir_control_key(first_13) == int(nir[13:])


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="0123456789", max_size=17), st.sampled_from([" ", ".", "-", " . "]))
def test_a_nir_of_bare_digits_is_read_as_its_spaced_spelling_is(digits: str, separator: str) -> None:
    def outcome(raw: str) -> str:
        try:
            return normalise_nir(raw)
        except IdentityError as error:
            return f"error: {error}"

    assert outcome(digits) == outcome(separator.join(digits)) == outcome(f" {digits} ")


def test_corsica_counts_as_19_for_2a_and_18_for_2b() -> None:
    assert nir_control_key("266092A004123") == nir_control_key("2660919004123") == 31
    assert nir_control_key("166092B004123") == nir_control_key("1660918004123") == 11


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("1 85 05 78 006 084 9", "the NIR has 14 characters; it needs 15: 13 and a 2-digit key"),
        ("1850578006084", "the NIR has 13 characters; it needs 15: 13 and a 2-digit key"),
        ("1 85 05 78 006 084 911", "the NIR has 16 characters; it needs 15: 13 and a 2-digit key"),
        ("", "the NIR has 0 characters; it needs 15: 13 and a 2-digit key"),
        ("1", "the NIR has 1 character; it needs 15: 13 and a 2-digit key"),
        (
            "1 85 O5 78 006 084 91",
            "the NIR may hold only digits (and 2A or 2B as characters 6-7, for Corsica); "
            "character 4 is not a digit",
        ),
        (
            "1 85 05 2C 006 084 91",
            "the NIR may hold only digits (and 2A or 2B as characters 6-7, for Corsica); "
            "character 7 is not a digit",
        ),
        (
            "1 2A 05 78 006 084 91",
            "the NIR may hold only digits (and 2A or 2B as characters 6-7, for Corsica); "
            "character 3 is not a digit",
        ),
        (
            "1 85 05 78 006 084 9\u0661",
            "the NIR may hold only digits (and 2A or 2B as characters 6-7, for "
            "Corsica); character 15 is not a digit",
        ),
        ("1/85/05/78/006/084/91", "the NIR has 21 characters; it needs 15: 13 and a 2-digit key"),
        ("5 85 05 78 006 084 91", "the NIR must start with 1, 2, 3, 4, 7 or 8 (its sex digit)"),
        ("1 85 05 78 006 084 19", "the NIR has an invalid control key (expected 91)"),
        ("2 66 09 2A 004 123 32", "the NIR has an invalid control key (expected 31)"),
        ("1 79 01 99 123 001 31", "the NIR has an invalid control key (expected 13)"),
    ],
)
def test_a_wrong_nir_is_refused_with_a_sentence_a_person_can_act_on(raw: str, message: str) -> None:
    with pytest.raises(IdentityError) as raised:
        normalise_nir(raw)
    assert raised.value.field == "nir"
    assert str(raised.value) == message


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Lefèvre", "lefevre"),
        ("LEFÈVRE", "lefevre"),
        ("  le   Fèvre ", "le fevre"),
        ("Jean-Étienne", "jean etienne"),
        ("Jean - Étienne", "jean etienne"),
        ("jean__etienne", "jean etienne"),
        ("Jean\u2010Étienne", "jean etienne"),
        ("D'Artagnan", "dartagnan"),
        ("d\u2019artagnan", "dartagnan"),
        ("Cœur", "coeur"),
        ("CŒUR", "coeur"),
        ("Lætitia", "laetitia"),
        ("STRASSE", "strasse"),
        ("straße", "strasse"),
        ("Gaëlle", "gaelle"),
        ("Françoise", "francoise"),
        ("Nguyễn", "nguyen"),
        ("Søren", "soren"),
        ("Łukasz", "lukasz"),
        ("Ｌｅｆèｖｒｅ", "lefevre"),
        ("Marie\u00a0Hélène", "marie helene"),
    ],
)
def test_names_are_matched_without_case_accents_ligatures_or_punctuation(raw: str, expected: str) -> None:
    assert normalise_name(raw) == expected


def test_strasse_and_strasse_with_eszett_are_one_name() -> None:
    assert normalise_name("STRASSE") == normalise_name("straße")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "the name is empty"),
        ("  - _ ' ", "the name is empty"),
        (
            "Dupont|Marie",
            "the name holds '|', which is not a letter; use letters, spaces, hyphens, apostrophes",
        ),
        ("Louis 14", "the name holds '1', which is not a letter; use letters, spaces, hyphens, apostrophes"),
        (
            "Dupont\x00",
            "the name holds '\\x00', which is not a letter; use letters, spaces, hyphens, apostrophes",
        ),
    ],
)
def test_a_name_that_is_empty_or_not_made_of_letters_is_refused(raw: str, message: str) -> None:
    with pytest.raises(IdentityError) as raised:
        normalise_name(raw)
    assert (raised.value.field, str(raised.value)) == ("name", message)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_normalising_a_name_twice_changes_nothing(raw: str) -> None:
    try:
        once = normalise_name(raw)
    except IdentityError:
        return
    assert normalise_name(once) == once
    assert once == once.strip()
    assert "  " not in once
    assert "|" not in once


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1990-02-01", date(1990, 2, 1)),
        (" 1990-02-01 ", date(1990, 2, 1)),
        (date(1990, 2, 1), date(1990, 2, 1)),
        ("1890-01-01", date(1890, 1, 1)),
        ("2026-03-02", TODAY),
    ],
)
def test_a_birth_date_is_an_iso_date_between_1890_and_today(value: str | date, expected: date) -> None:
    assert normalise_birth_date(value, TODAY) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2026-03-03", "the birth date is in the future (after 2026-03-02)"),
        (date(2030, 1, 1), "the birth date is in the future (after 2026-03-02)"),
        ("1889-12-31", "the birth date is before 1890-01-01; check the year"),
        ("01/02/1990", "the birth date must be written YYYY-MM-DD, as in 1990-02-01"),
        ("19900201", "the birth date must be written YYYY-MM-DD, as in 1990-02-01"),
        ("1990-2-1", "the birth date must be written YYYY-MM-DD, as in 1990-02-01"),
        ("1990-02-30", "the birth date is not a day of the calendar"),
        ("", "the birth date must be written YYYY-MM-DD, as in 1990-02-01"),
        ("1990-W05-4", "the birth date must be written YYYY-MM-DD, as in 1990-02-01"),
        ("\uff11\uff19\uff19\uff10-02-01", "the birth date must be written YYYY-MM-DD, as in 1990-02-01"),
        (datetime(1990, 2, 1, 12, 0, tzinfo=UTC), "the birth date must be a date without a time of day"),
    ],
)
def test_a_wrong_birth_date_is_refused(value: str | date, message: str) -> None:
    with pytest.raises(IdentityError) as raised:
        normalise_birth_date(value, TODAY)
    assert (raised.value.field, str(raised.value)) == ("birth_date", message)


@pytest.mark.parametrize(("value", "expected"), [("F", "F"), ("m", "M"), (" x ", "X")])
def test_sex_is_f_m_or_x_whatever_the_case(value: str, expected: str) -> None:
    assert normalise_sex(value) == expected


@pytest.mark.parametrize("value", ["", "H", "female", "1"])
def test_another_sex_is_refused(value: str) -> None:
    with pytest.raises(IdentityError, match=r"^the sex must be F, M or X$"):
        normalise_sex(value)


def test_make_identity_normalises_every_field() -> None:
    identity = make_identity(
        nir="2 66 09 2a 004 123 31",
        family_name="LEFÈVRE",
        given_names="Marie-Hélène",
        birth_date="1966-09-12",
        sex="f",
        today=TODAY,
    )
    assert identity == Identity("266092A00412331", "lefevre", "marie helene", date(1966, 9, 12), "F")


def test_a_blank_nir_counts_as_unknown() -> None:
    identity = make_identity(
        nir="  ", family_name="Dupont", given_names="Jean", birth_date="1980-01-01", sex="M", today=TODAY
    )
    assert identity.nir is None


def test_make_identity_raises_the_single_error_of_one_wrong_field() -> None:
    with pytest.raises(IdentityError) as raised:
        make_identity(
            nir=None, family_name="Dupont", given_names="", birth_date="1980-01-01", sex="M", today=TODAY
        )
    assert (raised.value.field, str(raised.value)) == ("given_names", "the given names are empty")
    assert raised.value.errors == (raised.value,)


def test_make_identity_collects_every_wrong_field() -> None:
    with pytest.raises(IdentityErrors) as raised:
        make_identity(
            nir="1 85 05 78 006 084 19",
            family_name=" - ",
            given_names="Jean",
            birth_date="01/02/1990",
            sex="H",
            today=TODAY,
        )
    assert [(error.field, error.message) for error in raised.value.errors] == [
        ("nir", "the NIR has an invalid control key (expected 91)"),
        ("family_name", "the family name is empty"),
        ("birth_date", "the birth date must be written YYYY-MM-DD, as in 1990-02-01"),
        ("sex", "the sex must be F, M or X"),
    ]
    assert isinstance(raised.value, ValueError)
    assert "the NIR has an invalid control key (expected 91); the family name is empty" in str(raised.value)


def test_the_canonical_text_is_the_nir_when_known() -> None:
    identity = Identity("185057800608491", "lefevre", "jean", date(1985, 5, 20), "M")
    assert canonical(identity) == Canonical("nir:185057800608491", "nir")


def test_the_canonical_text_is_demographic_without_a_nir() -> None:
    identity = Identity(None, "le fevre", "marie helene", date(1966, 9, 12), "F")
    expected = Canonical("person:le fevre|marie helene|1966-09-12|F", "demographic")
    assert canonical(identity) == expected
    assert demographic(Identity("185057800608491", "le fevre", "marie helene", date(1966, 9, 12), "F")) == (
        expected
    )


def test_records_typed_differently_give_one_canonical_text() -> None:
    first = make_identity(
        nir=None,
        family_name="Lefèvre",
        given_names="Jean-Étienne",
        birth_date="1985-05-20",
        sex="M",
        today=TODAY,
    )
    second = make_identity(
        nir=None,
        family_name="LEFEVRE ",
        given_names="jean étienne",
        birth_date=date(1985, 5, 20),
        sex="m",
        today=TODAY,
    )
    assert canonical(first) == canonical(second)


def test_identities_do_not_show_their_identifiers_when_printed() -> None:
    identity = Identity("185057800608491", "lefevre", "jean", date(1985, 5, 20), "M")
    for text in (repr(identity), str(identity), repr(canonical(identity))):
        assert "185057800608491" not in text
        assert "lefevre" not in text
