"""Serment: a health-data platform for epidemic response and research that keeps medical secrecy."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("serment")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"
