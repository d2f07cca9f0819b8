"""Tracing: the tier engine, quarantine plans, tracer tasks, chains and clusters. Built by the tracing
issue.

This package is empty until then; it stands here so that the layers contract already holds it.
"""
