"""The synthetic population and outbreak that `make demo`, tests and benchmarks load. Built by the
reporting issue.

This package is empty until then; it stands here so that the layers contract already holds it.
"""
