"""Benchmark of the secrecy work of registering a person against the bare primitives it is built on.

    python benchmarks/secrecy.py [--records N] [--scaling]

For each of N synthetic people (French-looking names with accents, valid NIRs, birth dates, addresses,
phones, e-mails) it times, single-threaded, (a) Serment's pipeline, exactly the secrecy calls of
registration in the identity vault: make_identity, canonical and demographic, the two "core" pseudonyms
(NIR and demographic), a new data key and seal_row of the 9 vault columns; and (b) the bare primitives
on the same inputs, already normalised and encoded: two stdlib HMAC-SHA256, os.urandom(32) for the key,
and 9 AES-256-GCM encryptions with a fixed short associated data, with AESGCM built once per record (the
strict reference: each person has their own data key) and built for each encryption. It prints a
Markdown table of records per second and the ratios (goal: at most 2.0 against the strict reference),
with --scaling the records per second at 1,000, 10,000 and 50,000 people, and writes it all to
benchmarks/results/secrecy.md.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import os
import platform
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path

import cryptography
from cryptography.hazmat.backends.openssl.backend import backend
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from rich.console import Console
from rich.progress import Progress

from benchmarks import summary
from serment.secrecy import (
    Pseudonymiser,
    canonical,
    demographic,
    make_identity,
    new_key,
    nir_control_key,
    seal_row,
)

RESULTS = summary.results_dir() / "secrecy.md"
# `make bench`'s quick scale: 5,000 people (the scaling table still runs to 50,000).
QUICK_ARGS = ["--records", "5000"]
REPEATS = 5
GOAL = 2.0
TODAY = date(2026, 3, 2)
TABLE = "people"
KEY_VERSION = 1
SCALES = (1_000, 10_000, 50_000)
# The reference's associated data: as short as a caller who binds nothing would use.
BARE_AAD = b"people"

# Per record: the two pseudonymised texts, then the plaintext of each sealed column.
Inputs = list[tuple[bytes, bytes, tuple[bytes, ...]]]

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
STREETS = ["rue de la République", "avenue Jean-Jaurès", "boulevard Gambetta", "place de l'Église"]
CITIES = [("75011", "Paris"), ("69003", "Lyon"), ("13005", "Marseille"), ("29200", "Brest")]


@dataclass(frozen=True)
class Record:
    """One person as registration receives them: identity as a laboratory typed it, contact details as
    the vault seals them, and the ref the vault gave them."""

    ref: str
    nir: str
    family_name: str
    given_names: str
    birth_date: str
    sex: str
    address: str
    phone: str
    email: str
    external_ref: str


def synthetic_records(count: int, seed: int = 2020) -> list[Record]:
    """`count` synthetic people with the spellings people really type: mixed case, spaced NIRs."""
    chance = random.Random(seed)
    records = []
    for index in range(count):
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
        postal_code, city = chance.choice(CITIES)
        address = {
            "line": f"{chance.randrange(1, 200)} {chance.choice(STREETS)}",
            "postal_code": postal_code,
            "city": city,
        }
        records.append(
            Record(
                ref=base64.b32encode(chance.randbytes(16)).decode().rstrip("=").lower(),
                nir=nir,
                family_name=family,
                given_names=given,
                birth_date=born.isoformat(),
                sex=sex.lower() if chance.random() < 0.2 else sex,
                address=json.dumps(address, ensure_ascii=False),
                phone=f"+336{chance.randrange(10**7, 10**8)}",
                email=f"{given.split()[0].lower()}.{index}@example.fr",
                external_ref=f"LAB-2026-{index:06d}",
            )
        )
    return records


def serment_pipeline(records: list[Record], pseudonymiser: Pseudonymiser) -> int:
    """The secrecy calls of registering every record in the identity vault; returns the bytes sealed."""
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
        strong = canonical(identity)
        if strong.strength == "nir":
            pseudonymiser.pseudonym("core", strong.text)
        pseudonymiser.pseudonym("core", demographic(identity).text)
        values = {
            "nir": None if identity.nir is None else identity.nir.encode(),
            "family_name": record.family_name.encode(),
            "given_names": record.given_names.encode(),
            "birth_date": identity.birth_date.isoformat().encode(),
            "sex": identity.sex.encode(),
            "address": record.address.encode(),
            "phone": record.phone.encode(),
            "email": record.email.encode(),
            "external_ref": record.external_ref.encode(),
        }
        row = seal_row(new_key(), TABLE, record.ref, KEY_VERSION, values)
        sealed += sum(len(value) for value in row.values() if value is not None)
    return sealed


def bare_inputs(records: list[Record]) -> Inputs:
    """The same work already normalised and encoded: the two pseudonymised texts and 9 plaintexts."""
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
        plaintexts = (
            (identity.nir or "").encode(),
            record.family_name.encode(),
            record.given_names.encode(),
            identity.birth_date.isoformat().encode(),
            identity.sex.encode(),
            record.address.encode(),
            record.phone.encode(),
            record.email.encode(),
            record.external_ref.encode(),
        )
        inputs.append((canonical(identity).text.encode(), demographic(identity).text.encode(), plaintexts))
    return inputs


def bare_primitives(inputs: Inputs, hmac_key: bytes) -> int:
    """Two HMAC-SHA256, a random key, AESGCM built once and 9 encryptions per record, nothing else."""
    sealed = 0
    for strong, weak, plaintexts in inputs:
        hmac.new(hmac_key, strong, hashlib.sha256).hexdigest()
        hmac.new(hmac_key, weak, hashlib.sha256).hexdigest()
        aead = AESGCM(os.urandom(32))
        for plaintext in plaintexts:
            nonce = os.urandom(12)
            sealed += 1 + len(nonce) + len(aead.encrypt(nonce, plaintext, BARE_AAD))
    return sealed


def bare_primitives_uncached(inputs: Inputs, hmac_key: bytes) -> int:
    """The same, building AESGCM(key) for each encryption as a naive caller would."""
    sealed = 0
    for strong, weak, plaintexts in inputs:
        hmac.new(hmac_key, strong, hashlib.sha256).hexdigest()
        hmac.new(hmac_key, weak, hashlib.sha256).hexdigest()
        key = os.urandom(32)
        for plaintext in plaintexts:
            nonce = os.urandom(12)
            sealed += 1 + len(nonce) + len(AESGCM(key).encrypt(nonce, plaintext, BARE_AAD))
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


def scaling(pseudonymiser: Pseudonymiser, hmac_key: bytes) -> list[tuple[int, float, float]]:
    """For each size of SCALES, one timing in seconds of the pipeline and of the strict reference."""
    timings = []
    for count in SCALES:
        records = synthetic_records(count, seed=count)
        inputs = bare_inputs(records)
        pipeline, bare = best_of(
            1,
            [partial(serment_pipeline, records, pseudonymiser), partial(bare_primitives, inputs, hmac_key)],
            lambda: None,
        )
        timings.append((count, pipeline, bare))
    return timings


def report(
    records: int, pipeline: float, bare: float, uncached: float, scales: list[tuple[int, float, float]]
) -> str:
    """The Markdown report of one run, from the best time in seconds of each work."""
    ratio = pipeline / bare
    verdict = "met" if ratio <= GOAL else "missed"

    def row(label: str, seconds: float) -> str:
        return f"| {label} | {records / seconds:,.0f} | {1e6 * seconds / records:.2f} |"

    lines = [
        "# Secrecy benchmark",
        "",
        f"{records} synthetic people, best of {REPEATS} alternating single-threaded runs, "
        f"{datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}.",
        "",
        "| measure | records/s | µs per record |",
        "| --- | ---: | ---: |",
        row(
            "Serment pipeline: make_identity, canonical, demographic, 2 core pseudonyms, new_key, "
            "seal_row of 9 columns",
            pipeline,
        ),
        row(
            "bare primitives: 2 HMAC-SHA256 of the normalised texts, os.urandom(32), "
            "9 AES-256-GCM (AESGCM built once per record)",
            bare,
        ),
        row("bare primitives, building AESGCM(key) for each encryption", uncached),
        f"| **ratio pipeline / bare (AESGCM built once per record)** | **{ratio:.2f}** "
        f"(goal <= {GOAL}: {verdict}) | |",
        f"| ratio pipeline / bare (AESGCM built per encryption) | {pipeline / uncached:.2f} | |",
        "",
        "seal_row reads a row's 9 nonces from os.urandom in one call; the bare primitives read one per "
        "encryption. The rest of registration (the person ref, checking contact details, the address as "
        "JSON, wrapping the data key, the database) is in neither.",
        "",
        "## Scaling",
        "",
        "One run of each size; records/s should not fall as the batch grows.",
        "",
        "| people | pipeline records/s | bare records/s (AESGCM once per record) | ratio |",
        "| ---: | ---: | ---: | ---: |",
    ]
    lines += [
        f"| {count:,} | {count / seconds:,.0f} | {count / reference:,.0f} | {seconds / reference:.2f} |"
        for count, seconds, reference in scales
    ]
    lines += [
        "",
        f"Machine: {machine()}. Python {platform.python_version()}, "
        f"cryptography {cryptography.__version__}, {backend.openssl_version_text()}.",
        "",
        "Absolute figures depend on the machine and its load; compare the ratios, measured in one run.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print the table and write it to benchmarks/results/secrecy.md."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=20_000, help="synthetic people (default 20000)")
    count = parser.parse_args(argv).records
    if count < 1:
        parser.error("--records must be at least 1")
    records = synthetic_records(count)
    pseudonymiser = Pseudonymiser(new_key())
    inputs = bare_inputs(records)
    hmac_key = pseudonymiser.domain_key("core")

    started = time.perf_counter()
    serment_pipeline(records, pseudonymiser)
    estimate = (time.perf_counter() - started) * REPEATS * 3
    works = [
        lambda: serment_pipeline(records, pseudonymiser),
        lambda: bare_primitives(inputs, hmac_key),
        lambda: bare_primitives_uncached(inputs, hmac_key),
    ]
    with Progress(console=Console(stderr=True), transient=True, disable=estimate < 1.0) as progress:
        task = progress.add_task("timing", total=len(works) * REPEATS)
        pipeline, bare, uncached = best_of(REPEATS, works, lambda: progress.advance(task))
    text = report(count, pipeline, bare, uncached, scaling(pseudonymiser, hmac_key))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text, encoding="utf-8")
    sys.stdout.write(text)
    summary.record("secrecy", [
        summary.Headline("registration's secrecy pipeline", count / pipeline,
                 "the bare primitives (HMAC, urandom, AES-GCM built once per record)", count / bare,
                 "records/s", higher_is_better=True),
    ], options={"records": count}, notes=[f"{count:,} people, best of {REPEATS} runs"])  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
