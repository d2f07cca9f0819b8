"""The reference the reporting benchmark compares Serment with: the same JSON report, parsed by the
same models, written as plain rows with SQLAlchemy Core in one transaction, with no pseudonyms,
sealing, guard or audit. Run by benchmarks/reporting.py with uvicorn; never part of Serment."""

from __future__ import annotations

import os
import secrets

from fastapi import FastAPI
from sqlalchemy import Boolean, Column, Date, Integer, MetaData, String, Table, create_engine, insert

from serment.web.api.reports import ReportIn

metadata = MetaData()
people = Table(
    "people_plain",
    metadata,
    Column("ref", String(26), primary_key=True),
    Column("nir", String(15)),
    Column("family_name", String(200)),
    Column("given_names", String(200)),
    Column("birth_date", String(10)),
    Column("sex", String(1)),
    Column("address", String(400)),
    Column("phone", String(32)),
    Column("email", String(320)),
)
cases = Table(
    "cases_plain",
    metadata,
    Column("ref", String(26), primary_key=True),
    Column("person_ref", String(26)),
    Column("status", String(12)),
    Column("onset_date", Date),
    Column("asymptomatic", Boolean),
    Column("hospitalised", Boolean),
)
exposures = Table(
    "exposures_plain",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("person_ref", String(26)),
    Column("contact_ref", String(26)),
    Column("date_from", Date),
    Column("date_to", Date),
    Column("setting", String(16)),
)

engine = create_engine(os.environ["REFERENCE_DATABASE_URL"])
if engine.dialect.name == "sqlite":
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA journal_mode=WAL")
        connection.exec_driver_sql("PRAGMA synchronous=FULL")
metadata.create_all(engine)
app = FastAPI()


def _person(body: object) -> dict[str, object]:
    data = body.model_dump()  # type: ignore[attr-defined]
    address = data.pop("address", None)
    data.pop("external_ref", None)
    return {"ref": secrets.token_hex(13), **data, "address": str(address) if address else None}


@app.post("/reference/reports", status_code=201)
def report(body: ReportIn) -> dict[str, object]:
    """The same work as POST /api/v1/reports, minus everything that keeps secrecy."""
    person = _person(body.person)
    case_ref = secrets.token_hex(13)
    contacts = [_person(contact.person) for contact in body.contacts]
    with engine.begin() as connection:
        connection.execute(insert(people), [person, *contacts])
        connection.execute(
            insert(cases).values(
                ref=case_ref,
                person_ref=person["ref"],
                status=body.case.status,
                onset_date=body.case.onset_date,
                asymptomatic=body.case.asymptomatic,
                hospitalised=body.case.hospitalised,
            )
        )
        if contacts:
            connection.execute(
                insert(exposures),
                [
                    {
                        "person_ref": person["ref"],
                        "contact_ref": contact["ref"],
                        "date_from": c.exposure.to_input().date_from,
                        "date_to": c.exposure.to_input().date_to,
                        "setting": c.exposure.setting,
                    }
                    for contact, c in zip(contacts, body.contacts, strict=True)
                ],
            )
    return {"person": person["ref"], "case": case_ref, "contacts": [c["ref"] for c in contacts]}
