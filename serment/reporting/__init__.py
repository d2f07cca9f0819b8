"""Reporting: results, cases and contacts arriving from clinicians and labs, checked, stored under
pseudonymous refs in one transaction per report, with identities sealed in the vault."""

from serment.access.accounts import actor_named
from serment.reporting.cases import CaseSummary, list_cases
from serment.reporting.exposures import add_contacts
from serment.reporting.idempotency import IdempotencyConflict
from serment.reporting.imports import (
    IMPORT_PURPOSE,
    AlreadyImported,
    ImportInvalid,
    ImportReport,
    RowError,
    import_results,
    may_import,
)
from serment.reporting.labfiles import FileRefused, Position
from serment.reporting.reports import Receipt, report_case
from serment.reporting.results import ResultReceipt, report_results
from serment.reporting.rules import (
    NOTE_MAX_LENGTH,
    SETTINGS,
    STATUSES,
    TEST_TYPES,
    VALUES,
    CaseInput,
    CaseReport,
    ContactInput,
    ExposureInput,
    ReportInvalid,
    ResultInput,
)

__all__ = [
    "IMPORT_PURPOSE",
    "NOTE_MAX_LENGTH",
    "SETTINGS",
    "STATUSES",
    "TEST_TYPES",
    "VALUES",
    "AlreadyImported",
    "CaseInput",
    "CaseReport",
    "CaseSummary",
    "ContactInput",
    "ExposureInput",
    "FileRefused",
    "IdempotencyConflict",
    "ImportInvalid",
    "ImportReport",
    "Position",
    "Receipt",
    "ReportInvalid",
    "ResultInput",
    "ResultReceipt",
    "RowError",
    "actor_named",
    "add_contacts",
    "import_results",
    "list_cases",
    "may_import",
    "report_case",
    "report_results",
]
