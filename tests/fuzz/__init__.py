"""Property-based fuzzing of the HTTP API from its OpenAPI document, as every role (docs/fuzzing.md)."""
