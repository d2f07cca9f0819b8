"""Accounts and API tokens (action manage_users): list them, add an account, disable, enable or
unlock one, create a token (its secret shown once, on the page that answers the form) and revoke one.

A password the administrator typed is not shown back after success; a generated one, and a token's
secret, are shown once on the page that answers the form, never again: nothing keeps them in clear.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated, Any, Literal

from fastapi import Form, HTTPException, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from serment.access.accounts import MAX_TOKEN_DAYS, AccountError, account_problems, add_user, create_token
from serment.access.administration import (
    AdministrationError,
    disable_account,
    enable_account,
    list_accounts,
    list_tokens,
    revoke_token,
    unlock_account,
)
from serment.web.pages.admin.wording import explain
from serment.web.pages.i18n import N_, gettext_for
from serment.web.pages.templating import render
from serment.web.pages.viewer import CurrentViewer, Pages, Viewer, installation_of

router = Pages()
PURPOSE = "administration"
PAGE_SIZE = 50
USERS = "/admin/users"
TOKENS = "/admin/tokens"
PageNumber = Annotated[int, Query(ge=1, le=100_000)]
Name = Annotated[str, Path(min_length=1, max_length=64)]
# What the list says after a change, by the change.
DONE = {
    "added": N_("The account %(name)s was created."),
    "disabled": N_("The account %(name)s is disabled: its sessions and tokens no longer work."),
    "enabled": N_("The account %(name)s is enabled again."),
    "unlocked": N_("The account %(name)s is unlocked."),
    "revoked": N_("The API token %(name)s is revoked."),
}
TITLES = (N_("Accounts"), N_("API tokens"), N_("Account created"), N_("API token created"))
_CHANGES: dict[str, Callable[..., None]] = {
    "disable": disable_account, "enable": enable_account, "unlock": unlock_account,
}  # fmt: skip
_DONE_BY_CHANGE = {"disable": "disabled", "enable": "enabled", "unlock": "unlocked"}


@router.page(USERS, purpose=PURPOSE, action="manage_users")
def users(
    request: Request,
    viewer: CurrentViewer,
    page: PageNumber = 1,
    done: Annotated[str | None, Query(max_length=16)] = None,
    account: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    """Every account, a page at a time, and the form that adds one."""
    return _users_page(request, viewer, page, notice=_notice(done, account))


@router.page(USERS, purpose=PURPOSE, action="manage_users", methods=("POST",))
def add_account(
    request: Request,
    viewer: CurrentViewer,
    *,
    name: Annotated[str, Form(max_length=64)] = "",
    role: Annotated[str, Form(max_length=32)] = "",
    organisation: Annotated[str, Form(max_length=128)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    """Create the account; show a generated password once, or go back to the list."""
    typed = {"name": name.strip(), "role": role, "organisation": organisation.strip(), "password": password}
    platform = installation_of(request).platform
    problems = account_problems(name=typed["name"], role=role, password=password or None)
    if not problems:
        try:
            made = add_user(
                platform, viewer.request(), name=typed["name"], role=role,
                organisation=typed["organisation"] or None, password=password or None,
            )  # fmt: skip
        except AccountError as error:
            problems = [("", str(error))]
        else:
            if password:
                return RedirectResponse(f"{USERS}?done=added&account={made.name}", status_code=303)
            return render(request, "admin/user_created.html", {"title": "Account created", "made": made})
    errors = _placed(request, problems, default="name")
    return _users_page(request, viewer, 1, typed=typed, errors=errors, status=422)


@router.page(USERS + "/{name}/{change}", purpose=PURPOSE, action="manage_users", methods=("POST",))
def change_account(
    request: Request, viewer: CurrentViewer, name: Name, change: Literal["disable", "enable", "unlock"]
) -> Response:
    """Disable, enable or unlock the account `name`, and go back to the list."""
    platform = installation_of(request).platform
    _attempt(request, lambda: _CHANGES[change](platform, viewer.request(), name=name))
    return RedirectResponse(f"{USERS}?done={_DONE_BY_CHANGE[change]}&account={name}", status_code=303)


@router.page(TOKENS, purpose=PURPOSE, action="manage_users")
def tokens(
    request: Request,
    viewer: CurrentViewer,
    page: PageNumber = 1,
    done: Annotated[str | None, Query(max_length=16)] = None,
    token: Annotated[str | None, Query(max_length=16)] = None,
) -> Response:
    """Every API token (never a secret), a page at a time, and the form that creates one."""
    return _tokens_page(request, viewer, page, notice=_notice(done, token))


@router.page(TOKENS, purpose=PURPOSE, action="manage_users", methods=("POST",))
def issue_token(
    request: Request,
    viewer: CurrentViewer,
    account: Annotated[str, Form(max_length=64)] = "",
    days: Annotated[str, Form(max_length=8)] = "30",
) -> Response:
    """Create a token and show its secret, this once."""
    typed = {"account": account.strip(), "days": days.strip()}
    platform = installation_of(request).platform
    try:
        lifetime = int(typed["days"]) if typed["days"].isdigit() else 0
        issued = create_token(platform, viewer.request(), name=typed["account"], days=lifetime)
    except AccountError as error:
        errors = _placed(request, [("", str(error))], default="account")
        return _tokens_page(request, viewer, 1, typed=typed, errors=errors, status=422)
    return render(request, "admin/token_created.html", {"title": "API token created", "issued": issued})


@router.page(TOKENS + "/{token_id}/revoke", purpose=PURPOSE, action="manage_users", methods=("POST",))
def revoke(
    request: Request, viewer: CurrentViewer, token_id: Annotated[str, Path(max_length=16)]
) -> Response:
    """Revoke the token and go back to the list."""
    platform = installation_of(request).platform
    _attempt(request, lambda: revoke_token(platform, viewer.request(), token_id=token_id))
    return RedirectResponse(f"{TOKENS}?done=revoked&token={token_id}", status_code=303)


def _users_page(
    request: Request,
    viewer: Viewer,
    page: int,
    *,
    notice: tuple[str, str] | None = None,
    typed: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
    status: int = 200,
) -> Response:
    platform = installation_of(request).platform
    total, found = list_accounts(platform, viewer.request(), limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    context: dict[str, Any] = {
        "title": "Accounts", "accounts": found, "total": total, "page": page,
        "has_next": (page - 1) * PAGE_SIZE + len(found) < total, "notice": notice,
        "roles": sorted(platform.policy.roles), "me": viewer.actor.name,
        "typed": typed or {"name": "", "role": "", "organisation": "", "password": ""},
        "errors": errors or {},
    }  # fmt: skip
    return render(request, "admin/users.html", context, status=status)


def _tokens_page(
    request: Request,
    viewer: Viewer,
    page: int,
    *,
    notice: tuple[str, str] | None = None,
    typed: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
    status: int = 200,
) -> Response:
    platform = installation_of(request).platform
    total, found = list_tokens(platform, viewer.request(), limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    context: dict[str, Any] = {
        "title": "API tokens", "tokens": found, "total": total, "page": page,
        "has_next": (page - 1) * PAGE_SIZE + len(found) < total, "notice": notice,
        "now": platform.clock.now(), "max_days": MAX_TOKEN_DAYS,
        "typed": typed or {"account": "", "days": "30"}, "errors": errors or {},
    }  # fmt: skip
    return render(request, "admin/tokens.html", context, status=status)


def _notice(done: str | None, name: str | None) -> tuple[str, str] | None:
    """What was just done: its msgid, and the name of the account or token for its blank."""
    msgid = DONE.get(done or "")
    return (msgid, name) if msgid and name else None


def _placed(request: Request, problems: list[tuple[str, str]], *, default: str) -> dict[str, str]:
    """Each problem in the reader's language at its field (the first one of each field)."""
    gettext = gettext_for(request)
    errors: dict[str, str] = {}
    for field, message in problems:
        said = explain(message, gettext)
        errors.setdefault(field or said.field or default, said.text)
    return errors


def _attempt(request: Request, change: Callable[[], None]) -> None:
    try:
        change()
    except (AccountError, AdministrationError) as error:
        raise HTTPException(409, explain(str(error), gettext_for(request)).text) from None
