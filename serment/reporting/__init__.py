"""Reporting: results, cases and contacts from clinicians and labs (JSON, FHIR R4, CSV/XLSX), with
deduplication. Built by the reporting issue.

This package is empty until then; it stands here so that the layers contract already holds it.
"""
