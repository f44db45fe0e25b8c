"""``consent audit`` notes where a vendor lists less than the preset of the same service."""

from __future__ import annotations

import random
from collections import Counter

from preset_helpers import SUGGESTED_CATEGORIES

from consent.audit import Severity, audit
from consent.loader import parse_registry
from consent.presets import Catalogue, Preset, catalogue
from consent.presets.compare import _covered, _HostIndex, preset_gaps
from consent.registry import Registry, Vendor

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


def slow_best_match(vendor: Vendor, book: Catalogue) -> Preset | None:
    """The match as first written: every preset of the catalogue looked at for every vendor."""
    counts = Counter(h for preset in book for h in {h for h in preset.hosts if "{" not in h})
    distinctive = {host for host, count in counts.items() if count == 1}
    best: tuple[int, float, Preset] | None = None
    for preset in book:
        own = [h for h in preset.hosts if "{" not in h and h in distinctive]
        hits = sum(1 for h in own if _covered(h, vendor.hosts))
        named = sum(1 for h in own if h in vendor.hosts)
        if not named or hits * 2 < len(own):
            continue
        if best is None or (named, hits / len(own)) > best[:2]:
            best = (named, hits / len(own), preset)
    return best[2] if best else None


def test_matching_by_hosts_looks_only_at_presets_owning_a_named_host() -> None:
    """The index finds what the catalogue-wide walk found, for vendors listing hosts of several
    presets, shared hosts, wildcards and hosts no preset has (ties go to the earlier preset)."""
    book = catalogue()
    index = _HostIndex(book)
    hosts = sorted({h for preset in book for h in preset.hosts if "{" not in h})
    wildcards = sorted({"*." + h.split(".", 1)[1] for h in hosts if h.count(".") >= 2})
    rng = random.Random(11)
    matched = 0
    for number in range(1, 1501):
        listed = rng.sample(hosts, rng.randrange(1, 6)) + rng.sample(wildcards, rng.randrange(0, 3))
        listed += ["cdn.example.org"] * rng.randrange(2)
        data = {
            "id": f"v{number}",
            "number": number,
            "name": "V",
            "category": "statistics",
            "policy_url": "https://example.org/p",
            "hosts": sorted(set(listed)),
        }
        vendor = Vendor.model_validate(data)
        expected = slow_best_match(vendor, book)
        assert index.best_match(vendor) is expected, vendor.hosts
        matched += expected is not None
    assert matched > 300  # the sample exercises matches, not only misses
