"""The administrator's pages without a server: every refusal the account services give is said in
French and placed at its form field."""

from __future__ import annotations

from serment.access.accounts import MAX_TOKEN_DAYS, account_problems
from serment.web.pages.admin.wording import WORDING, explain
from serment.web.pages.i18n import translations

FRENCH = translations("fr").gettext
# What the services say, as they say it (accounts.py, administration.py, backup.py).
MESSAGES = {
    "an account named epi-1 already exists": "name",
    "no account is named epi-2": "account",
    "no enabled account is named epi-2": "account",
    f"a token lives 1 to {MAX_TOKEN_DAYS} days, not 400": "days",
    "you cannot disable your own account; ask another administrator": "",
    "the account epi-1 is disabled already": "",
    "the account epi-1 is not disabled": "",
    "the account epi-1 is not locked": "",
    "no API token has the id 0123456789ab": "",
    "the API token 0123456789ab is revoked already": "",
    "backups are encrypted with a passphrase: set SERMENT_BACKUP_PASSPHRASE": "",
}


def test_every_refusal_of_the_account_services_is_said_in_french_at_its_field() -> None:
    found = dict(MESSAGES)
    found.update({message: field for field, message in account_problems(name="X", role="y", password="z")})

    for message, field in found.items():
        said = explain(message, FRENCH)
        assert said.text != message, message
        assert said.field == field, message
    assert (
        explain("an account named epi-1 already exists", FRENCH).text == "Un compte nommé epi-1 existe déjà."
    )
    assert all(FRENCH(msgid) != msgid for _, _, msgid in WORDING)


def test_an_unknown_refusal_is_shown_as_the_service_wrote_it() -> None:
    said = explain("something new went wrong", FRENCH)

    assert (said.field, said.text) == ("", "something new went wrong")
