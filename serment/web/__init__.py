"""The web layer: the app factory, JSON API under /api/v1, and (later) FHIR under /fhir and HTML pages.

Thin: it validates the shape of input, calls one service function and renders the result.
"""

from serment.web.app import create_app

__all__ = ["create_app"]
