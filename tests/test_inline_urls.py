"""URLs in inline scripts: read from string literals, checked against the vendor's hosts at load."""

from __future__ import annotations

import pytest
from conftest import registry_data

from consent.errors import RegistryError
from consent.inline_urls import inline_urls
from consent.registry import Registry


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ('s.src="https://connect.facebook.net/en_US/fbevents.js"', [("connect.facebook.net", "")]),
        ("load('//cdn.example.com/a.js')", [("cdn.example.com", "")]),
        ("x = 'wss://live.example.com:8443/socket'", [("live.example.com", "")]),
        ("u = 'https://' + h + '/x'", [(None, "it is joined to more text at run time")]),
        ("u = 'https://www.google' + '.com/x'", [(None, "it is joined to more text at run time")]),
        ("u = `https://${h}/x`", [(None, "its host is filled in at run time")]),
        ("u = 'https://'", [(None, "its host is not in the text")]),
        ("// it's a comment with https://ignored.example.org\nstart()", []),
        ("/* don't */ x = 'a//b'", []),
        ("x = 'it\\'s at https://c.example.com/'", [("c.example.com", "")]),
    ],
)
def test_urls_in_string_literals(code: str, expected: list[tuple[str | None, str]]) -> None:
    assert [(u.host, u.reason) for u in inline_urls(code)] == expected


def with_inline(code: str) -> dict[str, object]:
    data = registry_data(2)
    data["vendors"][0]["scripts"] = [{"inline": code}]
    return data


def test_an_inline_loader_on_a_foreign_host_fails_validation() -> None:
    with pytest.raises(RegistryError) as info:
        Registry.model_validate(
            with_inline("var s=document.createElement('script');s.src='https://evil.example.net/x.js'")
        )
    (problem,) = info.value.problems
    assert problem.path == "vendors.0.scripts.0.inline"
    assert "'evil.example.net' is not among vendor 'vendor-1''s hosts" in problem.message


@pytest.mark.parametrize(
    "code",
    [
        "s.src='https://cdn.vendor-1.example.com/x.js'",
        "s.src='https://' + location.host + '/x.js'",  # uncertain: an audit warning, not a load error
        "gtag('config', 'G-XXXX')",
    ],
)
def test_an_inline_script_on_its_own_hosts_or_undecidable_loads(code: str) -> None:
    Registry.model_validate(with_inline(code))
