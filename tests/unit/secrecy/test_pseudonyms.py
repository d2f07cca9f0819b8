"""Pseudonyms: one per person and domain, stable across restarts, unlinkable across domains."""

import hashlib
import hmac

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from hypothesis import given, settings
from hypothesis import strategies as st

from serment.secrecy import Pseudonymiser, validate_domain

ROOT = bytes(range(32))
project_ids = st.from_regex(r"[a-z0-9][a-z0-9-]{0,63}", fullmatch=True)
domains = st.one_of(
    st.sampled_from(["core", "hub", "linkage"]), project_ids.map(lambda name: f"project:{name}")
)
EXAMPLES = settings(max_examples=60, deadline=None)


@pytest.mark.parametrize(
    "domain", ["core", "hub", "linkage", "project:a", "project:covid-19-cohort", "project:" + "a" * 64]
)
def test_valid_domains_are_returned_unchanged(domain: str) -> None:
    assert validate_domain(domain) == domain


@pytest.mark.parametrize(
    "domain",
    [
        "",
        "Core",
        "hubs",
        "project:",
        "project:-a",
        "project:A",
        "project:a_b",
        "project:" + "a" * 65,
        "project:a\n",
        "project:é",
        "project",
        "research:a",
        "Linkage",
    ],
)
def test_other_domains_are_refused_with_what_is_allowed(domain: str) -> None:
    with pytest.raises(
        ValueError, match=r"is not a pseudonym domain: use 'core', 'hub', 'linkage' or 'project:<id>'"
    ):
        validate_domain(domain)


def test_a_pseudonym_is_hmac_sha256_under_the_hkdf_domain_key() -> None:
    domain_key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"serment/pseudonym/v1", info=b"core"
    ).derive(ROOT)
    expected = hmac.new(domain_key, b"nir:185057800608491", hashlib.sha256).hexdigest()
    assert Pseudonymiser(ROOT).pseudonym("core", "nir:185057800608491") == expected
    assert len(expected) == 64


def test_the_root_secret_is_32_bytes() -> None:
    with pytest.raises(ValueError, match=r"32 bytes; got 16"):
        Pseudonymiser(bytes(16))


def test_an_invalid_domain_gives_no_pseudonym() -> None:
    with pytest.raises(ValueError, match=r"not a pseudonym domain"):
        Pseudonymiser(ROOT).pseudonym("Project:x", "nir:185057800608491")


def test_projects_a_and_b_cannot_link_their_extracts() -> None:
    pseudonymiser = Pseudonymiser(ROOT)
    assert pseudonymiser.pseudonym("project:a", "x") != pseudonymiser.pseudonym("project:b", "x")


@EXAMPLES
@given(first=domains, second=domains, text=st.text())
def test_pseudonyms_differ_across_domains(first: str, second: str, text: str) -> None:
    pseudonymiser = Pseudonymiser(ROOT)
    if first != second:
        assert pseudonymiser.pseudonym(first, text) != pseudonymiser.pseudonym(second, text)


@EXAMPLES
@given(domain=domains, text=st.text())
def test_pseudonyms_are_stable_across_instances_with_the_same_root(domain: str, text: str) -> None:
    assert Pseudonymiser(ROOT).pseudonym(domain, text) == Pseudonymiser(ROOT).pseudonym(domain, text)
    assert Pseudonymiser(ROOT).pseudonym(domain, text) != Pseudonymiser(bytes(32)).pseudonym(domain, text)


def test_the_root_secret_does_not_show_when_printed() -> None:
    pseudonymiser = Pseudonymiser(ROOT)
    pseudonymiser.pseudonym("core", "x")
    assert repr(pseudonymiser) == "Pseudonymiser(domains=['core'])"
