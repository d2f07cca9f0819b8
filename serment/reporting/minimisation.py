"""Minimisation: a report carries only the fields the policy allows for its kind, or it is refused
whole with nothing stored. Pure checks over plain data, shared by every door: the JSON API and the
reporting services name the field by its place in the report, FHIR by its element, lab files by
their column.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import fields

from serment.people import PersonDetails
from serment.policy import FIELDS, Policy, refusal
from serment.reporting.rules import CaseInput, CaseReport, ContactInput, ExposureInput, ResultInput

Problem = tuple[str, str]


def person_fields(person: PersonDetails) -> tuple[str, ...]:
    """The person fields `person` carries, in vocabulary order."""
    identity = person.identity
    given = {
        "nir": identity.nir, "family_name": person.family_name, "given_names": person.given_names,
        "birth_date": identity.birth_date, "sex": identity.sex, "address": person.address,
        "phone": person.phone, "email": person.email, "external_ref": person.external_ref,
    }  # fmt: skip
    return _carried("person", given)


def case_fields(case: CaseInput) -> tuple[str, ...]:
    """The case fields `case` carries; `asymptomatic` and `hospitalised` only when true."""
    return _carried("case", _values(case))


def result_fields(result: ResultInput) -> tuple[str, ...]:
    """The result fields `result` carries."""
    return _carried("result", _values(result))


def exposure_fields(exposure: ExposureInput) -> tuple[str, ...]:
    """The exposure fields `exposure` carries (its dates are the one field `date`)."""
    return _carried("exposure", {**_values(exposure), "date": exposure.date_from})


def withheld(policy: Policy, kind: str, part: str, carried: Iterable[str]) -> list[str]:
    """The fields of `carried` the policy does not allow the `part` of a `kind` report to carry."""
    allowed = policy.may_carry(kind, part)
    return [field for field in carried if field not in allowed]


def refusals(policy: Policy, kind: str, part: str, carried: Iterable[str], where: str) -> list[Problem]:
    """A (location, message) for each field of `carried` the policy withholds, located under `where`."""
    return [
        (f"{where}.{field}", refusal(policy.name, kind, part, field))
        for field in withheld(policy, kind, part, carried)
    ]


def case_report_problems(policy: Policy, report: CaseReport) -> list[Problem]:
    """What a case report carries that the policy does not allow, each at its place in the report."""
    problems = refusals(policy, "case", "person", person_fields(report.person), "person")
    problems += refusals(policy, "case", "case", case_fields(report.case), "case")
    if report.result is not None:
        problems += refusals(policy, "result", "result", result_fields(report.result), "result")
    return problems + contact_problems(policy, report.contacts)


def result_problems(
    policy: Policy, person: PersonDetails | None, result: ResultInput, where: str
) -> list[Problem]:
    """What a result (and the person tested, when given) carries that the policy does not allow."""
    problems = (
        refusals(policy, "result", "person", person_fields(person), f"{where}.person") if person else []
    )
    return problems + refusals(policy, "result", "result", result_fields(result), where)


def contact_problems(
    policy: Policy, contacts: Sequence[ContactInput], where: str = "contacts"
) -> list[Problem]:
    """What each contact and their exposure carry that the policy does not allow."""
    problems = []
    for number, contact in enumerate(contacts):
        here = f"{where}.{number}"
        problems += refusals(policy, "contact", "person", person_fields(contact.person), f"{here}.person")
        problems += refusals(
            policy, "contact", "exposure", exposure_fields(contact.exposure), f"{here}.exposure"
        )
    return problems


def _values(value: CaseInput | ResultInput | ExposureInput) -> dict[str, object]:
    return {field.name: getattr(value, field.name) for field in fields(value)}


def _carried(part: str, given: Mapping[str, object]) -> tuple[str, ...]:
    # Nothing, false and blank text are not carried: they say nothing the policy could withhold.
    def holds(value: object) -> bool:
        return value is not None and value is not False and not (isinstance(value, str) and not value.strip())

    return tuple(field for field in FIELDS[part] if holds(given.get(field)))
