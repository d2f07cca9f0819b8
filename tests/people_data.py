"""Synthetic French identities for tests: valid NIRs computed from their parts, distinctive names."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

FAMILY = [
    "Durand-Lefebvre", "Moreau-Fontaine", "Lambertini", "Rousseaux", "Bonnefoy", "Vasseur-Morel",
    "Chevallier", "Marchandise", "Guillemette", "Brunetière", "Delacroix-Pons", "Laurentin",
]  # fmt: skip
GIVEN = [
    "Élodie", "Anne-Sophie", "Jean-Baptiste", "Maëlys", "François", "Hélène", "Grégoire", "Noémie",
    "Théophile", "Capucine", "Bénédicte", "Aurélien",
]  # fmt: skip


def nir_for(sex: str, birth: date, department: str, commune: int, order: int) -> str:
    """A NIR with its correct control key (Corsica 2A/2B counted as 19/18 for the key)."""
    first = "1" if sex == "M" else "2"
    body = f"{first}{birth.year % 100:02d}{birth.month:02d}{department}{commune:03d}{order:03d}"
    numeric = body.replace("2A", "19").replace("2B", "18")
    return f"{body}{97 - int(numeric) % 97:02d}"


@dataclass(frozen=True)
class Synthetic:
    """One synthetic person, as a clinician would send them."""

    nir: str
    family_name: str
    given_names: str
    birth_date: str
    sex: str
    phone: str
    email: str
    address_line: str

    def payload(self, *, with_nir: bool = True, with_email: bool = True) -> dict[str, object]:
        """The JSON body of POST /api/v1/people; without the e-mail, what fr-2020 lets a result's person
        carry."""
        body: dict[str, object] = {
            "family_name": self.family_name,
            "given_names": self.given_names,
            "birth_date": self.birth_date,
            "sex": self.sex,
            "phone": self.phone,
            "address": {"line": self.address_line, "postal_code": "69003", "city": "Lyon"},
        }
        if with_email:
            body["email"] = self.email
        if with_nir:
            body["nir"] = self.nir
        return body

    def contact_payload(self) -> dict[str, object]:
        """The person as a contact in a report: what fr-2020 lets a contact carry (names, birth date,
        sex and phone)."""
        return {
            "family_name": self.family_name,
            "given_names": self.given_names,
            "birth_date": self.birth_date,
            "sex": self.sex,
            "phone": self.phone,
        }

    def identifiers(self) -> list[str]:
        """Every direct identifier that must never appear in clear at rest."""
        return [
            self.nir, self.family_name, self.given_names, self.phone, self.email, self.address_line,
        ]  # fmt: skip


def _letters(index: int) -> str:
    # Names hold letters only; a distinct suffix per person keeps every identifier unique.
    suffix = ""
    for _ in range(4):
        index, digit = divmod(index, 26)
        suffix += "bcdfghjklmnpqrstvwxzaeiouy"[digit]
    return suffix.capitalize()


def people(count: int, seed: int = 2020) -> list[Synthetic]:
    """`count` distinct synthetic people, reproducibly."""
    chooser = random.Random(seed)
    made = []
    for index in range(count):
        sex = chooser.choice("FM")
        birth = date(1935, 1, 1) + timedelta(days=chooser.randrange(0, 365 * 85))
        department = chooser.choice(["69", "75", "13", "2A", "2B", "33"])
        family = f"{chooser.choice(FAMILY)}-{_letters(index)}"
        given = chooser.choice(GIVEN)
        made.append(
            Synthetic(
                nir=nir_for(sex, birth, department, chooser.randrange(1, 990), chooser.randrange(1, 999)),
                family_name=family,
                given_names=given,
                birth_date=birth.isoformat(),
                sex=sex,
                phone=f"+3361{index:07d}",
                email=f"patient.{family.lower()}@courriel.example",
                address_line=f"{index + 1} rue des Tilleuls-{family}",
            )
        )
    return made
