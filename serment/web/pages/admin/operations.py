"""Keys (action manage_keys) and backups (action backup): what the key store and the audit log can
tell without revealing a secret, a key rotation, and a backup run from the page when the backup
passphrase is configured (otherwise the page says how to configure it)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request
from fastapi.responses import RedirectResponse, Response

from serment.access.administration import BACKUP_OPERATIONS, KEY_OPERATIONS, recent_operations
from serment.installation import (
    BACKUPS_DIR,
    InstallationError,
    back_up_installation,
    page_backup_directory,
    rotate_keys,
)
from serment.people.epochs import key_status
from serment.settings import Settings
from serment.web.pages.admin.wording import CATEGORY_LABELS, OPERATION_LABELS, STORE_LABELS, explain
from serment.web.pages.i18n import N_, gettext_for
from serment.web.pages.templating import render
from serment.web.pages.viewer import CurrentViewer, Pages, Viewer, installation_of

router = Pages()
PURPOSE = "administration"
KEYS = "/admin/keys"
BACKUPS = "/admin/backups"
# How many of the last operations each page shows.
RECENT = 10
TITLES = (N_("Keys"), N_("Backups"))
Done = Annotated[int | None, Query(ge=1, le=1)]


@router.page(KEYS, purpose=PURPOSE, action="manage_keys")
def keys(request: Request, viewer: CurrentViewer, rotated: Done = None) -> Response:
    """The key store's status, the last rotations and purges, and the rotation form."""
    installation = installation_of(request)
    platform = installation.platform
    status = key_status(platform, viewer.request())
    operations = recent_operations(
        platform, viewer.request(), KEY_OPERATIONS, needs="manage_keys", limit=RECENT
    )
    context = {
        "title": "Keys", "status": status, "operations": operations, "rotated": bool(rotated),
        "last_rotation": next((op for op in operations if op.action == "key_rotation"), None),
        "last_purge": next((op for op in operations if op.action == "purge"), None),
        "passphrase": _settings(request).key_passphrase is not None,
        "stores": STORE_LABELS, "categories": CATEGORY_LABELS, "labels": OPERATION_LABELS,
    }  # fmt: skip
    return render(request, "admin/keys.html", context)


@router.page(KEYS + "/rotate", purpose=PURPOSE, action="manage_keys", methods=("POST",))
def rotate(request: Request, viewer: CurrentViewer) -> Response:
    """Rotate the key-encryption key (no data is re-encrypted) and show the keys again."""
    rotate_keys(installation_of(request), viewer.request())
    return RedirectResponse(f"{KEYS}?rotated=1", status_code=303)


@router.page(BACKUPS, purpose=PURPOSE, action="backup")
def backups(request: Request, viewer: CurrentViewer, done: Done = None) -> Response:
    """Where backups go, the last ones the audit log knows, and the form that runs one."""
    return _backups_page(request, viewer, done=bool(done))


@router.page(BACKUPS, purpose=PURPOSE, action="backup", methods=("POST",))
def back_up(request: Request, viewer: CurrentViewer) -> Response:
    """Run a backup now (it may take a while) and show how long it took; refused, with what to
    configure, when no backup passphrase is set."""
    installation = installation_of(request)
    settings = _settings(request)
    if settings.backup_passphrase is None:
        return _backups_page(request, viewer, status=409)
    try:
        back_up_installation(installation, settings, page_backup_directory(installation), viewer.request())
    except InstallationError as error:
        said = explain(str(error), gettext_for(request))
        return _backups_page(request, viewer, failure=said.text, status=500)
    return RedirectResponse(f"{BACKUPS}?done=1", status_code=303)


def _backups_page(
    request: Request, viewer: Viewer, *, done: bool = False, failure: str | None = None, status: int = 200
) -> Response:
    installation = installation_of(request)
    operations = recent_operations(
        installation.platform, viewer.request(), BACKUP_OPERATIONS, needs="backup", limit=RECENT
    )
    context = {
        "title": "Backups", "operations": operations, "done": done, "failure": failure,
        "configured": _settings(request).backup_passphrase is not None,
        "refused": status == 409, "where": installation.data_dir / BACKUPS_DIR, "labels": OPERATION_LABELS,
        "last_backup": next((op for op in operations if op.action == "backup"), None),
    }  # fmt: skip
    return render(request, "admin/backups.html", context, status=status)


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings
