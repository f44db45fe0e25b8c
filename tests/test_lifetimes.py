"""Cookie lifetimes: parsed once, described once, so the panel, the audit and the ledger notice agree."""

from __future__ import annotations

import pytest

from consent.lifetimes import describe_lifetime, lifetime_seconds


@pytest.mark.parametrize(
    ("lifetime", "text"),
    [
        (None, "not stated"),
        ("session", "session"),
        ("1y", "1 year"),
        ("2y", "2 years"),
        ("13mo", "13 months"),
        ("30min", "30 minutes"),
        ("1d", "1 day"),
        ("2 w", "14 days"),
        ("24h", "1 day"),
        ("400d", "400 days"),  # the panel and the ledger notice say the same (#12.9)
        ("180d", "180 days"),
        ("10s", "10 seconds"),
    ],
)
def test_describe_lifetime(lifetime: str | None, text: str) -> None:
    """What the panel, the audit and the ledger notice all say (#12.9)."""
    assert describe_lifetime(lifetime) == text


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("session", None), ("10s", 10), ("30min", 1800), ("24h", 86400), ("2 w", 14 * 86400), ("1y", 31557600)],
)
def test_lifetime_seconds(value: str, seconds: int | None) -> None:
    assert lifetime_seconds(value) == seconds


@pytest.mark.parametrize("value", ["13", "forever", "1 year", "-1d", ""])
def test_a_malformed_lifetime_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match="is not 'session' or a number"):
        lifetime_seconds(value)
