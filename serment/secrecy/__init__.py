"""Secrecy: identity normalisation, pseudonyms, sealing and the key store.

- `identity`: NIR (with its control key), names, birth dates and sex made canonical, so that two records
  of one person give one pseudonym.
- `pseudonyms`: HMAC-SHA256 pseudonyms in the domains core, hub and project:<id>, keys derived with HKDF.
- `seal`: AES-256-GCM sealing of direct identifiers, bound to table, column, person and key version,
  one value at a time or a whole row at once.
- `keys`: the key store: master key, versioned key-encryption keys, the pseudonym root secret and the
  epoch keys whose destruction ends retention; `keyfiles` keeps its documents (in memory or as files),
  `snapshots` writes and checks its backups.
- `spool`: uploads waiting on disk while they are read, encrypted in chunks under a key held only in memory.

This layer imports nothing from Serment but the clock.
"""

from serment.secrecy.identity import (
    Canonical,
    Identity,
    IdentityError,
    IdentityErrors,
    Sex,
    canonical,
    demographic,
    make_identity,
    nir_control_key,
    normalise_birth_date,
    normalise_name,
    normalise_nir,
    normalise_sex,
)
from serment.secrecy.keys import (
    EpochInfo,
    FileKeyStore,
    KdfParameters,
    KeyDestroyed,
    KeyStore,
    KeyStoreError,
    MemoryKeyStore,
    RotationReport,
    Tombstone,
)
from serment.secrecy.pseudonyms import Pseudonymiser, validate_domain
from serment.secrecy.seal import (
    FORMAT_VERSION,
    Binding,
    Sealer,
    SealError,
    new_key,
    seal,
    seal_row,
    unseal,
    unseal_row,
    unwrap_key,
    wrap_key,
)
from serment.secrecy.spool import Spool, SpoolError

__all__ = [
    "FORMAT_VERSION",
    "Binding",
    "Canonical",
    "EpochInfo",
    "FileKeyStore",
    "Identity",
    "IdentityError",
    "IdentityErrors",
    "KdfParameters",
    "KeyDestroyed",
    "KeyStore",
    "KeyStoreError",
    "MemoryKeyStore",
    "Pseudonymiser",
    "RotationReport",
    "SealError",
    "Sealer",
    "Sex",
    "Spool",
    "SpoolError",
    "Tombstone",
    "canonical",
    "demographic",
    "make_identity",
    "new_key",
    "nir_control_key",
    "normalise_birth_date",
    "normalise_name",
    "normalise_nir",
    "normalise_sex",
    "seal",
    "seal_row",
    "unseal",
    "unseal_row",
    "unwrap_key",
    "validate_domain",
    "wrap_key",
]
