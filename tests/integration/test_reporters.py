"""A reporter's own reports and patients, a patient's care summary, and a laboratory's past imports:
each only the caller's, every name read through the guard and audited, anyone else answered as nobody
(and the refusal audited)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from serment.access import Actor, Platform, Refused, Request
from serment.people import person_details
from serment.reporting import CaseInput, CaseReport, ContactInput, ExposureInput, ResultInput, report_case
from serment.reporting.import_history import list_own_imports, read_own_import
from serment.reporting.imports import import_results
from serment.reporting.reporters import find_own_patients, list_own_reports, read_own_report
from serment.secrecy import IdentityError
from serment.store.tables import AuditEventRow
from serment.tracing.care_summaries import care_summary
from tests.people_data import Synthetic, people

TODAY = date(2026, 3, 2)
PEOPLE = people(8, seed=31)


def _as(name: str, role: str = "clinician", organisation: str | None = "Cabinet A") -> Request:
    return Request(Actor(name=name, role=role, organisation=organisation), purpose="care", request_id="r-1")


def _details(person: Synthetic, *, contact: bool = False) -> object:
    return person_details(
        nir=None if contact else person.nir, family_name=person.family_name, given_names=person.given_names,
        birth_date=person.birth_date, sex=person.sex, phone=person.phone, today=TODAY,
    )  # fmt: skip


def _report(platform: Platform, request: Request, index: Synthetic, contacts: list[Synthetic]) -> str:
    exposure = ExposureInput(TODAY - timedelta(days=2), TODAY - timedelta(days=2), "household")
    report = CaseReport(
        person=_details(index),  # type: ignore[arg-type]
        case=CaseInput("confirmed", TODAY - timedelta(days=1), False, False, "Calls after six."),
        result=ResultInput(TODAY - timedelta(days=1), TODAY, "rt-pcr", "positive"),
        contacts=tuple(ContactInput(_details(c, contact=True), exposure) for c in contacts),  # type: ignore[arg-type]
    )
    return report_case(platform, request, report).case


def _reads(platform: Platform, actor: str) -> list[AuditEventRow]:
    with platform.database.read() as session:
        return list(
            session.scalars(
                select(AuditEventRow).where(AuditEventRow.actor == actor, AuditEventRow.action == "read")
            )
        )


def test_a_clinician_lists_their_own_reports_newest_first_with_names_and_contact_counts(
    platform: Platform, clock: object
) -> None:
    mine, theirs = _as("dr-a"), _as("dr-b")
    first = _report(platform, mine, PEOPLE[0], [PEOPLE[1], PEOPLE[2]])
    clock.advance(timedelta(minutes=5))  # type: ignore[attr-defined]
    second = _report(platform, mine, PEOPLE[3], [])
    _report(platform, theirs, PEOPLE[4], [PEOPLE[5]])

    page = list_own_reports(platform, mine, limit=1)
    assert [line.case for line in page.items] == [second]
    assert page.has_next
    older = list_own_reports(platform, mine, limit=1, offset=1)
    assert [line.case for line in older.items] == [first]
    assert not older.has_next
    line = older.items[0]
    assert (line.patient.family_name, line.contacts, line.status) == (PEOPLE[0].family_name, 2, "confirmed")
    assert {event.subject for event in _reads(platform, "dr-a")} == {
        line.patient.ref,
        page.items[0].patient.ref,
    }


def test_a_report_reads_back_as_stored_and_only_to_its_reporter(platform: Platform) -> None:
    case = _report(platform, _as("dr-a"), PEOPLE[0], [PEOPLE[1]])

    stored = read_own_report(platform, _as("dr-a"), case)
    assert stored.patient.family_name == PEOPLE[0].family_name
    assert [c.person.given_names for c in stored.contacts] == [PEOPLE[1].given_names]
    assert [(r.test_type, r.value) for r in stored.results] == [("rt-pcr", "positive")]

    with pytest.raises(Refused) as refused:
        read_own_report(platform, _as("dr-b"), case)
    assert refused.value.status == 404
    with platform.database.read() as session:
        outcomes = session.scalars(select(AuditEventRow.outcome).where(AuditEventRow.actor == "dr-b")).all()
    assert outcomes == ["refused"]


def test_a_patient_is_found_by_nir_or_by_family_name_and_birth_date_only_by_their_clinician(
    platform: Platform,
) -> None:
    _report(platform, _as("dr-a"), PEOPLE[0], [PEOPLE[1]])
    patient = PEOPLE[0]
    born = date.fromisoformat(patient.birth_date)

    by_nir = find_own_patients(platform, _as("dr-a"), nir=patient.nir)
    by_name = find_own_patients(
        platform, _as("dr-a"), family_name=patient.family_name.upper(), birth_date=born
    )
    assert [p.family_name for p in by_nir] == [patient.family_name]
    assert by_name == by_nir
    # A contact the clinician named is not their patient; another clinician's patient is nobody.
    contact = PEOPLE[1]
    assert (
        find_own_patients(
            platform,
            _as("dr-a"),
            family_name=contact.family_name,
            birth_date=date.fromisoformat(contact.birth_date),
        )
        == []
    )
    assert find_own_patients(platform, _as("dr-b"), nir=patient.nir) == []
    assert (
        find_own_patients(
            platform, _as("dr-a"), family_name=patient.family_name, birth_date=born + timedelta(1)
        )
        == []
    )
    with pytest.raises(IdentityError):
        find_own_patients(platform, _as("dr-a"), nir=patient.nir[:-2] + "00")


def test_the_care_summary_shows_cases_results_and_tier_to_the_patients_clinician_only(
    platform: Platform,
) -> None:
    case = _report(platform, _as("dr-a"), PEOPLE[0], [PEOPLE[1]])
    ref = read_own_report(platform, _as("dr-a"), case).patient.ref

    summary = care_summary(platform, _as("dr-a"), ref)
    assert summary.details.identity.nir == PEOPLE[0].nir
    assert [(c.ref, c.notes, c.reported_by_caller) for c in summary.cases] == [
        (case, "Calls after six.", True)
    ]
    assert [r.value for r in summary.results] == ["positive"]
    assert summary.quarantine is not None
    assert summary.quarantine.tier == 0

    with pytest.raises(Refused) as refused:
        care_summary(platform, _as("dr-b"), ref)
    assert refused.value.status == 404
    assert not any(event.outcome == "allowed" for event in _reads(platform, "dr-b"))


def test_a_laboratory_lists_its_organisations_imports_and_no_one_elses(
    platform: Platform, tmp_path: Path
) -> None:
    lab, colleague, other = (
        _as("lab-1", "lab", "Biogroup"), _as("lab-2", "lab", "Biogroup"), _as("lab-3", "lab", "Cerballiance")
    )  # fmt: skip
    file = tmp_path / "results.csv"
    person = PEOPLE[6]
    file.write_text(
        "nir,nom,prenom,date_naissance,sexe,date_prelevement,type_test,resultat\n"
        f"{person.nir},{person.family_name},{person.given_names},{person.birth_date},{person.sex},"
        f"{TODAY.isoformat()},pcr,negatif\n"
    )
    imported = import_results(platform, lab, file)

    page = list_own_imports(platform, colleague)
    assert [(item.id, item.rows, item.stored) for item in page.items] == [(imported.import_id, 1, 1)]
    assert list_own_imports(platform, other).items == ()
    assert read_own_import(platform, lab, imported.import_id or "").actor == "lab-1"
    with pytest.raises(Refused):
        read_own_import(platform, other, imported.import_id or "")
