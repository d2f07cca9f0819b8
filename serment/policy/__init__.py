"""The policy: roles, purposes, grants, prohibited purposes, retention, tracing tiers and disclosure
thresholds, as validated data with the presets `fr-2020` and `vn-2020`. Built by the secrecy-core issue.

This package is empty until then; it stands here so that the layers contract already holds it.
"""
