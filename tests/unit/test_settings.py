from pathlib import Path

import pytest
from pydantic import ValidationError

from serment.settings import Settings, describe_settings_error, load_settings, reference_table


def test_defaults_serve_locally_from_an_embedded_database() -> None:
    settings = Settings()
    assert settings.data_dir == Path("serment-data")
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert settings.policy == "fr-2020"
    assert settings.log_level == "info"
    assert settings.uses_embedded_database
    assert settings.database == f"sqlite:///{Path('serment-data').resolve() / 'serment.db'}"


def test_environment_variables_set_and_options_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SERMENT_PORT", "9000")
    monkeypatch.setenv("SERMENT_HOST", "0.0.0.0")  # noqa: S104 (a value under test, not a bind)
    assert load_settings().port == 9000
    settings = load_settings(port=9100, host=None)
    assert settings.port == 9100
    assert settings.host == "0.0.0.0"  # noqa: S104


def test_a_bare_postgresql_url_is_driven_by_psycopg_3() -> None:
    settings = Settings(database_url="postgresql://serment:pw@db.example:5432/serment")
    assert settings.database == "postgresql+psycopg://serment:pw@db.example:5432/serment"
    assert not settings.uses_embedded_database


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("port", 99999, "setting port (SERMENT_PORT): 99999 is out of range (1-65535)"),
        ("port", 0, "setting port (SERMENT_PORT): 0 is out of range (1-65535)"),
        (
            "database_url",
            "mysql://x/y",
            "names the database 'mysql'; Serment runs on sqlite or postgresql",
        ),
        ("database_url", "not a url", "is not a database URL"),
        ("policy", "lenient", "must be a preset (fr-2020, vn-2020) or the path of a .toml file"),
        (
            "policy",
            "/nowhere/policy.toml",
            "names the file /nowhere/policy.toml, which does not exist",
        ),
        ("log_level", "loud", "setting log_level (SERMENT_LOG_LEVEL): Input should be"),
        ("colour", "blue", "setting colour (SERMENT_COLOUR): is not a setting"),
    ],
)
def test_a_bad_setting_is_described_in_one_line(field: str, value: object, expected: str) -> None:
    with pytest.raises(ValidationError) as caught:
        load_settings(**{field: value})
    message = describe_settings_error(caught.value)
    assert expected in message
    assert "\n" not in message


def test_a_policy_file_that_exists_is_accepted(tmp_path: Path) -> None:
    policy = tmp_path / "regional.toml"
    policy.write_text("", encoding="utf-8")
    assert Settings(policy=str(policy)).policy == str(policy)
    assert Settings(policy="vn-2020").policy == "vn-2020"


def test_log_levels_are_read_in_any_case(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SERMENT_LOG_LEVEL", "WARNING")
    assert Settings().log_level == "warning"


def test_variables_of_other_tools_sharing_the_prefix_are_ignored(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SERMENT_TEST_DATABASE_URL", "postgresql://elsewhere/db")
    assert Settings().uses_embedded_database


def test_the_reference_table_has_a_row_for_every_setting() -> None:
    table = reference_table()
    for name in Settings.model_fields:
        assert f"| `{name}` | `SERMENT_{name.upper()}` |" in table
