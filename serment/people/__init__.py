"""People: the sealed identity vault and the opposition registry. Built by the secrecy-core issue.

This package is empty until then; it stands here so that the layers contract already holds it.
"""
