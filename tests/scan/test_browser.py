"""Launching Chromium for a scan: host maps, flags and the user agent."""

from __future__ import annotations

from pathlib import Path

import pytest

from consent.errors import ScanError
from consent.scan.browser import (
    CHROMIUM_ARGS,
    executable,
    launch_args,
    parse_host_map,
    resolver_rules,
    user_agent,
)


def test_host_map_entries() -> None:
    assert parse_host_map(["Tracker.test=127.0.0.1:8443", "*=127.0.0.1:9"]) == {
        "tracker.test": "127.0.0.1:8443",
        "*": "127.0.0.1:9",
    }


def test_every_bad_entry_is_named() -> None:
    with pytest.raises(ScanError) as caught:
        parse_host_map(["ok.test=127.0.0.1", "nothing", "=1.2.3.4", "a b=1.2.3.4"])
    assert caught.value.reason == "expected HOST=ADDRESS[:PORT], got 'nothing', '=1.2.3.4', 'a b=1.2.3.4'"


def test_resolver_rules_never_remap_loopback() -> None:
    assert resolver_rules({"*": "127.0.0.1:9"}) == "MAP * 127.0.0.1:9, EXCLUDE localhost, EXCLUDE 127.0.0.1"
    assert resolver_rules({}) == ""


def test_launch_args() -> None:
    assert launch_args({}) == list(CHROMIUM_ARGS)
    mapped = launch_args({"a.test": "127.0.0.1:1"})
    assert "--host-resolver-rules=MAP a.test 127.0.0.1:1, EXCLUDE localhost, EXCLUDE 127.0.0.1" in mapped
    assert "--ignore-certificate-errors" in mapped


def test_user_agent_says_who_visits() -> None:
    assert user_agent("150.0.1.2", "1.2.3").endswith(
        "Chrome/150.0.1.2 Safari/537.36 consent-gate-scanner/1.2.3"
    )


def test_missing_chromium_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ScanError, match="apt-get install chromium"):
        executable(tmp_path / "chromium")
