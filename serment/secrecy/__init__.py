"""Secrecy primitives: the key store, sealing with AES-256-GCM, pseudonyms (HMAC with HKDF domains) and
identity normalisation. Built by the secrecy-core issue.

This package is empty until then; it stands here so that the layers contract already holds it.
"""
