"""What `serment audit verify` prints, from a verification result."""

from __future__ import annotations

import pytest

from serment.audit import Verification

HEAD = "ab" * 32


@pytest.mark.parametrize(
    ("verification", "summary"),
    [
        (Verification(17, True, HEAD, None, None), f"17 events, chain intact, head {HEAD}"),
        (Verification(1, True, HEAD, None, None), f"1 event, chain intact, head {HEAD}"),
        (Verification(0, True, None, None, None), "0 events, chain intact, log empty"),
        (Verification(0, True, HEAD, None, None), f"0 events, chain intact, head {HEAD}"),
        (
            Verification(17, False, None, 17, "its contents do not match its hash"),
            "chain broken at event 17: its contents do not match its hash",
        ),
        (
            Verification(6, False, None, 7, "event 6 is missing"),
            "chain broken at event 7: event 6 is missing",
        ),
    ],
)
def test_the_summary_says_in_one_line_what_was_found(verification: Verification, summary: str) -> None:
    assert verification.summary() == summary
