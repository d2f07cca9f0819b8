"""The documents rendered from code stay true to it."""

import importlib.util
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]


def _render_docs_module():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("render_docs", REPOSITORY / "scripts" / "render_docs.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_configuration_md_lists_every_setting_as_the_code_defines_it() -> None:
    path: Path = REPOSITORY / "docs" / "configuration.md"
    current = path.read_text(encoding="utf-8")
    assert current == _render_docs_module().rendered_configuration(current), (
        "docs/configuration.md is out of date with serment/settings.py: run `make docs`"
    )


def test_policy_md_is_the_presets_as_they_are() -> None:
    current = (REPOSITORY / "docs" / "policy.md").read_text(encoding="utf-8")
    assert current == _render_docs_module().rendered_policies(), (
        "docs/policy.md is out of date with the policy presets: run `make docs`"
    )


def test_authorization_md_lists_every_route_and_page_with_who_may_call_it() -> None:
    current = (REPOSITORY / "docs" / "authorization.md").read_text(encoding="utf-8")
    assert "`GET /sign-in`" in current
    assert "`GET /api/v1/people/{ref}`" in current
    assert current == _render_docs_module().rendered_authorization(), (
        "docs/authorization.md is out of date with the routes' declarations or the policies: run `make docs`"
    )


def test_the_glossary_defines_the_words_of_the_domain() -> None:
    glossary = (REPOSITORY / "GLOSSARY.md").read_text(encoding="utf-8").lower()
    for word in ["case", "contact", "tier", "exposure", "permit", "pseudonym domain", "epoch key"]:
        assert f"**{word}**" in glossary, f"GLOSSARY.md does not define {word!r}"
