"""The documentation rendered from a policy says everything the policy holds, and nothing else."""

from __future__ import annotations

import pytest
from rich.console import Console
from rich.table import Table

from serment.policy import (
    CATEGORIES,
    PROHIBITED_PURPOSES,
    PURPOSES,
    ROLES,
    Policy,
    load_policy,
    render_markdown,
    render_tables,
)

FR = load_policy("fr-2020")


def test_the_markdown_names_every_role_purpose_category_and_prohibited_purpose() -> None:
    document = render_markdown(FR)
    assert document.startswith("# Policy `fr-2020`\n\n")
    for name in (*ROLES, *PURPOSES, *CATEGORIES, *PROHIBITED_PURPOSES):
        assert f"| {name} |" in document, name


def test_the_grant_matrix_has_one_row_per_role_and_one_column_per_purpose() -> None:
    document = render_markdown(FR)
    assert "| role | care | tracing | surveillance | research | audit | self | administration |" in document
    assert "| clinician | register, read, update, merge, report | - | - | - | - | - | - |" in document
    assert "| producer | - | - | - | - | - | - | - |" in document


def test_the_retention_table_says_how_long_and_from_when() -> None:
    document = render_markdown(FR)
    assert "| 3 months | the person's last event |" in document
    assert "| audit | the audit log of every access | 36 months | the record's own date |" in document


def test_the_minimisation_table_says_what_each_part_of_each_report_may_and_never_carries() -> None:
    document = render_markdown(FR)
    assert "| report | part | may carry | never carries |" in document
    assert (
        "| contact | person | family_name, given_names, birth_date, sex, phone | nir, address, email, "
        "external_ref |"
    ) in document
    assert "| case | case | status, onset_date, asymptomatic, hospitalised, notes | - |" in document


def test_the_tracing_intro_states_the_cluster_rule_from_the_policy() -> None:
    data = FR.model_dump()
    data["tracing"] = {**data["tracing"], "cluster_cases": 5, "cluster_days": 10}
    document = render_markdown(Policy.model_validate(data))
    assert "5 confirmed cases or more sharing a place started within 10 consecutive days" in document
    french = render_markdown(FR)
    assert "3 confirmed cases or more sharing a place started within 7 consecutive days" in french


@pytest.mark.parametrize("name", ["fr-2020", "vn-2020"])
def test_the_markdown_ends_with_one_newline(name: str) -> None:
    assert render_markdown(load_policy(name)).endswith("|\n")


def test_a_pipe_in_a_description_does_not_break_a_table() -> None:
    data = FR.model_dump()
    data["roles"]["lab"]["description"] = "Reports results | and nothing else."
    document = render_markdown(Policy.model_validate(data))
    assert "| lab | yes | Reports results \\| and nothing else. |" in document


def test_render_tables_gives_one_rich_table_per_section() -> None:
    tables = render_tables(FR)
    assert all(isinstance(table, Table) for table in tables)
    assert [table.title for table in tables] == [
        "Roles",
        "Purposes",
        "Grants",
        "Actions",
        "Retention",
        "Minimisation",
        "Tracing tiers",
        "Prohibited purposes",
    ]
    assert tables[2].row_count == len(ROLES)


def test_the_tables_show_descriptions_as_written_not_as_markup() -> None:
    data = FR.model_dump()
    data["roles"]["lab"]["description"] = "Reports [bold]results[/bold]."
    console = Console(record=True, width=200)
    for table in render_tables(Policy.model_validate(data)):
        console.print(table)
    assert "Reports [bold]results[/bold]." in console.export_text()
