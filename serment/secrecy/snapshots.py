"""Key snapshots: the JSON backup of a key store's wrapped key material, and the checks a snapshot must
pass before it replaces a store's material.

A snapshot holds the store's documents as stored, never a destroyed epoch key. Importing one opens every
key it holds (master, KEKs, pseudonym secret, live epochs) before anything is written, and re-wraps its
KEKs under the importing store's own master key.
"""

from __future__ import annotations

from collections.abc import Container

from serment.secrecy.keyfiles import (
    EPOCH_FILE,
    FORMAT,
    KEK_FILE,
    Document,
    KeyStoreError,
    Slot,
    b64,
    dump,
    epoch_label,
    epoch_slot,
    field,
    is_key_file,
    open_master,
    parse,
    unwrap_document,
)
from serment.secrecy.seal import wrap_key

SNAPSHOT_FORMAT = "serment/key-snapshot/v1"


def dump_snapshot(documents: dict[str, Document], exported_at: str) -> bytes:
    """The snapshot of `documents` (by name, as stored), exported at the ISO 8601 moment `exported_at`."""
    return dump({"format": SNAPSHOT_FORMAT, "exported_at": exported_at, "documents": documents})


def parse_snapshot(snapshot: bytes) -> dict[str, Document]:
    """The documents of `snapshot`, by name, each checked to be a key store document of this version."""
    parsed = parse(snapshot, "snapshot", SNAPSHOT_FORMAT)
    documents = field(parsed, "documents", dict)
    for name, document in documents.items():
        if not is_key_file(name):
            raise KeyStoreError(
                f"the snapshot holds {name!r}, which is no key store file; it cannot be imported"
            )
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            raise KeyStoreError(
                f"the snapshot's {name} is damaged or from another version; it cannot be imported"
            )
    return documents


def plan_import(
    documents: dict[str, Document], destroyed: Container[Slot], master: bytes, passphrase: str | None
) -> dict[str, Document]:
    """The documents to write for importing `documents` into the store whose master key is `master`: its
    KEKs re-wrapped under `master`, the pseudonym secret and the epochs not `destroyed` as they are.

    Every key is opened first; raises KeyStoreError naming the first that is missing or does not open.
    """
    master_document = documents.get("master.json")
    if master_document is None:
        raise KeyStoreError("it holds no master key")
    protected = field(master_document, "protection", str) != "none"
    snapshot_master = open_master(master_document, passphrase if protected else None, "the snapshot")
    plan: dict[str, Document] = {}
    keks: dict[int, bytes] = {}
    for name, document in documents.items():
        if match := KEK_FILE.fullmatch(name):
            version, label = int(match[1]), f"kek:v{match[1]}"
            keks[version] = unwrap_document(snapshot_master, document, label)
            plan[name] = document | {"wrapped": b64(wrap_key(master, keks[version], label))}
    for name, document in documents.items():
        if name == "pseudonym.json" or (EPOCH_FILE.fullmatch(name) and epoch_slot(name) not in destroyed):
            label = "pseudonym" if name == "pseudonym.json" else epoch_label(epoch_slot(name))
            kek = keks.get(field(document, "kek_version", int))
            if kek is None:
                raise KeyStoreError(f"it lacks the key-encryption key of {name}")
            unwrap_document(kek, document, label)
            plan[name] = document
    if "pseudonym.json" not in plan:
        raise KeyStoreError("it holds no pseudonym secret")
    return plan
