"""The figures of the load benchmark (benchmarks/load.py) and its Markdown page: per-kind throughput
and latency, errors, and whether the server's memory stayed flat. Plain data and pure functions, kept
apart from load.py so that nothing here imports locust (which monkey-patches the process with gevent)."""

from __future__ import annotations

from dataclasses import dataclass, field

# Memory is flat when the growth the second half's slope predicts over the whole run is under this
# share of the RSS after warm-up.
FLAT_SHARE = 0.05


@dataclass(frozen=True)
class Kind:
    """One kind of request (a role's action) over the measured window."""

    name: str
    method: str
    requests: int
    errors: int
    expected_4xx: dict[int, int]
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


@dataclass(frozen=True)
class Memory:
    """The server's resident memory, sampled every second from the end of warm-up: (seconds, MB)."""

    samples: list[tuple[float, float]]

    @property
    def start_mb(self) -> float:
        return self.samples[0][1]

    @property
    def end_mb(self) -> float:
        return self.samples[-1][1]

    @property
    def max_mb(self) -> float:
        return max(mb for _, mb in self.samples)

    @property
    def minutes(self) -> float:
        return (self.samples[-1][0] - self.samples[0][0]) / 60

    @property
    def slope_mb_per_min(self) -> float:
        """Least-squares slope over the second half: the first half holds caches filling up."""
        middle = self.samples[0][0] + self.minutes * 30
        return slope([(t / 60, mb) for t, mb in self.samples if t >= middle])

    @property
    def growth_share(self) -> float:
        """What that slope would add over the whole run, as a share of the RSS after warm-up."""
        return abs(self.slope_mb_per_min) * self.minutes / self.start_mb

    @property
    def flat(self) -> bool:
        return self.growth_share < FLAT_SHARE

    def table(self) -> list[tuple[float, float]]:
        """A sample per minute (every 10 s for runs under three minutes), and the last one."""
        step = 60.0 if self.minutes >= 3 else 10.0
        origin = self.samples[0][0]
        chosen: list[tuple[float, float]] = []
        mark = 0.0
        for t, mb in self.samples:
            if t - origin >= mark:
                chosen.append((t - origin, mb))
                mark += step
        if chosen[-1][0] != self.samples[-1][0] - origin:
            chosen.append((self.samples[-1][0] - origin, self.end_mb))
        return chosen


def slope(points: list[tuple[float, float]]) -> float:
    """The least-squares slope of y over x; 0 for fewer than two distinct x."""
    if len(points) < 2:
        return 0.0
    mean_x = sum(x for x, _ in points) / len(points)
    mean_y = sum(y for _, y in points) / len(points)
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    if spread == 0:
        return 0.0
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / spread


@dataclass(frozen=True)
class Outcome:
    """Everything a run measured, for the page and the summary."""

    command: str
    backend: str
    people: int
    days: int
    users: int
    wait: tuple[float, float]
    seconds: float
    kinds: list[Kind]
    total: Kind
    reference: Kind
    memory: Memory
    failures: list[tuple[str, str, int]]
    machine: str
    notes: list[str] = field(default_factory=list)
    # A fresh server on the data the run left, after the same warm-up: what the data alone costs.
    restarted: Memory | None = None
    # The SQLite database's size (MB, with its WAL) when the load began and when it ended.
    data_mb: tuple[float, float] | None = None

    @property
    def uptime_mb(self) -> float | None:
        """What the long-lived server holds beyond a fresh one on the same data: memory that came
        from running (a leak, fragmentation), not from the data held."""
        return None if self.restarted is None else self.memory.end_mb - self.restarted.end_mb

    @property
    def leak_free(self) -> bool | None:
        """Whether uptime accounts for less than FLAT_SHARE of the RSS after warm-up."""
        uptime = self.uptime_mb
        return None if uptime is None else uptime / self.memory.start_mb < FLAT_SHARE

    @property
    def requests(self) -> int:
        return sum(kind.requests for kind in self.kinds)

    @property
    def errors(self) -> int:
        return sum(kind.errors for kind in self.kinds)

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def ratio(self) -> float:
        return self.per_second / self.reference.per_second if self.reference.per_second else float("nan")

    def per_second_of(self, name: str) -> float:
        return sum(kind.per_second for kind in self.kinds if kind.name == name)


def _kind_row(kind: Kind) -> str:
    expected = ", ".join(f"{status} x {count}" for status, count in sorted(kind.expected_4xx.items())) or "-"
    share = kind.errors / kind.requests if kind.requests else 0.0
    return (
        f"| {kind.method} {kind.name} | {kind.requests:,} | {kind.per_second:.1f} | {kind.p50_ms:.0f} "
        f"| {kind.p95_ms:.0f} | {kind.p99_ms:.0f} | {kind.errors} ({share:.2%}) | {expected} |"
    )


