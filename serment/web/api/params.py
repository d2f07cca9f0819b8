"""Query parameters shared by several routes, validated as strictly as their documentation says."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

from pydantic import BeforeValidator

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date_only(value: object) -> object:
    # Pydantic also reads a number as a Unix timestamp ("0" is 1 January 1970): a query that meant
    # something else would silently ask about 1970. Only the documented YYYY-MM-DD gets through.
    if isinstance(value, str) and not _ISO_DATE.fullmatch(value):
        raise ValueError(f"a date is written YYYY-MM-DD (for example 2026-03-02), not {value[:40]!r}")
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_date_only)]
