"""The seed site's registry written with presets is much shorter, and the gate behaves the same on it."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from preset_helpers import only_category

from consent.gate import decide, embed_src, render_scripts
from consent.loader import load_registry
from consent.registry import Registry
from consent.state import ConsentState, Method

EXAMPLE = Path(__file__).parents[1] / "examples/reviews"


@pytest.fixture(scope="module")
def full() -> Registry:
    return load_registry(EXAMPLE / "vendors.toml")


@pytest.fixture(scope="module")
def short() -> Registry:
    return load_registry(EXAMPLE / "vendors.presets.toml")


def content_lines(path: Path) -> int:
    """Lines that are neither blank nor comments: what a person writes and reviews."""
    return sum(
        1
        for line in path.read_text("utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    )


def test_the_presets_registry_is_at_least_60_percent_shorter() -> None:
    full, short = EXAMPLE / "vendors.toml", EXAMPLE / "vendors.presets.toml"
    assert content_lines(short) <= 0.4 * content_lines(full)
    assert short.stat().st_size <= 0.4 * full.stat().st_size


def test_even_without_the_translations_it_is_60_percent_shorter() -> None:
    text = (EXAMPLE / "vendors.toml").read_text("utf-8")
    without = text[: text.index("[translations.de]")]
    full = sum(1 for line in without.splitlines() if line.strip() and not line.lstrip().startswith("#"))
    assert content_lines(EXAMPLE / "vendors.presets.toml") <= 0.4 * full


def test_same_vendors_numbers_categories_and_wording(full: Registry, short: Registry) -> None:
    assert short.revision == full.revision
    for a, b in zip(full.vendors, short.vendors, strict=True):
        assert (a.id, a.number, a.category, a.name, a.description) == (
            b.id,
            b.number,
            b.category,
            b.name,
            b.description,
        )
        assert (a.without_consent or "") == (b.without_consent or "")
        assert set(a.hosts) == set(b.hosts)
        assert a.consent_mode == b.consent_mode and a.tcf_id == b.tcf_id and a.sale_share == b.sale_share
    assert full.categories == short.categories
    assert full.regions == short.regions


def test_presets_are_used_wherever_a_service_has_one(short: Registry) -> None:
    own = {v.id for v in short.vendors if v.preset is None}
    # HubPages' own services, two services without a preset, and two bundles of three networks' pixels.
    assert own == {
        "hubpages-device-id",
        "login",
        "hubpages-traffic-pixel",
        "google-adsense-host-api",
        "maven",
        "say-media",
        "remarketing-pixels",
        "conversion-tracking-pixels",
    }


def _states(registry: Registry) -> dict[str, ConsentState]:
    optional = [c.id for c in registry.categories if not c.required]
    states = {
        "undecided": ConsentState.undecided(registry),
        "accept-all": ConsentState.accept_all(registry),
        "reject-all": ConsentState.reject_all(registry),
    }
    for category in optional:
        states[f"only-{category}"] = only_category(registry, category)
    rng = random.Random(14)
    vendors = [v.id for v in registry.optional_vendors()]
    for n in range(6):
        chosen = {v: rng.random() < 0.5 for v in vendors}
        states[f"random-{n}"] = ConsentState.undecided(registry).with_choices(chosen, method=Method.CUSTOM)
    return states


def _page(registry: Registry, state: ConsentState, consent_mode: bool) -> dict[str, object]:
    gate = decide(registry, state, consent_mode=consent_mode)
    embeds = {
        (v.id, e.name): embed_src(e, {name: "x1" for name in ("video_id", "pb")})
        for v in gate.allowed
        for e in v.embeds
    }
    return {
        "allowed": sorted(gate.allowed_ids),
        "head": str(render_scripts(gate, "head", nonce="n0nce")),
        "body": str(render_scripts(gate, "body", nonce="n0nce")),
        "hosts": sorted(gate.hosts),
        "embeds": embeds,
    }


@pytest.mark.parametrize("consent_mode", [False, True])
def test_the_gate_renders_the_same_page_for_every_choice(
    full: Registry, short: Registry, consent_mode: bool
) -> None:
    full_states, short_states = _states(full), _states(short)
    assert full_states.keys() == short_states.keys()
    for name in full_states:
        expected = _page(full, full_states[name], consent_mode)
        assert _page(short, short_states[name], consent_mode) == expected, name
    # The comparison has teeth: choices lead to different pages.
    assert _page(full, full_states["accept-all"], consent_mode) != _page(
        full, full_states["reject-all"], consent_mode
    )


def test_the_audit_finds_the_same_warnings_on_both(full: Registry, short: Registry) -> None:
    from consent.audit import Severity, audit

    def warnings(registry: Registry) -> list[tuple[str, str | None, str]]:
        return sorted((f.code, f.vendor, f.message) for f in audit(registry).at_least(Severity.WARNING))

    assert warnings(short) == warnings(full)
    assert warnings(full)  # the seed has findings worth comparing
