"""The API docs page: Swagger UI from an installed package, served by Serment itself.

FastAPI's stock page loads its scripts from a CDN and runs an inline script; this one loads
everything from /static, so it works offline and under a strict Content-Security-Policy.
"""

from __future__ import annotations

from html import escape
from importlib.resources import files
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from serment.web.api import DOCS_URL, OPENAPI_URL

SWAGGER_UI_URL = "/static/swagger-ui"
router = APIRouter()


def swagger_ui_assets() -> Path:
    """The directory of Swagger UI's files inside the installed fastapi-offline package."""
    return Path(str(files("fastapi_offline") / "static"))


@router.get(DOCS_URL, include_in_schema=False)
def api_docs() -> HTMLResponse:
    """The interactive description of the API."""
    openapi = escape(OPENAPI_URL)
    return HTMLResponse(
        f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Serment API</title>
<link rel="icon" href="{SWAGGER_UI_URL}/favicon.png">
<link rel="stylesheet" href="{SWAGGER_UI_URL}/swagger-ui.css">
</head>
<body>
<noscript><p>This page needs JavaScript. The API is described in
<a href="{openapi}">{openapi}</a>.</p></noscript>
<div id="swagger-ui" data-openapi-url="{openapi}"></div>
<script src="{SWAGGER_UI_URL}/swagger-ui-bundle.js"></script>
<script src="/static/api-docs.js"></script>
</body>
</html>
"""
    )
