"""The presets shipped with Serment load, by name or by path, and say what the brief asks of them."""

from __future__ import annotations

from pathlib import Path

import pytest

from serment.policy import CATEGORIES, FIELDS, PURPOSES, REPORT_KINDS, ROLES, load_policy, preset_names
from serment.policy.loader import PRESETS
from serment.settings import POLICY_PRESETS


def test_the_presets_are_fr_2020_and_vn_2020() -> None:
    assert preset_names() == ("fr-2020", "vn-2020")


def test_the_settings_offer_exactly_the_shipped_presets() -> None:
    assert tuple(POLICY_PRESETS) == preset_names()


@pytest.mark.parametrize("name", preset_names())
def test_each_preset_loads_under_its_own_name(name: str) -> None:
    policy = load_policy(name)
    assert policy.name == name
    assert tuple(policy.roles) == ROLES
    assert tuple(policy.purposes) == PURPOSES
    assert set(policy.retention) == set(CATEGORIES)


@pytest.mark.parametrize("name", preset_names())
def test_each_preset_says_where_its_retention_figures_come_from(name: str) -> None:
    text = (PRESETS / f"{name}.toml").read_text(encoding="utf-8")
    assert text.startswith("# ")
    assert "Where the retention figures come from" in text


def test_a_preset_copied_to_a_file_loads_from_its_path(tmp_path: Path) -> None:
    path = tmp_path / "fr-custom.toml"
    path.write_text((PRESETS / "fr-2020.toml").read_text(encoding="utf-8"), encoding="utf-8")
    assert load_policy(path) == load_policy("fr-2020")
    assert load_policy(str(path)) == load_policy("fr-2020")


def test_fr_2020_keeps_identities_three_months_after_the_last_event() -> None:
    policy = load_policy("fr-2020")
    for category in ("identity", "results", "cases", "contacts", "tracing_tasks"):
        assert (policy.retention[category].months, policy.retention[category].after) == (3, "last_event")
    assert (policy.retention["surveillance"].months, policy.retention["surveillance"].after) == (12, "event")
    assert (policy.retention["audit"].months, policy.retention["audit"].after) == (36, "event")


def test_vn_2020_differs_from_fr_2020_in_retention_and_in_tracers_registering() -> None:
    fr, vn = load_policy("fr-2020"), load_policy("vn-2020")
    months = {category: vn.retention[category].months for category in CATEGORIES}
    assert months == {
        "identity": 2,
        "results": 6,
        "cases": 6,
        "contacts": 2,
        "tracing_tasks": 2,
        "audit": 24,
        "surveillance": 24,
    }
    assert vn.actions_of("tracer", "tracing") == fr.actions_of("tracer", "tracing") | {"register"}
    others = [grant for grant in vn.grants if grant.role != "tracer"]
    assert others == [grant for grant in fr.grants if grant.role != "tracer"]


@pytest.mark.parametrize("name", preset_names())
def test_administering_roles_see_no_medical_data_in_any_preset(name: str) -> None:
    policy = load_policy(name)
    assert not policy.roles["admin"].medical
    assert not policy.roles["dpo"].medical


@pytest.mark.parametrize("name", preset_names())
def test_every_description_is_one_plain_sentence(name: str) -> None:
    policy = load_policy(name)
    descriptions = [policy.description]
    descriptions += [role.description for role in policy.roles.values()]
    descriptions += [purpose.description for purpose in policy.purposes.values()]
    for description in descriptions:
        assert description.endswith(".")
        assert description.count(". ") == 0, description


def test_fr_2020_keeps_the_nir_and_e_mail_of_contacts_and_the_e_mail_of_tested_people_out() -> None:
    policy = load_policy("fr-2020")
    assert policy.may_carry("contact", "person") == {
        "family_name",
        "given_names",
        "birth_date",
        "sex",
        "phone",
    }
    assert "email" not in policy.may_carry("result", "person")
    assert {"nir", "phone", "address"} <= policy.may_carry("result", "person")
    assert policy.may_carry("case", "person") == set(FIELDS["person"])
    assert policy.may_carry("vaccination", "person") == frozenset()
    assert "notes" in policy.may_carry("case", "case") & policy.may_carry("contact", "exposure")


def test_vn_2020_carries_no_nir_and_no_e_mail_but_the_address_of_contacts() -> None:
    policy = load_policy("vn-2020")
    for kind in REPORT_KINDS:
        assert not {"nir", "email"} & policy.may_carry(kind, "person"), kind
    assert {"address", "phone"} <= policy.may_carry("contact", "person")
