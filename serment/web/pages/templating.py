"""Rendering pages: Jinja2 templates, autoescaped, one environment per language.

Templates translate with `{% trans %}` and `_()`, and show dates, times and numbers in the reader's
locale with the filters `date`, `datetime`, `number` and `percent` (Babel, CLDR data), times in the
installation's time zone (`SERMENT_TIMEZONE`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from functools import cache, partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal, format_percent
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from serment import __version__
from serment.web.pages.i18n import LANGUAGE_NAMES, LOCALES, N_, ROLE_LABELS, negotiate, translations
from serment.web.pages.nav import visible_items
from serment.web.pages.viewer import (
    CSRF_FIELD,
    PRESESSION_COOKIE,
    csrf_token,
    installation_of,
    web_session,
)

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def _date(locale: str, value: date | datetime | None, format: str = "medium") -> str:
    if value is None:
        return "—"
    return format_date(value, format=format, locale=locale)


def _datetime(locale: str, zone: str, value: datetime | None, format: str = "medium") -> str:
    if value is None:
        return "—"
    return format_datetime(value, format=format, tzinfo=ZoneInfo(zone), locale=locale)


def _number(locale: str, value: float | None, digits: int | None = None) -> str:
    if value is None:
        return "—"
    pattern = None if digits is None else "#,##0." + "0" * digits if digits else "#,##0"
    return format_decimal(value, format=pattern, locale=locale)


def _percent(locale: str, value: float | None) -> str:
    return "—" if value is None else format_percent(value, locale=locale)


@cache
def environment(locale: str, zone: str) -> Environment:
    """The templates' environment for `locale`, showing times in `zone`."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations(locale), newstyle=True)  # type: ignore[attr-defined]
    env.filters["date"] = partial(_date, locale)
    env.filters["datetime"] = partial(_datetime, locale, zone)
    env.filters["number"] = partial(_number, locale)
    env.filters["percent"] = partial(_percent, locale)
    env.globals["locale"] = locale
    env.globals["languages"] = LANGUAGE_NAMES
    env.globals["role_labels"] = ROLE_LABELS
    env.globals["version"] = __version__
    return env


def render(
    request: Request, template: str, context: Mapping[str, Any] | None = None, *, status: int = 200
) -> HTMLResponse:
    """The page `template` rendered for this request's reader, in their language."""
    locale = negotiate(request)
    zone = request.app.state.settings.timezone
    session = web_session(request)
    policy = installation_of(request).policy
    token = csrf_token(request)
    values: dict[str, Any] = {
        "request": request,
        "session": session,
        "nav": visible_items(policy, session.actor.role) if session is not None else [],
        "csrf_field": Markup('<input type="hidden" name="{}" value="{}">').format(CSRF_FIELD, token),
        "current_path": request.url.path,
        "current_url": _local_url(request),
        "other_locales": [code for code in LOCALES if code != locale],
        **(context or {}),
    }
    html = environment(locale, zone).get_template(template).render(values)
    response = HTMLResponse(html, status_code=status, headers={"Content-Language": locale})
    fresh = getattr(request.state, "new_presession", None)
    if fresh is not None:
        response.set_cookie(
            PRESESSION_COOKIE, fresh, httponly=True, samesite="strict", secure=is_secure(request), path="/"
        )
    return response


def is_secure(request: Request) -> bool:
    """Whether the browser reached us over HTTPS (directly, or through a trusted proxy)."""
    return request.url.scheme == "https"


def _local_url(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


# Titles of the pages that every role may see, for the catalogues.
TITLES = (N_("Sign in"), N_("Home"))
