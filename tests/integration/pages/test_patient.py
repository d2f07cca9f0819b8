"""The patient's pages: my record (identity, results, cases, tier and quarantine plan), opened through
the guard and audited; who accessed my data, the clinician's read included; my oppositions registered
and withdrawn, audited; my data downloaded as a FHIR Bundle; nobody else's record, ever; and a clear
page for an account linked to nobody."""

from __future__ import annotations

import json

import httpx
import pytest
from fhir.resources.R4B.bundle import Bundle
from sqlalchemy import select

from serment.installation import Installation
from serment.store.tables import AuditEventRow, OppositionRow
from tests.conftest import Accounts
from tests.integration.pages.oversight_data import ANNE, BRUNO, INDEX, Reported, report, text_of
from tests.pages import Browser, Browsers

pytestmark = pytest.mark.anyio


async def _index_patient(browsers: Browsers, reported: Reported) -> Browser:
    return await browsers.signed_in("patient", name="index-patient", person_ref=reported.index)


async def test_a_patient_reads_their_record_in_plain_words_and_the_read_is_audited(
    browsers: Browsers, client: httpx.AsyncClient, accounts: Accounts, installation: Installation
) -> None:
    reported = await report(client, accounts)
    me = await _index_patient(browsers, reported)

    home = await me.get("/")
    assert home.headers["location"] == "/me", "a patient lands on their record"
    page = await me.get("/me")

    assert page.status_code == 200
    shown = text_of(page.text)
    for mine in (INDEX.family_name, INDEX.given_names, INDEX.nir, INDEX.phone, INDEX.address_line):
        assert mine in shown
    assert "Test PCR" in shown
    assert "Positif" in shown
    assert "Laboratoire Part-Dieu" in shown
    assert "Confirmé" in shown
    assert "vous êtes un cas" in shown
    assert "Isolez-vous au domicile du 27 février 2026 au 6 mars 2026 inclus." in shown
    for other in (ANNE, BRUNO):
        assert other.family_name not in page.text, "the contacts the patient named are not shown by name"
    with installation.database.read() as session:
        reads = session.scalars(
            select(AuditEventRow).where(
                AuditEventRow.actor == "index-patient", AuditEventRow.action == "read"
            )
        ).all()
    assert [(event.subject, event.purpose, event.outcome) for event in reads] == [
        (reported.index, "self", "allowed")
    ]


async def test_a_contact_sees_their_quarantine_and_the_tests_due_in_english(
    browsers: Browsers, client: httpx.AsyncClient, accounts: Accounts
) -> None:
    reported = await report(client, accounts)
    anne = await browsers.signed_in("patient", name="anne", person_ref=reported.contacts[0])
    await anne.post("/language", {"lang": "en", "next": "/me"}, form_of="/me")

    shown = text_of((await anne.get("/me")).text)

    assert "You have been in contact with a case (contact à risque)." in shown
    assert "Stay at home from February 26, 2026 until March 5, 2026 included." in shown
    assert "Get tested on: Thursday, February 26, 2026 Thursday, March 5, 2026" in shown
    assert "No test result." in shown
    assert ANNE.family_name in shown
    assert INDEX.family_name not in shown, "never who the contact was exposed to"


async def test_a_patient_reaches_their_own_record_only(
    browsers: Browsers, client: httpx.AsyncClient, accounts: Accounts
) -> None:
    reported = await report(client, accounts)
    me = await _index_patient(browsers, reported)
    other = reported.contacts[0]

    for path in (f"/dpo/people/{other}/accesses", "/dpo/audit", "/dpo/oppositions"):
        refused = await me.get(path)
        assert refused.status_code == 403, path
    everything = " ".join([(await me.get(path)).text for path in ("/me", "/me/accesses", "/me/oppositions")])
    assert ANNE.family_name not in everything
    assert other not in everything


