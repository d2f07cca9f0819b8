"""The demonstration installation: a synthetic French population and outbreak, loaded through the
real services, and an account of every role, for `make demo`, tests and benchmarks."""

from serment.demo.accounts import (
    ACCOUNT_NAMES,
    DemoLogin,
    demo_logins,
    demo_password,
    ensure_accounts,
    link_demo_patient,
)
from serment.demo.loader import LoadReport, load_outbreak

__all__ = [
    "ACCOUNT_NAMES",
    "DemoLogin",
    "LoadReport",
    "demo_logins",
    "demo_password",
    "ensure_accounts",
    "link_demo_patient",
    "load_outbreak",
]
