"""FHIR R4 over HTTP: the /fhir router and its OperationOutcome errors."""

from serment.web.fhir.outcomes import install_outcome_handlers
from serment.web.fhir.routes import router

__all__ = ["install_outcome_handlers", "router"]
