"""Every message of the pages has its French translation, and the catalogues hold nothing stale.

Messages are extracted as `pybabel extract` would: `_`, `N_`, `gettext` and `ngettext` in the
pages' Python modules, and the same calls in the templates (Jinja2's Babel extractor). A failure
prints the entries to add, ready to paste into a catalogue under serment/web/locale/fr/LC_MESSAGES.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from babel.messages.extract import extract
from babel.messages.pofile import read_po
from jinja2.ext import babel_extract

import serment.web.pages
from serment.web.pages.i18n import catalogue_files
from serment.web.pages.templating import TEMPLATES

PAGES = Path(serment.web.pages.__file__).resolve().parent
KEYWORDS = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2)}


def _messages() -> Iterator[tuple[str, str]]:
    """(msgid, where) for every message of the pages; a plural gives its singular and plural."""
    sources: list[tuple[Path, object]] = [(path, "python") for path in sorted(PAGES.rglob("*.py"))]
    sources += [(path, babel_extract) for path in sorted(TEMPLATES.rglob("*.html"))]
    for path, method in sources:
        with path.open("rb") as source:
            options = {"extensions": "jinja2.ext.i18n", "trim_blocks": "true", "lstrip_blocks": "true"}
            for line, message, _comments, _context in extract(
                method,
                source,
                keywords=KEYWORDS,
                options=options,  # type: ignore[arg-type]
            ):
                for msgid in message if isinstance(message, tuple) else (message,):
                    if msgid:
                        yield msgid, f"{path.name}:{line}"


def _catalogue() -> dict[str, tuple[str, Path]]:
    found: dict[str, tuple[str, Path]] = {}
    for path in catalogue_files("fr"):
        with path.open("rb") as source:
            for message in read_po(source, locale="fr"):
                if not message.id:
                    continue
                ids = message.id if isinstance(message.id, tuple) else (message.id,)
                strings = message.string if isinstance(message.string, tuple) else (message.string,)
                for msgid in ids:
                    found[msgid] = (" / ".join(s for s in strings if s), path)
    return found


def test_every_message_of_the_pages_is_translated_into_french() -> None:
    catalogue = _catalogue()
    missing: dict[str, str] = {}
    for msgid, where in _messages():
        if not catalogue.get(msgid, ("", None))[0]:
            missing.setdefault(msgid, where)
    stanzas = "\n".join(
        f'#: {where}\nmsgid "{msgid}"\nmsgstr ""\n' for msgid, where in sorted(missing.items())
    )
    assert missing == {}, f"add these French translations:\n{stanzas}"


def test_no_catalogue_holds_a_message_the_pages_no_longer_use() -> None:
    used = {msgid for msgid, _where in _messages()}
    stale = {msgid: str(path.name) for msgid, (_text, path) in _catalogue().items() if msgid not in used}
    assert stale == {}, f"remove these entries: {stale}"


def test_the_extraction_finds_messages() -> None:
    # A broken extraction would make both tests above pass on nothing.
    found = {msgid for msgid, _where in _messages()}
    assert {"Sign in", "Password", "Clinician"} <= found


def test_no_message_is_translated_two_ways_in_two_catalogues() -> None:
    # The catalogues are merged into one: a msgid translated differently in two files would show
    # whichever was read last.
    seen: dict[str, tuple[str, str]] = {}
    clashes = []
    for path in catalogue_files("fr"):
        with path.open("rb") as source:
            for message in read_po(source, locale="fr"):
                if not message.id or not message.string:
                    continue
                key = str(message.id)
                text = str(message.string)
                if key in seen and seen[key][0] != text:
                    clashes.append((key, seen[key], (text, path.name)))
                seen.setdefault(key, (text, path.name))
    assert clashes == []
