"""Where a registry's vendor knows less than the preset of the same service: for a person to review.

A vendor written with ``preset = …`` is compared with that preset (its own ``hosts`` or ``cookies``
may have replaced the preset's and dropped some). Any other vendor is compared with the preset whose
distinctive hosts it mostly lists: hosts shared by several presets (``www.google.com``) prove nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Literal

from ..registry import Registry, Vendor
from ..registry_rules import host_matches
from . import Catalogue, Preset, catalogue

MatchedBy = Literal["preset", "hosts"]


@dataclass(frozen=True)
class PresetGap:
    """A vendor lacks hosts or cookies that its service's preset lists."""

    vendor: str
    preset: str
    matched_by: MatchedBy
    hosts: tuple[str, ...]
    cookies: tuple[str, ...]

    def message(self, vendor_name: str) -> str:
        how = "uses" if self.matched_by == "preset" else "looks like (by its hosts)"
        missing = [
            *(f"host {h}" for h in self.hosts),
            *(f"cookie {c}" for c in self.cookies),
        ]
        return (
            f"{vendor_name} {how} preset {self.preset!r}, which also lists {', '.join(missing)}: "
            "check whether the site's entry forgot them ('consent presets show "
            f"{self.preset}')"
        )


def preset_gaps(registry: Registry, presets: Catalogue | None = None) -> Iterator[PresetGap]:
    book = presets or catalogue()
    index = _HostIndex(book)
    for vendor in registry.vendors:
        if vendor.preset is not None:
            preset, matched_by = book.get(vendor.preset), "preset"
        else:
            preset, matched_by = index.best_match(vendor), "hosts"
        if preset is None:
            continue
        hosts = tuple(h for h in _concrete(preset.hosts) if not _covered(h, vendor.hosts))
        cookies = tuple(
            c.name
            for c in preset.cookies
            if not any(own.name == c.name or own.matches(c.name) for own in vendor.cookies)
        )
        if hosts or cookies:
            yield PresetGap(vendor.id, preset.id, matched_by, hosts, cookies)  # type: ignore[arg-type]


def _concrete(hosts: Iterable[str]) -> list[str]:
    return [h for h in hosts if "{" not in h]  # a site parameter: the preset cannot know it


def _covered(host: str, hosts: Iterable[str]) -> bool:
    if host.startswith("*."):
        return any(h == host or (h.startswith("*.") and host_matches(h, host[2:])) for h in hosts)
    return any(host_matches(h, host) for h in hosts)


class _HostIndex:
    """The catalogue's distinctive hosts (those of one preset only: a shared Google or Meta host does not
    identify a service), each with its preset, built once per comparison."""

    def __init__(self, book: Catalogue) -> None:
        counts = Counter(h for preset in book for h in set(_concrete(preset.hosts)))
        distinctive = {host for host, count in counts.items() if count == 1}
        #: Each preset's distinctive hosts, and its place in the catalogue (the first of equals wins).
        self.own = {
            preset.id: (i, [h for h in _concrete(preset.hosts) if h in distinctive])
            for i, preset in enumerate(book)
        }
        self.owner = {h: preset for preset in book for h in self.own[preset.id][1]}

    def best_match(self, vendor: Vendor) -> Preset | None:
        """The preset whose distinctive hosts the vendor lists best: at least half, one of them by name.

        A host only covered by one of the vendor's wildcards (``*.doubleclick.net``) counts towards the
        half but cannot make the match alone: a wildcard does not say which of a company's services it
        is. Only presets owning a host the vendor names can match, so only those are looked at.
        """
        candidates = {self.owner[h].id: self.owner[h] for h in vendor.hosts if h in self.owner}
        best: tuple[int, float, int, Preset] | None = None
        for preset in candidates.values():
            place, own = self.own[preset.id]
            hits = sum(1 for h in own if _covered(h, vendor.hosts))
            named = sum(1 for h in own if h in vendor.hosts)
            if hits * 2 < len(own):
                continue
            if best is None or (named, hits / len(own), -place) > best[:3]:
                best = (named, hits / len(own), -place, preset)
        return best[3] if best else None
