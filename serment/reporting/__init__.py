"""Reporting: results, cases and contacts arriving from clinicians and labs, checked, stored under
pseudonymous refs in one transaction per report, with identities sealed in the vault."""

from serment.reporting.cases import CaseSummary, list_cases
from serment.reporting.exposures import add_contacts
from serment.reporting.idempotency import IdempotencyConflict
from serment.reporting.reports import Receipt, report_case
from serment.reporting.results import ResultReceipt, report_results
from serment.reporting.rules import (
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
    "SETTINGS",
    "STATUSES",
    "TEST_TYPES",
    "VALUES",
    "CaseInput",
    "CaseReport",
    "CaseSummary",
    "ContactInput",
    "ExposureInput",
    "IdempotencyConflict",
    "Receipt",
    "ReportInvalid",
    "ResultInput",
    "ResultReceipt",
    "add_contacts",
    "list_cases",
    "report_case",
    "report_results",
]
