"""The research hub: catalogue, producers and ingestion, quality, permits, workspaces, queries, output
checking and differential privacy. Built by the hub issues.

This package is empty until then; it stands here so that the layers contract already holds it.
"""
