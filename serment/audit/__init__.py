"""Audit: the hash-chained log of every guarded access and security event, its verification and a
person's access history. Built by the secrecy-core issue.

This package is empty until then; it stands here so that the layers contract already holds it.
"""
