"""Minimisation as a table: which fields a report carries, and which of them each preset refuses,
named where they are in the report and by the policy that withholds them."""

from __future__ import annotations

from datetime import date

import pytest

from serment.people import Address, PersonDetails, person_details
from serment.policy import Policy, load_policy
from serment.reporting import CaseInput, CaseReport, ContactInput, ExposureInput, ResultInput
from serment.reporting.minimisation import (
    case_fields,
    case_report_problems,
    contact_problems,
    exposure_fields,
    person_fields,
    result_fields,
    result_problems,
)
from tests.people_data import people

TODAY = date(2026, 3, 2)
FR, VN = load_policy("fr-2020"), load_policy("vn-2020")
INDEX, CONTACT = people(2, seed=31)
RESULT = ResultInput(date(2026, 2, 27), date(2026, 2, 28), "rt-pcr", "positive", "94500-6")
EXPOSURE = ExposureInput(date(2026, 2, 26), date(2026, 2, 26), "household")


def _person(
    *, nir: bool = True, phone: bool = True, email: bool = False, address: bool = False
) -> PersonDetails:
    return person_details(
        nir=CONTACT.nir if nir else None, family_name=CONTACT.family_name, given_names=CONTACT.given_names,
        birth_date=CONTACT.birth_date, sex=CONTACT.sex, phone=CONTACT.phone if phone else None,
        email=CONTACT.email if email else None,
        address=Address(CONTACT.address_line, "69003", "Lyon") if address else None, today=TODAY,
    )  # fmt: skip


def test_a_person_carries_the_fields_that_hold_something() -> None:
    assert person_fields(_person(nir=False, phone=False)) == (
        "family_name",
        "given_names",
        "birth_date",
        "sex",
    )
    assert person_fields(_person(email=True, address=True)) == (
        "nir", "family_name", "given_names", "birth_date", "sex", "address", "phone", "email",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("case", "carried"),
    [
        (CaseInput("confirmed", date(2026, 2, 27), False, False), ("status", "onset_date")),
        (CaseInput("suspected", None, True, True), ("status", "asymptomatic", "hospitalised")),
        (CaseInput("confirmed", date(2026, 2, 27), False, False, "  "), ("status", "onset_date")),
        (CaseInput("confirmed", date(2026, 2, 27), False, False, "deaf"), ("status", "onset_date", "notes")),
    ],
)
def test_false_flags_and_blank_notes_are_not_carried(case: CaseInput, carried: tuple[str, ...]) -> None:
    assert case_fields(case) == carried


def test_results_and_exposures_carry_their_optional_fields_only_when_given() -> None:
    assert result_fields(RESULT) == ("sample_date", "result_date", "test_type", "value", "loinc")
    assert exposure_fields(EXPOSURE) == ("date", "setting")
    detailed = ExposureInput(
        date(2026, 2, 24), date(2026, 2, 26), "work", "work-7", "close", 120, "night shift"
    )
    assert exposure_fields(detailed) == (
        "date",
        "setting",
        "place_id",
        "proximity",
        "duration_minutes",
        "notes",
    )


def _no(field: str, what: str, policy: str = "fr-2020") -> tuple[str, str]:
    return f"contacts.0.person.{field}", f'the policy "{policy}" does not allow {what} for a contact'


@pytest.mark.parametrize(
    ("policy", "person", "refused"),
    [
        (FR, _person(nir=False), []),
        (FR, _person(), [_no("nir", "a NIR")]),
        (FR, _person(nir=False, email=True, address=True), [
            _no("address", "an address"), _no("email", "an e-mail address"),
        ]),
        (VN, _person(nir=False, address=True), []),
        (VN, _person(), [_no("nir", "a NIR", "vn-2020")]),
    ],
)  # fmt: skip
def test_each_preset_refuses_what_it_does_not_let_a_contact_carry(
    policy: Policy, person: PersonDetails, refused: list[tuple[str, str]]
) -> None:
    assert contact_problems(policy, [ContactInput(person, EXPOSURE)]) == refused


def test_a_case_report_names_every_refused_field_where_it_is() -> None:
    contacts = tuple(ContactInput(_person(nir=False), EXPOSURE) for _ in range(2))
    contacts += (ContactInput(_person(nir=False, email=True), EXPOSURE),)
    report = CaseReport(
        _person(email=True), CaseInput("confirmed", date(2026, 2, 27), False, False), RESULT, contacts
    )
    assert case_report_problems(FR, report) == [
        ("contacts.2.person.email", 'the policy "fr-2020" does not allow an e-mail address for a contact')
    ]
    assert case_report_problems(VN, report) == [
        ("person.nir", 'the policy "vn-2020" does not allow a NIR for the person of a case'),
        ("person.email", 'the policy "vn-2020" does not allow an e-mail address for the person of a case'),
        ("contacts.2.person.email", 'the policy "vn-2020" does not allow an e-mail address for a contact'),
    ]


def test_a_result_refuses_the_e_mail_of_the_person_tested_under_fr_2020() -> None:
    assert result_problems(FR, _person(), RESULT, "0") == []
    assert result_problems(FR, _person(email=True), RESULT, "3") == [
        ("3.person.email", 'the policy "fr-2020" does not allow an e-mail address for the person of a result')
    ]
    assert result_problems(FR, None, RESULT, "result") == []