async def test_the_access_history_shows_the_clinicians_read_with_role_and_organisation(
    browsers: Browsers, client: httpx.AsyncClient, accounts: Accounts
) -> None:
    reported = await report(client, accounts)
    assert (
        await client.get(f"/api/v1/people/{reported.index}", headers=accounts.headers("clinician"))
    ).is_success
    epidemiologist = accounts.headers("epidemiologist")
    assert (await client.get(f"/api/v1/people/{reported.index}", headers=epidemiologist)).status_code == 403
    me = await _index_patient(browsers, reported)

    page = await me.get("/me/accesses")

    assert page.status_code == 200
    rows = [text_of(row) for row in page.text.split("<tr>")[2:]]
    assert any(
        "clinician-1" in row and "Clinicien" in row and "Clinician Org" in row and "Soins" in row
        and "A lu l\u2019identité" in row and "Autorisé" in row
        for row in rows
    ), rows  # fmt: skip
    assert any("epidemiologist-1" in row and "Refusé" in row for row in rows), "refusals are listed too"
    assert "the role epidemiologist may not" not in page.text, (
        "a refusal's technical reason stays with the DPO"
    )


async def test_a_patient_registers_and_withdraws_an_opposition_and_both_are_audited(
    browsers: Browsers, client: httpx.AsyncClient, accounts: Accounts, installation: Installation
) -> None:
    reported = await report(client, accounts)
    me = await _index_patient(browsers, reported)
    page = await me.get("/me/oppositions")
    assert "Recherche" in page.text
    assert "ni vos soins ni le suivi des contacts" in page.text

    opposed = await me.post("/me/oppositions", {"purpose": "research"})
    assert opposed.status_code == 303
    after = text_of((await me.get(opposed.headers["location"])).text)
    assert "Votre opposition est enregistrée" in after
    assert "Active" in after
    assert "Page web" in after

    withdrawn = await me.post("/me/oppositions/research/withdraw", {}, form_of="/me/oppositions")
    assert withdrawn.status_code == 303
    assert "Votre opposition est retirée" in text_of((await me.get(withdrawn.headers["location"])).text)
    with installation.database.read() as session:
        row = session.scalars(select(OppositionRow)).one()
        assert (row.person_ref, row.channel, row.registered_by, row.withdrawn_by) == (
            reported.index, "web", "index-patient", "index-patient"
        )  # fmt: skip
        actions = session.scalars(
            select(AuditEventRow.action).where(AuditEventRow.actor == "index-patient")
        ).all()
    assert {"opposition_registered", "opposition_withdrawn"} <= set(actions)


async def test_opposing_a_purpose_that_cannot_be_opposed_is_explained_and_changes_nothing(
    browsers: Browsers, client: httpx.AsyncClient, accounts: Accounts, installation: Installation
) -> None:
    reported = await report(client, accounts)
    me = await _index_patient(browsers, reported)

    refused = await me.post("/me/oppositions", {"purpose": "care"})

    assert refused.status_code == 422
    assert 'role="alert"' in refused.text
    assert 'aria-invalid="true"' in refused.text
    assert "Choisissez une finalité à laquelle vous pouvez vous opposer." in refused.text
    nothing = await me.post("/me/oppositions/research/withdraw", {}, form_of="/me/oppositions")
    assert nothing.status_code == 422
    with installation.database.read() as session:
        assert session.scalars(select(OppositionRow)).all() == []


async def test_the_export_downloads_a_fhir_bundle_of_my_data(
    browsers: Browsers, client: httpx.AsyncClient, accounts: Accounts, installation: Installation
) -> None:
    reported = await report(client, accounts)
    me = await _index_patient(browsers, reported)

    download = await me.get("/me/export.json")

    assert download.status_code == 200
    assert download.headers["content-type"].startswith("application/fhir+json")
    assert download.headers["content-disposition"] == 'attachment; filename="serment-my-data-2026-03-02.json"'
    bundle = Bundle.model_validate(json.loads(download.content))
    kinds = sorted(entry.resource.get_resource_type() for entry in bundle.entry or [])
    assert kinds == ["Condition", "Observation", "Patient", "RelatedPerson", "RelatedPerson"]
    assert INDEX.nir in download.text
    assert ANNE.family_name not in download.text, "the contacts' identities are theirs, not the patient's"
    with installation.database.read() as session:
        exports = session.scalars(
            select(AuditEventRow.subject).where(
                AuditEventRow.action == "export", AuditEventRow.outcome == "allowed"
            )
        ).all()
    assert exports == [reported.index]


async def test_an_account_linked_to_nobody_is_told_so_on_every_page(browsers: Browsers) -> None:
    lonely = await browsers.signed_in("patient", name="lonely")
    for path in ("/me", "/me/accesses", "/me/oppositions", "/me/export.json"):
        page = await lonely.get(path)
        assert page.status_code == 200, path
        assert "Aucun dossier relié" in page.text
