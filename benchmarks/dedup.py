"""Duplicate detection quality: precision, recall and review-queue size on a synthetic population
re-reported with realistic errors, registered through the real service.

    python benchmarks/dedup.py [--people 5000] [--rereports 1500] [--namesakes 0.08] [--seed 7]

A seeded French population (with a share renamed to the commonest names, so that namesakes abound)
is registered once, NIRs included. Then some of its people are reported again without their NIR and
with one to three errors each (serment/demo/rereports.py). Each re-report should find its person:
linked automatically (a true link), put in the review queue with them, or missed (a new person with
no pair). A link to anyone else is a false link; so is an original linked to another original.

The headline comes from the service at its thresholds. The table over other thresholds replays the
same comparisons (each identity scored against the people registered before it) with other cut-offs.
Writes benchmarks/results/dedup.md.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import select

from benchmarks.summary import Headline, record, results_dir
from serment.access import Actor, Platform, Request
from serment.clock import FixedClock
from serment.demo.population import Population, generate_population
from serment.demo.rereports import Rereport, details_of, rereports, with_namesakes
from serment.installation import initialise, open_installation
from serment.people import PersonDetails, register_person
from serment.people.linkage import Match, find_matches, profile_of
from serment.people.matching import LINK_AT, REVIEW_AT
from serment.settings import Settings
from serment.store.tables import DuplicatePairRow

RESULTS = results_dir() / "dedup.md"
# `make bench`'s quick scale: a fifth of the population, so that namesakes are rarer than at 5,000.
QUICK_ARGS = ["--people", "1000", "--rereports", "300"]
START = date(2026, 1, 5)
CLINICIAN = Request(Actor(name="clinician-1", role="clinician"), purpose="care")
THRESHOLDS = ((16.0, 12.0), (18.0, 13.0), (LINK_AT, REVIEW_AT), (22.0, 15.0), (24.0, 17.0), (26.0, 18.0))


@dataclass
class Tally:
    """What came of the re-reports and originals at one pair of thresholds."""

    rereports: int
    true_links: int = 0
    false_links: int = 0
    queued: int = 0
    missed: int = 0
    pairs: int = 0
    true_pairs: int = 0
    by_error: dict[str, Counter[str]] = field(default_factory=dict)

    @property
    def precision(self) -> float:
        linked = self.true_links + self.false_links
        return self.true_links / linked if linked else 1.0

    @property
    def recall(self) -> float:
        return self.true_links / self.rereports if self.rereports else 1.0

    @property
    def recall_with_review(self) -> float:
        return (self.true_links + self.queued) / self.rereports if self.rereports else 1.0


@dataclass(frozen=True)
class Scored:
    """An identity's comparisons with the people registered before it: (ref, match) best first."""

    matches: tuple[Match, ...]


def scored(platform: Platform, details: PersonDetails) -> Scored:
    """The comparisons the service would make for `details` now."""
    with platform.database.read() as session:
        found = find_matches(
            platform, session, profile_of(details), with_nir=details.identity.nir is not None
        )
        return Scored(tuple(found))


def run(people: int, count: int, namesakes: float, seed: int) -> tuple[Tally, list[Tally], dict[str, float]]:
    """Register the population and its re-reports; the service's tally, the replayed ones, timings."""
    population = with_namesakes(generate_population(people, seed, start=START), namesakes, seed)
    reports = rereports(population, count, seed + 1)
    with tempfile.TemporaryDirectory() as directory:
        settings = Settings(data_dir=Path(directory) / "data")
        clock = FixedClock(datetime.combine(START, datetime.min.time(), tzinfo=UTC))
        initialise(settings, clock=clock)
        installation = open_installation(settings, clock=clock)
        try:
            return _measure(installation.platform, population, reports)
        finally:
            installation.close()


