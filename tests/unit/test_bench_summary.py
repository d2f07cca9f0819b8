"""`make bench`'s parts that need no benchmark run: the ratio convention, the JSON summaries, finding
the benchmarks, a failed one, and latest.md rendered from sample summaries."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from benchmarks.latest import Machine, Outcome, figure, reading, render
from benchmarks.run import Benchmark, discover, quick_args, run_one
from benchmarks.summary import RESULTS_VARIABLE, Headline, load_summary, record, results_dir

FAST = Headline("pipeline", 40_000.0, "bare primitives", 50_000.0, "records/s", higher_is_better=True)
SLOW = Headline("page", 100.0, "bare SQL", 5.0, "ms", higher_is_better=False)
HOST = Machine(
    cpu="Test CPU", cores=2, memory_gib=24.0, system="Linux 6", python="3.11.7",
    versions=(("SQLite", "3.40.1"), ("DuckDB", "1.1.0")), commit="abc123", load=(1.0, 1.5),
)  # fmt: skip


@pytest.mark.parametrize(
    ("headline", "ratio"),
    [
        (FAST, 0.8),
        (SLOW, 0.05),
        (Headline("tiers", 69.0, "igraph", 362.0, "ms", higher_is_better=False), 362 / 69),
        (Headline("recall", 0.9, "perfect", 1.0, "", higher_is_better=True), 0.9),
    ],
)
def test_the_ratio_is_serments_speed_relative_to_the_reference(headline: Headline, ratio: float) -> None:
    assert headline.ratio == pytest.approx(ratio)


def test_a_reference_too_fast_to_time_gives_no_ratio_rather_than_an_error() -> None:
    assert math.isnan(Headline("x", 0.0, "y", 0.0, "ms", higher_is_better=False).ratio)
    assert reading(Headline("x", 1.0, "y", 0.0, "rows/s", higher_is_better=True)) == "no ratio"


def test_a_summary_round_trips_through_its_json_file(tmp_path: Path) -> None:
    path = record("secrecy", [FAST, SLOW], notes=["a note"], output=tmp_path / "s.json", options={"n": 5})
    summary = load_summary(path)
    assert summary.name == "secrecy"
    assert summary.headlines == (FAST, SLOW)
    assert summary.notes == ("a note",)
    assert summary.options == {"n": 5}
    assert json.loads(path.read_text())["headlines"][1]["ratio"] == pytest.approx(0.05)


def test_record_writes_into_the_runners_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(RESULTS_VARIABLE, str(tmp_path / "quick"))
    assert results_dir() == tmp_path / "quick"
    assert record("dedup", [FAST]) == tmp_path / "quick" / "dedup.json"


def test_a_benchmark_without_a_headline_is_refused() -> None:
    with pytest.raises(ValueError, match="recorded no headline"):
        record("empty", [])


def test_a_file_that_is_no_summary_is_named(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"name": "x"}')
    with pytest.raises(ValueError, match=r"broken\.json is not a benchmark summary"):
        load_summary(broken)


def test_benchmarks_are_found_by_their_quick_arguments_and_helpers_are_not() -> None:
    found = {benchmark.name: benchmark for benchmark in discover()}
    expected = {"clinic_pages", "dedup", "generator", "imports", "oversight", "pages", "reporting"}
    expected |= {"secrecy", "tracer_queue", "tracing"}
    assert expected <= found.keys()
    helpers = {"exposure_world", "reference_app", "tracing_store", "summary", "latest", "run"}
    assert not helpers & found.keys()
    assert found["tracing"].arguments("full") == ()
    assert "--sizes" in found["tracing"].arguments("quick")


def test_quick_arguments_must_be_a_literal_list_of_strings() -> None:
    assert quick_args('QUICK_ARGS: list[str] = ["--rows", "10"]\n', Path("x.py")) == ("--rows", "10")
    assert quick_args("ROWS = 10\n", Path("helper.py")) is None
    with pytest.raises(ValueError, match="must be a list of strings"):
        quick_args("QUICK_ARGS = [10]\n", Path("bad.py"))


def test_a_benchmark_that_fails_comes_back_with_the_end_of_its_output(tmp_path: Path) -> None:
    outcome = run_one(Benchmark("no_such_benchmark", ()), "quick", tmp_path)
    assert outcome.summary is None
    assert "exit status 1" in outcome.error
    assert "No module named benchmarks.no_such_benchmark" in outcome.error


def test_latest_md_has_the_machine_a_row_per_headline_and_the_failures(tmp_path: Path) -> None:
    summary = load_summary(
        record("secrecy", [FAST, SLOW], notes=["5,000 people"], output=tmp_path / "s.json")
    )
    outcomes = [
        Outcome("secrecy", 12.0, summary=summary),
        Outcome("tracing", 3.0, error="exit status 1\nTraceback (most recent call last):\nMemoryError"),
    ]
    page = render(outcomes, HOST, "quick", "make bench")
    assert "Test CPU, 2 cores, 24 GiB, Linux 6; Python 3.11.7; SQLite 3.40.1, DuckDB 1.1.0." in page
    assert "| secrecy | pipeline | bare primitives | 40,000 records/s | 50,000 records/s |" in page
    assert "**0.8** (1.2x slower) |" in page
    assert "| secrecy | page | bare SQL | 100 ms | 5.00 ms | **0.05** (20x slower) |" in page
    assert "| tracing | **failed** (see below) |" in page
    assert "### tracing\n\n```\nexit status 1\nTraceback (most recent call last):\nMemoryError\n```" in page
    assert "- secrecy: 12 s, `python -m benchmarks.secrecy" in page
    assert "; 5,000 people." in page
    assert "disturbed" not in page


def test_latest_md_says_when_other_work_disturbed_the_figures() -> None:
    busy = Machine(**{**HOST.__dict__, "load": (2.5, 4.0)})
    assert "other work shared the machine" in render([], busy, "quick", "make bench")


@pytest.mark.parametrize(
    ("headline", "words"),
    [
        (Headline("tiers", 69.0, "igraph", 362.0, "ms", higher_is_better=False), "5.2x faster"),
        (Headline("pages", 132.0, "bare SQL", 0.466, "ms", higher_is_better=False), "283x slower"),
        (Headline("spool", 0.364, "in clear", 0.362, "s", higher_is_better=False), "on a par"),
        (Headline("recall", 0.965, "perfect", 1.0, "", higher_is_better=True), "96.5% of it"),
    ],
)
def test_the_ratio_is_also_written_in_words(headline: Headline, words: str) -> None:
    assert reading(headline) == words


@pytest.mark.parametrize(
    ("value", "text"),
    [(40_771.2, "40,771"), (362.1, "362"), (69.12, "69.1"), (4.261, "4.26"), (0.1875, "0.188")],
)
def test_figures_carry_the_digits_a_reader_needs(value: float, text: str) -> None:
    assert figure(value) == text
