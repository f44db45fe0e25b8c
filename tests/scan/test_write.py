"""``--write``: suggested entries land in the registry file with its comments and layout intact."""

from __future__ import annotations

from pathlib import Path

import pytest

from consent.errors import ScanError
from consent.loader import load_registry
from consent.scan import add_entries
from consent.scan.findings import SuggestedCookie, Suggestion
from consent.scan.write import REVIEW_NOTE

from .site import REGISTRY

NEW_VENDOR = Suggestion(
    "hotjar",
    True,
    "Hotjar",
    "statistics",
    "https://www.hotjar.com/legal/policies/privacy/",
    cookies=(SuggestedCookie("_hjSessionUser_42", "first", "365d", None, "Hotjar: review"),),
)
MORE_FOR_TRACKLY = Suggestion(
    "trackly",
    False,
    "Trackly",
    "marketing",
    None,
    hosts=("pixel.trackly-cdn2.test",),
    cookies=(SuggestedCookie("trk_sync", "third", "30d", "trackly-cdn2.test"),),
)
YAML_REGISTRY = """\
# The registry, in YAML: this comment must survive.
name: YAML site
categories:
  - id: necessary
    title: Necessary
    required: true
    justification: The consent cookie.
  - id: statistics   # measured in aggregate
    title: Statistics
vendors:
  - id: countly
    number: 2
    name: Countly
    category: statistics
    policy_url: https://countly.test/privacy
    hosts:
      - stats.countly.test
retired_numbers: [1]
"""


def test_toml_keeps_comments_and_adds_reviewed_entries(tmp_path: Path) -> None:
    path = tmp_path / "vendors.toml"
    original = REGISTRY.read_text(encoding="utf-8")
    path.write_text(original, encoding="utf-8")
    changes = add_entries(path, [NEW_VENDOR, MORE_FOR_TRACKLY])
    assert changes == [
        "new vendor 'hotjar' in 'statistics'",
        "vendor 'trackly': hosts pixel.trackly-cdn2.test",
        "vendor 'trackly': cookies trk_sync",
    ]
    text = path.read_text(encoding="utf-8")
    assert text.startswith(original.splitlines()[0])  # the file's own comments and order stay
    assert text.count(REVIEW_NOTE) == 4  # new vendor, its cookie, the host, the new cookie
    registry = load_registry(path)
    hotjar = registry.vendor("hotjar")
    assert (hotjar.number, hotjar.category, [c.name for c in hotjar.cookies]) == (
        3,
        "statistics",
        ["_hjSessionUser_42"],
    )
    trackly = registry.vendor("trackly")
    assert trackly.hosts[-1] == "pixel.trackly-cdn2.test" and trackly.cookies[-1].name == "trk_sync"
    assert registry.vendor("countly").number == 2


def test_yaml_keeps_comments_and_skips_retired_numbers(tmp_path: Path) -> None:
    path = tmp_path / "vendors.yaml"
    path.write_text(YAML_REGISTRY, encoding="utf-8")
    add_entries(
        path,
        [
            NEW_VENDOR,
            Suggestion("countly", False, "Countly", "statistics", None, hosts=("cdn.countly.test",)),
        ],
    )
    text = path.read_text(encoding="utf-8")
    assert "# The registry, in YAML: this comment must survive." in text and "# measured in aggregate" in text
    assert text.count(REVIEW_NOTE) == 3
    registry = load_registry(path)
    assert registry.vendor("hotjar").number == 3  # 1 is retired, 2 is taken
    assert registry.vendor("countly").hosts == ("stats.countly.test", "cdn.countly.test")


def test_nothing_new_leaves_the_file_alone(tmp_path: Path) -> None:
    path = tmp_path / "vendors.toml"
    path.write_text(REGISTRY.read_text(encoding="utf-8"), encoding="utf-8")
    before = path.stat().st_mtime_ns
    again = Suggestion("trackly", False, "Trackly", "marketing", None, hosts=("cdn.trackly.test",))
    assert add_entries(path, [again]) == []
    assert path.stat().st_mtime_ns == before


def test_json_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "vendors.json"
    path.write_text("{}", encoding="utf-8")
    with pytest.raises(ScanError, match=r"\.toml or \.yaml"):
        add_entries(path, [NEW_VENDOR])