def _measure(
    platform: Platform, population: Population, reports: list[Rereport]
) -> tuple[Tally, list[Tally], dict[str, float]]:
    refs: list[str] = []
    originals: list[Scored] = []
    tally = Tally(len(reports))
    began = time.perf_counter()
    for person in population.people:
        details = details_of(person.identity_payload(population.households[person.household]), START)
        originals.append(scored(platform, details))
        registered = register_person(platform, CLINICIAN, details)
        refs.append(registered.ref)
        if not registered.created:
            tally.false_links += 1
    originals_seconds = time.perf_counter() - began
    replays: list[tuple[Rereport, Scored]] = []
    truths: dict[str, str] = {}
    began = time.perf_counter()
    for report in reports:
        details = details_of(report.payload, START)
        replays.append((report, scored(platform, details)))
        registered = register_person(platform, CLINICIAN, details)
        truth = refs[report.index]
        if registered.created:
            truths[registered.ref] = truth
        if registered.ref == truth:
            tally.true_links += 1
            _note(tally, report, "linked")
        elif not registered.created:
            tally.false_links += 1
            _note(tally, report, "false link")
        elif _queued(platform, registered.ref, truth):
            tally.queued += 1
            _note(tally, report, "queued")
        else:
            tally.missed += 1
            _note(tally, report, "missed")
    rereports_seconds = time.perf_counter() - began
    tally.pairs, tally.true_pairs = _queue(platform, truths)
    replayed = [_replay(link_at, review_at, refs, originals, replays) for link_at, review_at in THRESHOLDS]
    timings = {"originals": originals_seconds, "rereports": rereports_seconds}
    return tally, replayed, timings


def _note(tally: Tally, report: Rereport, outcome: str) -> None:
    for error in report.errors:
        tally.by_error.setdefault(error, Counter())[outcome] += 1


def _queued(platform: Platform, new_ref: str, truth: str) -> bool:
    first, second = sorted((new_ref, truth))
    with platform.database.read() as session:
        found = session.scalar(
            select(DuplicatePairRow.id).where(
                DuplicatePairRow.first_ref == first, DuplicatePairRow.second_ref == second
            )
        )
    return found is not None


def _queue(platform: Platform, truths: dict[str, str]) -> tuple[int, int]:
    """The open pairs, and how many of them join a re-report to its own person."""
    with platform.database.read() as session:
        pairs = session.execute(
            select(DuplicatePairRow.first_ref, DuplicatePairRow.second_ref).where(
                DuplicatePairRow.status == "open"
            )
        ).all()
    true = sum(truths.get(first) == second or truths.get(second) == first for first, second in pairs)
    return len(pairs), true


def _replay(
    link_at: float,
    review_at: float,
    refs: list[str],
    originals: list[Scored],
    replays: list[tuple[Rereport, Scored]],
) -> Tally:
    tally = Tally(len(replays))
    for scored_original in originals:
        link, reviews = _choose(scored_original, link_at, review_at)
        tally.false_links += link is not None
        tally.pairs += len(reviews)
    for report, scored_report in replays:
        truth = refs[report.index]
        link, reviews = _choose(scored_report, link_at, review_at)
        if link is not None:
            if link == truth:
                tally.true_links += 1
            else:
                tally.false_links += 1
            continue
        tally.pairs += len(reviews)
        if truth in reviews:
            tally.queued += 1
            tally.true_pairs += 1
        else:
            tally.missed += 1
    return tally


def _choose(scored_identity: Scored, link_at: float, review_at: float) -> tuple[str | None, list[str]]:
    decisions = [
        (match.person.ref, match.comparison.decision(link_at, review_at)) for match in scored_identity.matches
    ]
    links = [ref for ref, decision in decisions if decision == "link"]
    if len(links) == 1:
        return links[0], []
    return None, [ref for ref, decision in decisions if decision != "distinct"][:3]


