"""``consent audit`` notes where a vendor lists less than the preset of the same service."""

from __future__ import annotations

from preset_helpers import SUGGESTED_CATEGORIES

from consent.audit import Severity, audit
from consent.loader import parse_registry
from consent.presets.compare import preset_gaps
from consent.registry import Registry

CATEGORIES = SUGGESTED_CATEGORIES


def load(vendors: str) -> Registry:
    return parse_registry(CATEGORIES + vendors, "toml")


def test_a_preset_entry_that_narrowed_hosts_and_cookies_gets_a_warning() -> None:
    registry = load(
        '[[vendors]]\nid = "ga"\nnumber = 1\npreset = "google-analytics-4"\nparams = { measurement_id = "G-1" }\n'
        'hosts = ["www.googletagmanager.com", "*.google-analytics.com"]\n'
        'cookies = [{ name = "_ga", lifetime = "400d", purpose = "Visitors." }]\n'
    )
    [gap] = preset_gaps(registry)
    assert (gap.vendor, gap.preset, gap.matched_by) == ("ga", "google-analytics-4", "preset")
    # www.google-analytics.com is covered by the site's *.google-analytics.com; *.analytics.google.com is not.
    assert gap.hosts == ("*.analytics.google.com",) and gap.cookies == ("_ga_*",)
    [finding] = [f for f in audit(registry).findings if f.code == "preset-differs"]
    assert finding.severity is Severity.WARNING and finding.vendor == "ga"
    assert "host *.analytics.google.com, cookie _ga_*" in finding.message


def test_a_hand_written_vendor_is_matched_by_its_hosts_as_info() -> None:
    registry = load(
        '[[vendors]]\nid = "heatmaps"\nnumber = 1\nname = "Heatmaps"\ncategory = "statistics"\n'
        'policy_url = "https://www.hotjar.com/legal/policies/privacy/"\nhosts = ["static.hotjar.com", "script.hotjar.com"]\n'
    )
    [finding] = [f for f in audit(registry).findings if f.code == "preset-differs"]
    assert finding.severity is Severity.INFO
    assert (
        "looks like (by its hosts) preset 'hotjar'" in finding.message
        and "cookie _hjSessionUser_*" in finding.message
    )


def test_complete_entries_and_shared_or_wildcard_hosts_give_no_finding() -> None:
    registry = load(
        '[[vendors]]\nid = "yt"\nnumber = 1\npreset = "youtube"\ncategory = "statistics"\n'
        # www.google.com alone is shared by many Google presets; *.doubleclick.net names no service.
        '[[vendors]]\nid = "g"\nnumber = 2\nname = "G"\ncategory = "marketing"\n'
        'policy_url = "https://policies.google.com/privacy"\nhosts = ["www.google.com", "*.doubleclick.net"]\n'
    )
    assert list(preset_gaps(registry)) == []


def test_the_seed_registries_get_the_same_notes() -> None:
    from pathlib import Path

    from consent.loader import load_registry

    root = Path(__file__).parents[1] / "examples/reviews"
    full = {(g.vendor, g.preset) for g in preset_gaps(load_registry(root / "vendors.toml"))}
    short = {(g.vendor, g.preset) for g in preset_gaps(load_registry(root / "vendors.presets.toml"))}
    # The presets file takes its facts from the presets, so it can only have fewer gaps.
    assert short <= full