def render(outcome: Outcome) -> str:
    """The Markdown page of one run."""
    memory = outcome.memory
    wait = (
        "none (closed loop, back to back)"
        if outcome.wait == (0, 0)
        else f"{outcome.wait[0]:g} to {outcome.wait[1]:g} s"
    )
    error_share = outcome.errors / outcome.requests if outcome.requests else 0.0
    lines = [
        "# Load benchmark",
        "",
        f"A mixed day of an outbreak against one `serment serve` on {outcome.backend}, loaded with a demo "
        f"of {outcome.people:,} people over {outcome.days} days: {outcome.users} locust users (clinicians, "
        f"labs, tracers, epidemiologists), think time {wait}, {outcome.seconds:g} s measured after warm-up.",
        "",
        f"Command: `{outcome.command}`",
        "",
        "| measure | Serment, mixed load | reference: GET /health, same users | ratio |",
        "| --- | ---: | ---: | ---: |",
        f"| requests/s | {outcome.per_second:.1f} | {outcome.reference.per_second:.1f} "
        f"| **{outcome.ratio:.2f}** |",
        f"| p50 / p95 / p99 ms | {outcome.total.p50_ms:.0f} / {outcome.total.p95_ms:.0f} / "
        f"{outcome.total.p99_ms:.0f} | {outcome.reference.p50_ms:.0f} / "
        f"{outcome.reference.p95_ms:.0f} / {outcome.reference.p99_ms:.0f} | |",
        "",
        "The ratio is the mixed workload's requests per second over what the same locust users get from "
        "`GET /health` on the same server in the same run (HTTP, middleware, one database ping): the share "
        "of the server's bare request rate that real work keeps. Reports, results and tracing outcomes each "
        "write several people, sealed fields and audit events in one transaction.",
        "",
        "## Per kind",
        "",
        "| request | count | req/s | p50 ms | p95 ms | p99 ms | errors | expected 4xx |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
        *(_kind_row(kind) for kind in outcome.kinds),
        "",
        f"Errors: {outcome.errors} of {outcome.requests:,} ({error_share:.2%}). An error is any answer "
        "other than 2xx, except the 4xx a real user meets (listed above: 409 when another session of the "
        "same tracer closed the task first).",
        "",
        *_failures(outcome.failures),
        "## Memory of the server process",
        "",
        f"RSS after warm-up {memory.start_mb:.0f} MB, at the end {memory.end_mb:.0f} MB, highest "
        f"{memory.max_mb:.0f} MB; slope over the second half {memory.slope_mb_per_min:+.2f} MB/min, i.e. "
        f"{memory.growth_share:.1%} of the starting RSS over the run: "
        f"**{'flat' if memory.flat else 'NOT flat'}** (flat means under {FLAT_SHARE:.0%}).",
        "",
        "| time (s) | RSS (MB) |",
        "| ---: | ---: |",
        *(f"| {t:.0f} | {mb:.1f} |" for t, mb in memory.table()),
        "",
        *_data_and_uptime(outcome),
        *(f"- {note}" for note in outcome.notes),
        *([""] if outcome.notes else []),
        f"Machine: {outcome.machine}. Load generator, server and database share it; absolute figures "
        "depend on it, the ratio less so.",
    ]
    return "\n".join(lines) + "\n"


def _failures(failures: list[tuple[str, str, int]]) -> list[str]:
    if not failures:
        return []
    return [
        "| request | error | count |",
        "| --- | --- | ---: |",
        *(f"| {name} | {error} | {count} |" for name, error, count in failures),
        "",
    ]


def _data_and_uptime(outcome: Outcome) -> list[str]:
    """Whether the growth is the data's or the uptime's: a server started afresh on the data the run
    left, loaded the same way for the same warm-up, holds what the data costs; the long-lived server's
    excess over it is what running cost (a leak would show there)."""
    lines = []
    if outcome.data_mb is not None:
        before, after = outcome.data_mb
        lines.append(
            f"The database grew from {before:.1f} MB to {after:.1f} MB during the run "
            f"({after / before - 1:+.0%}): "
            "every report adds people, sealed fields, exposures, tiers, tasks and audit events, and the "
            "epidemiologists' chains and tiers are computed from all of it on each request."
        )
    restarted, uptime = outcome.restarted, outcome.uptime_mb
    if restarted is not None and uptime is not None:
        lines.append(
            f"A fresh server on the data the run left, under the same load, held {restarted.end_mb:.0f} MB "
            f"after the same warm-up, against {outcome.memory.end_mb:.0f} MB for the server that ran "
            f"throughout: uptime accounts for {uptime:+.0f} MB "
            f"({uptime / outcome.memory.start_mb:+.1%} of the "
            f"RSS after warm-up): **{'no leak' if outcome.leak_free else 'a leak'}** (under {FLAT_SHARE:.0%} "
            "is no leak); the rest of the growth is the data's."
        )
    return [f"{line}\n" for line in lines]