def write(
    tally: Tally, replayed: list[Tally], timings: dict[str, float], arguments: argparse.Namespace
) -> str:
    """The results page."""
    command = (
        f"python benchmarks/dedup.py --people {arguments.people} --rereports {arguments.rereports} "
        f"--namesakes {arguments.namesakes} --seed {arguments.seed}"
    )
    lines = [
        "# Duplicate detection benchmark",
        "",
        f"`{command}`",
        "",
        f"{arguments.people:,} synthetic people (`generate_population`, {arguments.namesakes:.0%} renamed "
        "to the commonest French names) registered with their NIR, then "
        f"{arguments.rereports:,} of them reported again without it, with one to three errors each "
        "(`serment/demo/rereports.py`: AZERTY-neighbour typos, transposed or dropped letters, accents, "
        "hyphens, swapped day and month, a one-digit date typo, no address, a new address, a married "
        "name), all through `register_person` on SQLite.",
        "",
        f"## At the thresholds in use (link from {LINK_AT:g} bits, review from {REVIEW_AT:g})",
        "",
        "| measure | value |",
        "| --- | ---: |",
        f"| precision of automatic links | **{tally.precision:.4f}** "
        f"({tally.true_links} true, {tally.false_links} false) |",
        f"| recall of automatic links | **{tally.recall:.4f}** |",
        f"| recall with the review queue | **{tally.recall_with_review:.4f}** ({tally.queued} queued) |",
        f"| missed (a new person, no pair) | {tally.missed} |",
        f"| review queue | **{tally.pairs}** open pairs, {tally.true_pairs} of them true |",
        "",
        "Outcome of re-reports by error (a re-report with several errors counts under each):",
        "",
        "| error | linked | queued | missed | false link |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for error, outcomes in sorted(tally.by_error.items()):
        lines.append(
            f"| {error} | {outcomes['linked']} | {outcomes['queued']} | {outcomes['missed']} "
            f"| {outcomes['false link']} |"
        )
    lines += [
        "",
        "## Other thresholds",
        "",
        "The same comparisons replayed: each identity scored against the people registered before it "
        "(re-reports against the originals only), decided at other cut-offs.",
        "",
        "| link from | review from | precision | recall | recall with review | review queue | true pairs |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for (link_at, review_at), replay in zip(THRESHOLDS, replayed, strict=True):
        mark = "**" if (link_at, review_at) == (LINK_AT, REVIEW_AT) else ""
        lines.append(
            f"| {mark}{link_at:g}{mark} | {mark}{review_at:g}{mark} | {replay.precision:.4f} "
            f"| {replay.recall:.4f} | {replay.recall_with_review:.4f} | {replay.pairs} "
            f"| {replay.true_pairs} |"
        )
    lines += [
        "",
        "A miss is a re-report scored below the review threshold against its person: mostly a date "
        "typo on top of a name error, or a married name with a new address, where what is left to "
        "agree (given names, birth date, sex) is what unrelated namesakes share too. Lowering the "
        "link threshold buys recall with the first false links; raising it moves true pairs into "
        "the queue, which then grows.",
        "",
        f"Python {sys.version.split()[0]}. Quality only: the wall times ({timings['originals']:.0f} s for "
        f"the originals, {timings['rereports']:.0f} s for the re-reports, each identity scored a second "
        "time for the replay) are no performance measure.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    """Run the benchmark and write its page."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--rereports", type=int, default=1500)
    parser.add_argument("--namesakes", type=float, default=0.08)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--output", type=Path, default=RESULTS)
    arguments = parser.parse_args()
    tally, replayed, timings = run(arguments.people, arguments.rereports, arguments.namesakes, arguments.seed)
    page = write(tally, replayed, timings, arguments)
    arguments.output.write_text(page, encoding="utf-8")
    print(page)
    record("dedup", headlines(tally), options=vars(arguments), notes=[
        f"{arguments.people:,} people, {arguments.rereports:,} re-reports with errors; the reference is a "
        "perfect linkage (ratio = the share of it reached)"
    ])  # fmt: skip


def headlines(tally: Tally) -> list[Headline]:
    """Quality at the thresholds in use beside a perfect linkage (1.0): the ratio is the share reached."""
    perfect = "a perfect linkage"
    return [
        Headline("precision of automatic links", tally.precision, perfect, 1.0, "", higher_is_better=True),
        Headline("recall of automatic links", tally.recall, perfect, 1.0, "", higher_is_better=True),
        Headline(
            "recall with the review queue", tally.recall_with_review, perfect, 1.0, "", higher_is_better=True
        ),
    ]


if __name__ == "__main__":
    main()
