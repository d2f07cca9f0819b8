"""Pseudonyms: how a person is named everywhere outside the identity vault.

A pseudonym is HMAC-SHA256(domain key, canonical identity text). Each domain ("core" for operations,
"hub" for the research warehouse, "project:<id>" for one research project, "linkage" for the blocking
keys and name counts of duplicate detection) has its own key, derived from one root secret with HKDF,
so pseudonyms of two domains cannot be linked without the root secret.
"""

from __future__ import annotations

import re

from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

ROOT_SECRET_LENGTH = 32
HKDF_SALT = b"serment/pseudonym/v1"

DOMAINS = ("core", "hub", "linkage")
_PROJECT = re.compile(r"project:[a-z0-9][a-z0-9-]{0,63}")


def validate_domain(domain: str) -> str:
    """`domain` itself when it names a pseudonym domain ("core", "hub", "linkage" or "project:<id>"),
    for every caller that takes a domain from configuration or a request; raises ValueError otherwise."""
    if domain in DOMAINS or _PROJECT.fullmatch(domain):
        return domain
    raise ValueError(
        f"{domain!r} is not a pseudonym domain: use 'core', 'hub', 'linkage' or 'project:<id>', where <id> "
        "is 1 to 64 lower-case letters, digits and hyphens, starting with a letter or digit"
    )


class Pseudonymiser:
    """Computes the pseudonyms of people in every domain from the root secret held by the key store.

    Domain keys are derived once and kept, so pseudonymising a batch costs one HMAC per person.
    """

    def __init__(self, root_secret: bytes) -> None:
        if len(root_secret) != ROOT_SECRET_LENGTH:
            raise ValueError(f"the pseudonym root secret is 32 bytes; got {len(root_secret)}")
        self._root_secret = root_secret
        self._domains: dict[str, hmac.HMAC] = {}

    def __repr__(self) -> str:
        return f"Pseudonymiser(domains={sorted(self._domains)!r})"

    def domain_key(self, domain: str) -> bytes:
        """The 32-byte key of `domain`, derived with HKDF-SHA256 from the root secret."""
        hkdf = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=HKDF_SALT, info=validate_domain(domain).encode()
        )
        return hkdf.derive(self._root_secret)

    def pseudonym(self, domain: str, canonical_text: str) -> str:
        """The pseudonym (64 hex characters) of the person whose canonical identity text is given."""
        keyed = self._domains.get(domain)
        if keyed is None:
            keyed = hmac.HMAC(self.domain_key(domain), hashes.SHA256())
            self._domains[domain] = keyed
        # Copying the keyed state skips re-hashing the key's inner and outer pads for every person.
        mac = keyed.copy()
        mac.update(canonical_text.encode())
        return mac.finalize().hex()
