"""Registry models: immutability, strictness, the revision fingerprint, translations and matching."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from conftest import registry_data
from pydantic import ValidationError

from consent.errors import RegistryError
from consent.registry import Registry, VendorIdentity
from consent.registry_rules import category_key


def build(data: dict[str, Any]) -> Registry:
    return Registry.model_validate(data)


@pytest.fixture
def data() -> dict[str, Any]:
    return registry_data(8)


# -- immutability and strictness -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "field", "value"),
    [
        (lambda r: r, "name", "Other"),
        (lambda r: r.vendors[0], "number", 99),
        (lambda r: r.categories[1], "required", True),
    ],
    ids=["registry", "vendor", "category"],
)
def test_models_are_immutable(
    data: dict[str, Any], target: Callable[[Registry], Any], field: str, value: object
) -> None:
    model = target(build(data))

    with pytest.raises(ValidationError, match="frozen"):
        setattr(model, field, value)


def test_collections_are_tuples_so_they_cannot_be_appended_to(data: dict[str, Any]) -> None:
    registry = build(data)

    assert isinstance(registry.vendors, tuple)
    assert isinstance(registry.vendors[0].hosts, tuple)


@pytest.mark.parametrize(
    ("place", "key"),
    [
        (lambda d: d, "colour"),
        (lambda d: d["vendors"][0], "polcy_url"),
        (lambda d: d["categories"][0], "requird"),
    ],
    ids=["top-level", "vendor", "category"],
)
def test_unknown_keys_are_forbidden(
    data: dict[str, Any], place: Callable[[dict[str, Any]], dict[str, Any]], key: str
) -> None:
    place(data)[key] = "x"

    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        build(data)


def test_whitespace_is_stripped(data: dict[str, Any]) -> None:
    data["vendors"][0]["name"] = "  Vendor one \n"

    assert build(data).vendors[0].name == "Vendor one"


def test_semantic_problems_raise_a_registry_error(data: dict[str, Any]) -> None:
    data["vendors"][1]["id"] = data["vendors"][0]["id"]

    with pytest.raises(RegistryError) as info:
        build(data)

    assert [p.path for p in info.value.problems] == ["vendors.1.id"]


# -- revision --------------------------------------------------------------------------------------


def _reorder_vendors(d: dict[str, Any]) -> None:
    d["vendors"].reverse()


def _reorder_categories(d: dict[str, Any]) -> None:
    d["categories"].reverse()


def _reword(d: dict[str, Any]) -> None:
    d["vendors"][0]["description"] = "Something else entirely."
    d["vendors"][0]["name"] = "Renamed"
    d["categories"][1]["title"] = "Comfort"
    d["categories"][1]["description"] = "Nicer pages."


def _new_policy(d: dict[str, Any]) -> None:
    d["vendors"][0]["policy_url"] = "https://elsewhere.example.com/privacy"


def _reorder_hosts(d: dict[str, Any]) -> None:
    d["vendors"][0]["hosts"] = ["b.example.com", "a.example.com"]


def _add_cookie(d: dict[str, Any]) -> None:
    d["vendors"][0]["cookies"] = [{"name": "_v", "lifetime": "1d"}]


def _add_translation(d: dict[str, Any]) -> None:
    d["translations"] = {"de": {"vendors": {"vendor-1": {"description": "Ein Anbieter."}}}}


def _change_version(d: dict[str, Any]) -> None:
    d["version"] = "2099-01"


@pytest.mark.parametrize(
    "edit",
    [
        _reorder_vendors,
        _reorder_categories,
        _reword,
        _new_policy,
        _reorder_hosts,
        _add_cookie,
        _add_translation,
        _change_version,
    ],
)
def test_revision_ignores_wording_and_order(
    data: dict[str, Any], edit: Callable[[dict[str, Any]], None]
) -> None:
    data["vendors"][0]["hosts"] = ["a.example.com", "b.example.com"]
    edited = copy.deepcopy(data)
    edit(edited)

    assert build(edited).revision == build(data).revision


def _add_vendor(d: dict[str, Any]) -> None:
    d["vendors"].append(
        {
            "id": "newcomer",
            "number": 100,
            "name": "Newcomer",
            "category": "marketing",
            "policy_url": "https://newcomer.example.com/privacy",
        }
    )


def _remove_vendor(d: dict[str, Any]) -> None:
    d["vendors"].pop()


def _move_vendor(d: dict[str, Any]) -> None:
    d["vendors"][0]["category"] = "marketing" if d["vendors"][0]["category"] != "marketing" else "statistics"


def _add_host(d: dict[str, Any]) -> None:
    d["vendors"][0]["hosts"].append("new.example.com")


def _add_category(d: dict[str, Any]) -> None:
    d["categories"].append({"id": "social", "title": "Social media"})


def _require_category(d: dict[str, Any]) -> None:
    d["categories"][1].update(required=True, justification="Needed.")


def _sale_share(d: dict[str, Any]) -> None:
    d["vendors"][0]["sale_share"] = True


def _renumber(d: dict[str, Any]) -> None:
    d["vendors"][0]["number"] = 500


@pytest.mark.parametrize(
    "edit",
    [
        _add_vendor,
        _remove_vendor,
        _move_vendor,
        _add_host,
        _add_category,
        _require_category,
        _sale_share,
        _renumber,
    ],
)
def test_revision_changes_with_what_consent_covers(
    data: dict[str, Any], edit: Callable[[dict[str, Any]], None]
) -> None:
    edited = copy.deepcopy(data)
    edit(edited)

    assert build(edited).revision != build(data).revision


def test_revision_is_sixteen_hex_digits(data: dict[str, Any]) -> None:
    revision = build(data).revision

    assert len(revision) == 16
    int(revision, 16)


# -- translations ----------------------------------------------------------------------------------


@pytest.fixture
def translated(data: dict[str, Any]) -> Registry:
    data["notice"] = "We use cookies."
    data["vendors"][0]["description"] = "Counts visits."
    data["vendors"][0]["without_consent"] = "Nothing is counted."
    data["translations"] = {
        "de": {
            "notice": "Wir verwenden Cookies.",
            "categories": {"statistics": {"title": "Statistiken"}},
            "vendors": {"vendor-1": {"description": "Zählt Besuche."}},
        }
    }
    return build(data)


def test_localized_applies_translations(translated: Registry) -> None:
    german = translated.localized("de")

    assert german.notice == "Wir verwenden Cookies."
    assert german.category("statistics").title == "Statistiken"
    assert german.vendor("vendor-1").description == "Zählt Besuche."


def test_localized_falls_back_per_text(translated: Registry) -> None:
    german = translated.localized("de")

    assert german.vendor("vendor-1").without_consent == "Nothing is counted."  # not translated
    assert german.category("marketing").title == "Marketing"
    assert german.vendor("vendor-2").name == "Vendor 2"


@pytest.mark.parametrize("locale", ["de-AT", "de_CH", "de"])
def test_localized_uses_the_base_language(translated: Registry, locale: str) -> None:
    assert translated.localized(locale).notice == "Wir verwenden Cookies."


@pytest.mark.parametrize("locale", ["en", "fr", "en-GB"])
def test_localized_without_translation_is_the_registry_itself(translated: Registry, locale: str) -> None:
    assert translated.localized(locale) is translated


def test_localized_keeps_revision_and_identities(translated: Registry) -> None:
    german = translated.localized("de")

    assert german.revision == translated.revision
    assert dict(german.identities) == dict(translated.identities)
    assert translated.localized("de") is german  # cached


def test_localized_leaves_the_original_untouched(translated: Registry) -> None:
    translated.localized("de")

    assert translated.vendor("vendor-1").description == "Counts visits."


# -- identities and lookups ------------------------------------------------------------------------


def test_identities(data: dict[str, Any]) -> None:
    registry = build(data)

    assert registry.identities["vendor-4"] == VendorIdentity(4, category_key("necessary"), True)
    assert registry.identities["vendor-1"] == VendorIdentity(1, category_key("functional"), False)
    assert set(registry.identities) == {v.id for v in registry.vendors}


def test_identity_changes_when_a_vendor_moves(data: dict[str, Any]) -> None:
    before = build(data).identities["vendor-1"]
    data["vendors"][0]["category"] = "marketing"

    after = build(data).identities["vendor-1"]

    assert after.number == before.number
    assert after.category_key != before.category_key


def test_lookups(data: dict[str, Any]) -> None:
    registry = build(data)

    assert registry.vendor("vendor-2").number == 2
    assert registry.get_vendor("nobody") is None
    assert registry.get_category("nothing") is None
    assert [v.id for v in registry.vendors_in("necessary")] == ["vendor-4", "vendor-8"]
    assert all(not registry.is_required(v) for v in registry.optional_vendors())
    assert [c.id for c in registry.ordered_categories()] == [
        "necessary",
        "functional",
        "statistics",
        "marketing",
    ]
    assert registry.vendors_for_host("cdn.vendor-3.example.com") == (registry.vendor("vendor-3"),)
    with pytest.raises(KeyError):
        registry.vendor("nobody")


def test_all_locales_puts_the_default_first(data: dict[str, Any]) -> None:
    data.update(default_locale="fr", locales=["de", "fr"], translations={"it": {}})

    assert build(data).all_locales == ("fr", "de", "it")


@pytest.mark.parametrize("seed", range(40))
def test_vendors_in_a_mask_come_in_registry_order(seed: int) -> None:
    import random

    rng = random.Random(seed)
    data = registry_data(rng.choice([5, 34, 300]))
    numbers = rng.sample(range(1, 900), len(data["vendors"]))
    if seed % 2:  # half the registries number their vendors in order, half at random
        numbers.sort()
    data["vendors"] = [{**v, "number": n} for v, n in zip(data["vendors"], numbers, strict=True)]
    registry = Registry.model_validate(data)
    chosen = [v for v in registry.vendors if rng.random() < 0.5]
    stray = sum(1 << b for b in rng.sample(range(1000), 20))  # bits no vendor has, among others
    mask = registry.mask_of(v.id for v in chosen) | stray
    assert registry.vendors_in_mask(mask) == tuple(
        v for v in registry.vendors if registry.vendor_bits[v.id] & mask
    )
    assert registry.bits_in(mask) == [v.number - 1 for v in registry.vendors_in_mask(mask)]
    assert registry.vendors_in_mask(0) == ()
