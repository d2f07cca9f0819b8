"""The policy as documentation, from the same data the guard enforces: Markdown for the published
documents, rich tables for `serment policy show`."""

from __future__ import annotations

from dataclasses import dataclass

from rich.table import Table
from rich.text import Text

from serment.policy.minimisation import FIELDS, REPORT_PARTS
from serment.policy.model import (
    ACTION_MEANINGS,
    ACTIONS,
    CATEGORIES,
    CATEGORY_MEANINGS,
    MEDICAL_ACTIONS,
    PROHIBITED_MEANINGS,
    PURPOSES,
    ROLES,
    Policy,
)
from serment.policy.tracing import PLACE_MEANINGS

NO_GRANT = "-"
_REACHES = {
    "none": "anyone the grant covers",
    "self": "the actor's own record only",
    "assigned": "people assigned to the actor",
}
_COUNTED_FROM = {"last_event": "the person's last event", "event": "the record's own date"}


@dataclass(frozen=True)
class Section:
    """One table of the rendered policy: both renderings are built from the same sections."""

    title: str
    intro: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


def policy_sections(policy: Policy) -> tuple[Section, ...]:
    """The tables that document `policy`, in reading order; for the Markdown and terminal renderings."""
    return (
        Section(
            "Roles",
            "Who acts on the platform; a role without medical data may never be granted an action that "
            "reveals medical or identity data.",
            ("role", "medical data", "description"),
            tuple(
                (name, "yes" if policy.roles[name].medical else "no", policy.roles[name].description)
                for name in ROLES
            ),
        ),
        Section(
            "Purposes",
            "Why personal data may be processed, which people an actor reaches for each purpose, and "
            "whether a person may oppose it (the guard then refuses that use of their data).",
            ("purpose", "reaches", "opposable", "description"),
            tuple(
                (
                    name,
                    _REACHES[policy.purposes[name].relationship],
                    "yes" if policy.purposes[name].opposable else "no",
                    policy.purposes[name].description,
                )
                for name in PURPOSES
            ),
        ),
        Section(
            "Grants",
            f"What each role may do for each purpose; a cell holding {NO_GRANT} grants nothing.",
            ("role", *PURPOSES),
            tuple((role, *(_actions(policy, role, purpose) for purpose in PURPOSES)) for role in ROLES),
        ),
        Section(
            "Actions",
            "What each action lets an actor do; medical actions reveal medical or identity data.",
            ("action", "medical", "lets the actor"),
            tuple(
                (action, "yes" if action in MEDICAL_ACTIONS else "no", ACTION_MEANINGS[action])
                for action in ACTIONS
            ),
        ),
        Section(
            "Retention",
            "How long each category of data is kept; expired data becomes unreadable everywhere at once, "
            "backups included.",
            ("category", "holds", "kept", "counted from"),
            tuple(
                (
                    category,
                    CATEGORY_MEANINGS[category],
                    _months(policy.retention[category].months),
                    _COUNTED_FROM[policy.retention[category].after],
                )
                for category in CATEGORIES
            ),
        ),
        Section(
            "Minimisation",
            "The fields each kind of report may carry; a report carrying any other field is refused "
            f"whole, with nothing stored. A cell holding {NO_GRANT} lists nothing.",
            ("report", "part", "may carry", "never carries"),
            tuple(
                (kind, part, *_carried(policy, kind, part))
                for kind, parts in REPORT_PARTS.items()
                for part in parts
            ),
        ),
        Section(
            "Tracing tiers",
            _tracing_intro(policy),
            ("tier", "name", "place", "days", "tests on days", "tracers call"),
            tuple(
                (
                    str(level),
                    rule.name,
                    PLACE_MEANINGS[rule.place],
                    str(rule.days),
                    ", ".join(str(day) for day in rule.test_days) or NO_GRANT,
                    _calls(policy, level),
                )
                for level, rule in enumerate(policy.tracing.tiers)
            ),
        ),
        Section(
            "Prohibited purposes",
            "No policy may define or grant these purposes: Serment refuses to load one that does.",
            ("purpose", "covers"),
            tuple(PROHIBITED_MEANINGS.items()),
        ),
    )


def _tracing_intro(policy: Policy) -> str:
    rules = policy.tracing
    clears = (
        f"A contact with a negative test at least {rules.clear_after_days} days after their last relevant "
        "exposure passes no tier on, and keeps their own quarantine."
        if rules.negative_test_clears
        else "A negative test does not stop a contact from passing their tier on."
    )
    return (
        f"Tier 0 is a confirmed case; tier k a contact of someone at tier k - 1, down to tier {rules.depth}. "
        f"Exposures count for {rules.lookback_days} days, and from {rules.infectious_before_onset_days} days "
        "before a case's onset. Days are counted from the last relevant exposure (for cases, from the "
        f"onset or positive sample). {clears} Calls are due within {rules.call_within_hours} hours; a "
        f"contact is unreachable after {rules.max_attempts} attempts"
        + ("; contacts in quarantine are followed up daily." if rules.daily_follow_up else ".")
        + f" A cluster alert is raised when {rules.cluster_cases} confirmed cases or more sharing a place "
        f"started within {rules.cluster_days} consecutive days."
    )


def _calls(policy: Policy, level: int) -> str:
    return "yes" if level in policy.tracing.call_tiers else "no"


def render_markdown(policy: Policy) -> str:
    """The policy as a Markdown document, for the published documentation and the people it concerns."""
    parts = [f"# Policy `{policy.name}`", _cell(policy.description)]
    for section in policy_sections(policy):
        parts += [f"## {section.title}", section.intro, _markdown_table(section)]
    return "\n\n".join(parts) + "\n"


def render_tables(policy: Policy) -> list[Table]:
    """The policy as rich tables, one per section, for `serment policy show`."""
    tables = []
    for section in policy_sections(policy):
        table = Table(title=section.title, caption=section.intro, caption_justify="left")
        for header in section.headers:
            table.add_column(header)
        for row in section.rows:
            # Text cells, not strings: a description holding "[bold]" is shown, not interpreted.
            table.add_row(*(Text(cell) for cell in row))
        tables.append(table)
    return tables


def _actions(policy: Policy, role: str, purpose: str) -> str:
    granted = policy.actions_of(role, purpose)
    return ", ".join(action for action in ACTIONS if action in granted) or NO_GRANT


def _carried(policy: Policy, kind: str, part: str) -> tuple[str, str]:
    allowed = policy.may_carry(kind, part)
    carried = [field for field in FIELDS[part] if field in allowed]
    withheld = [field for field in FIELDS[part] if field not in allowed]
    return ", ".join(carried) or NO_GRANT, ", ".join(withheld) or NO_GRANT


def _months(months: int) -> str:
    return "1 month" if months == 1 else f"{months} months"


def _markdown_table(section: Section) -> str:
    lines = [
        "| " + " | ".join(section.headers) + " |",
        "| " + " | ".join("---" for _ in section.headers) + " |",
    ]
    lines += ["| " + " | ".join(_cell(cell) for cell in row) + " |" for row in section.rows]
    return "\n".join(lines)


def _cell(text: str) -> str:
    # A pipe would end the cell and a newline the row; operators write descriptions, not Markdown tables.
    return " ".join(text.split()).replace("|", "\\|")
