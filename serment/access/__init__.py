"""Access: actors, roles, the guard that every read or write of personal data passes, accounts and
authentication. Built by the secrecy-core issue.

This package is empty until then; it stands here so that the layers contract already holds it.
"""
