"""The analytical engine behind the hub: DuckDB over Parquet by default, Spark at scale, one interface.
Built by the hub issues.

This package is empty until then; it stands here so that the layers contract already holds it.
"""
