"""The FHIR mapping, pure."""
