"""Benchmark of the secrecy pipeline against the bare primitives it is built on.

    python benchmarks/secrecy.py [--records N]

For each of N synthetic identities (French-looking names with accents, valid NIRs, birth dates) it times,
single-threaded, (a) Serment's pipeline: make_identity, canonical, a "core" pseudonym and the sealing of
the family name, given names and NIR, each with its Binding; and (b) the bare primitives on the same
inputs: one HMAC-SHA256 of the already normalised text and three AES-GCM encryptions, with AESGCM built
once (the strict reference) and built for each encryption. It prints a Markdown table of records per
second and the ratios (goal: at most 2.0 against the strict reference) and writes it to
benchmarks/results/secrecy.md.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import os
import platform
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import cryptography
from cryptography.hazmat.backends.openssl.backend import backend
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from rich.console import Console
from rich.progress import Progress

from serment.secrecy import Binding, Pseudonymiser, Sealer, canonical, make_identity, new_key, nir_control_key

RESULTS = Path(__file__).resolve().parent / "results" / "secrecy.md"
REPEATS = 5
GOAL = 2.0
TODAY = date(2026, 3, 2)
KEY_VERSION = 1

# Per record: the normalised canonical text, then (plaintext, associated data) of each sealed field.
Inputs = list[tuple[bytes, tuple[tuple[bytes, bytes], ...]]]

FAMILY_NAMES = [
    "Lefèvre",
    "Dupré",
    "Bénard",
    "Lemaître",
    "Moreau",
    "Girard",
    "Rousseau",
    "Le Guévennec",
    "D'Aboville",
    "Saint-Exupéry",
    "Cœurderoy",
    "Ménard",
    "Fournier",
    "Lévêque",
    "Hébert",
    "Nguyễn",
    "Da Costa",
    "Brûlé",
    "Gaëtan-Dubois",
    "Perrin",
    "Chevalier",
    "Évrard",
    "Mercier",
    "Bouchér",
    "L'Hôpital",
    "Du Bellay",
]
GIVEN_NAMES = [
    "Jean-Étienne",
    "Hélène",
    "Chloé",
    "Gaëlle",
    "François",
    "Anaïs",
    "Noël",
    "Loïc",
    "Zoé",
    "Jérôme",
    "Maëlys",
    "Élodie",
    "Benoît",
    "Inès",
    "Léa",
    "Marie-Hélène",
    "Aurélien",
    "Cécile",
    "Clément",
    "Josué",
]
DEPARTMENTS = [f"{number:02d}" for number in range(1, 96) if number != 20] + ["2A", "2B"]


@dataclass(frozen=True)
class Record:
    """One identity as a laboratory might send it."""

    nir: str
    family_name: str
    given_names: str
    birth_date: str
    sex: str


def synthetic_records(count: int, seed: int = 2020) -> list[Record]:
    """`count` synthetic identities with the spellings people really type: mixed case, spaced NIRs."""
    chance = random.Random(seed)
    records = []
    for _ in range(count):
        born = date(1930, 1, 1) + timedelta(days=chance.randrange(0, 33_000))
        sex = chance.choice("FM")
        first_13 = (
            f"{'2' if sex == 'F' else '1'}{born.year % 100:02d}{born.month:02d}{chance.choice(DEPARTMENTS)}"
            f"{chance.randrange(1, 1000):03d}{chance.randrange(1, 1000):03d}"
        )
        nir = f"{first_13}{nir_control_key(first_13):02d}"
        if chance.random() < 0.5:
            nir = " ".join((nir[0], nir[1:3], nir[3:5], nir[5:7], nir[7:10], nir[10:13], nir[13:]))
        family = chance.choice(FAMILY_NAMES)
        family = family.upper() if chance.random() < 0.3 else family
        given = chance.choice(GIVEN_NAMES)
        given = f"{given} {chance.choice(GIVEN_NAMES)}" if chance.random() < 0.2 else given
        records.append(
            Record(nir, family, given, born.isoformat(), sex.lower() if chance.random() < 0.2 else sex)
        )
    return records


def serment_pipeline(records: list[Record], pseudonymiser: Pseudonymiser, sealer: Sealer) -> int:
    """Normalise, pseudonymise and seal every record, as the identity vault will; returns the bytes sealed."""
    sealed = 0
    for record in records:
        identity = make_identity(
            nir=record.nir,
            family_name=record.family_name,
            given_names=record.given_names,
            birth_date=record.birth_date,
            sex=record.sex,
            today=TODAY,
        )
        person = pseudonymiser.pseudonym("core", canonical(identity).text)
        nir = identity.nir or ""
        sealed += len(
            sealer.seal(record.family_name.encode(), Binding("people", "family_name", person, KEY_VERSION))
        )
        sealed += len(
            sealer.seal(record.given_names.encode(), Binding("people", "given_names", person, KEY_VERSION))
        )
        sealed += len(sealer.seal(nir.encode(), Binding("people", "nir", person, KEY_VERSION)))
    return sealed


def bare_inputs(records: list[Record], pseudonymiser: Pseudonymiser) -> Inputs:
    """The same work already normalised: canonical text and (plaintext, associated data) of each field."""
    inputs: Inputs = []
    for record in records:
        identity = make_identity(
            nir=record.nir,
            family_name=record.family_name,
            given_names=record.given_names,
            birth_date=record.birth_date,
            sex=record.sex,
            today=TODAY,
        )
        text = canonical(identity).text
        person = pseudonymiser.pseudonym("core", text)
        fields = (
            (
                record.family_name.encode(),
                Binding("people", "family_name", person, KEY_VERSION).associated_data(),
            ),
            (
                record.given_names.encode(),
                Binding("people", "given_names", person, KEY_VERSION).associated_data(),
            ),
            ((identity.nir or "").encode(), Binding("people", "nir", person, KEY_VERSION).associated_data()),
        )
        inputs.append((text.encode(), fields))
    return inputs


def bare_primitives(inputs: Inputs, hmac_key: bytes, aead: AESGCM) -> int:
    """One HMAC-SHA256 and three AES-GCM encryptions per record, nothing else; returns the bytes sealed."""
    sealed = 0
    for text, fields in inputs:
        hmac.new(hmac_key, text, hashlib.sha256).hexdigest()
        for plaintext, associated_data in fields:
            nonce = os.urandom(12)
            sealed += 1 + len(nonce) + len(aead.encrypt(nonce, plaintext, associated_data))
    return sealed


def bare_primitives_uncached(inputs: Inputs, hmac_key: bytes, key: bytes) -> int:
    """The same, building AESGCM(key) for each encryption as a naive caller would."""
    sealed = 0
    for text, fields in inputs:
        hmac.new(hmac_key, text, hashlib.sha256).hexdigest()
        for plaintext, associated_data in fields:
            nonce = os.urandom(12)
            sealed += 1 + len(nonce) + len(AESGCM(key).encrypt(nonce, plaintext, associated_data))
    return sealed


def best_of(runs: int, works: list[Callable[[], int]], advance: Callable[[], None]) -> list[float]:
    """The shortest of `runs` timings of each work, in seconds; runs alternate so that a change in the
    machine's load touches every work alike."""
    best = [float("inf")] * len(works)
    for _ in range(runs):
        for index, work in enumerate(works):
            started = time.perf_counter()
            work()
            best[index] = min(best[index], time.perf_counter() - started)
            advance()
    return best


