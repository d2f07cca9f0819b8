"""The demonstration installation: an account of every role with fresh API tokens, and (with the
reporting capability) a synthetic population and outbreak for `make demo`, tests and benchmarks."""

from serment.demo.accounts import DemoLogin, demo_logins

__all__ = ["DemoLogin", "demo_logins"]
