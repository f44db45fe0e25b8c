"""The registry's primitive rules: host patterns, the cookie's category keys, accepted URLs."""

from __future__ import annotations

import pytest

from consent.registry_rules import category_key, host_matches, https_url


@pytest.mark.parametrize(
    ("pattern", "host", "expected"),
    [
        ("example.com", "example.com", True),
        ("example.com", "EXAMPLE.com", True),
        ("example.com", "www.example.com", False),
        ("*.example.com", "www.example.com", True),
        ("*.example.com", "a.b.example.com", True),
        ("*.example.com", "example.com", True),
        ("*.example.com", "badexample.com", False),
        ("*.example.com", "example.com.evil.org", False),
        ("www.example.com", "example.com", False),
    ],
)
def test_host_matches(pattern: str, host: str, expected: bool) -> None:
    assert host_matches(pattern, host) is expected


def test_category_key_is_sixteen_bits_and_stable() -> None:
    assert category_key("statistics") == category_key("statistics")
    assert 0 <= category_key("statistics") < 2**16
    assert category_key("statistics") != category_key("marketing")


@pytest.mark.parametrize("url", ["https://example.com/privacy", "https://a.example.org/p?q=1#x"])
def test_https_urls_with_a_host_are_accepted(url: str) -> None:
    assert https_url(url) == url


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://example.com/privacy", "must be an https:// URL"),
        ("javascript:alert(1)", "must be an https:// URL"),
        ("//example.com/p", "must be an https:// URL"),
        ("https:///path-only", "is not a well-formed URL"),
        ("https://example.com/a b", "is not a well-formed URL"),
    ],
)
def test_other_urls_are_refused(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        https_url(url)
