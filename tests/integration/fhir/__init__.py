"""FHIR R4 endpoints over HTTP."""