def machine() -> str:
    """The CPU model, cores and memory of this machine, from /proc."""
    cpu = platform.processor() or platform.machine()
    memory = "unknown memory"
    try:
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
        kib = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
        memory = f"{kib / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration):
        pass
    return f"{cpu}, {os.cpu_count()} cores, {memory}"


def report(records: int, pipeline: float, bare: float, uncached: float) -> str:
    """The Markdown report of one run, from the best time in seconds of each work."""
    ratio = pipeline / bare
    verdict = "met" if ratio <= GOAL else "missed"

    def row(label: str, seconds: float) -> str:
        return f"| {label} | {records / seconds:,.0f} | {1e6 * seconds / records:.2f} |"

    return "\n".join(
        [
            "# Secrecy benchmark",
            "",
            f"{records} synthetic identities, best of {REPEATS} alternating single-threaded runs, "
            f"{datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}.",
            "",
            "| measure | records/s | µs per record |",
            "| --- | ---: | ---: |",
            row(
                "Serment pipeline: make_identity, canonical, core pseudonym, 3 seals with a Binding", pipeline
            ),
            row(
                "bare primitives: HMAC-SHA256 of the normalised text, 3 AES-256-GCM (AESGCM built once)", bare
            ),
            row("bare primitives, building AESGCM(key) for each encryption", uncached),
            f"| **ratio pipeline / bare (AESGCM built once)** | **{ratio:.2f}** (goal <= {GOAL}: {verdict}) "
            "| |",
            f"| ratio pipeline / bare (AESGCM built per encryption) | {pipeline / uncached:.2f} | |",
            "",
            f"Machine: {machine()}. Python {platform.python_version()}, "
            f"cryptography {cryptography.__version__}, {backend.openssl_version_text()}.",
            "",
            "Absolute figures depend on the machine and its load; compare the ratios, measured in one run.",
            "",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print the table and write it to benchmarks/results/secrecy.md."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=20_000, help="synthetic identities (default 20000)")
    count = parser.parse_args(argv).records
    if count < 1:
        parser.error("--records must be at least 1")
    records = synthetic_records(count)
    pseudonymiser, key = Pseudonymiser(new_key()), new_key()
    sealer, aead = Sealer(key), AESGCM(key)
    inputs = bare_inputs(records, pseudonymiser)
    hmac_key = pseudonymiser.domain_key("core")

    started = time.perf_counter()
    serment_pipeline(records, pseudonymiser, sealer)
    estimate = (time.perf_counter() - started) * REPEATS * 3
    works = [
        lambda: serment_pipeline(records, pseudonymiser, sealer),
        lambda: bare_primitives(inputs, hmac_key, aead),
        lambda: bare_primitives_uncached(inputs, hmac_key, key),
    ]
    with Progress(console=Console(stderr=True), transient=True, disable=estimate < 1.0) as progress:
        task = progress.add_task("timing", total=len(works) * REPEATS)
        pipeline, bare, uncached = best_of(REPEATS, works, lambda: progress.advance(task))
    text = report(count, pipeline, bare, uncached)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text, encoding="utf-8")
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
