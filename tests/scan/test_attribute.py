"""The attribution chain: registry vendor, then a preset catalogue (pluggable), then the cookie database."""

from __future__ import annotations

import pytest

from consent.loader import load_registry
from consent.registry import Registry
from consent.scan import Attribution, CookieDatabase, attribution_chain
from consent.scan.attribute import NoPresets, RegistryAttributor
from consent.scan.observations import SeenCookie, SeenStorage

from .builders import cookie, storage, with_vendor
from .site import COOKIE_DB, REGISTRY

SITE_HOST = "news.example"
TRACKLY_TAG = (
    "https://cdn.trackly.test/tracker.js?cookie=_trk&max_age=31536000&storage=trk_id"
    "&chain=collect.trackly-sync.test&chain_cookie=trk_uid"
)


@pytest.fixture(scope="module")
def registry() -> Registry:
    return load_registry(REGISTRY)


@pytest.fixture(scope="module")
def database() -> CookieDatabase:
    return CookieDatabase.load(COOKIE_DB)


@pytest.mark.parametrize(
    ("seen", "vendor", "declared"),
    [
        (cookie("_trk"), "trackly", True),  # by the declared name
        (cookie("trk_uid", "collect.trackly-sync.test"), "trackly", True),
        (
            cookie("new_one", set_by="https://stats.countly.test/tracker.js"),
            "countly",
            False,
        ),  # by its writer
        (cookie("sync", ".collect.trackly-sync.test"), "trackly", False),  # by its domain
    ],
)
def test_registry_cookies(registry: Registry, seen: SeenCookie, vendor: str, declared: bool) -> None:
    found = RegistryAttributor(registry).cookie(seen, SITE_HOST)
    assert found is not None and (found.vendor_id, found.declared, found.source) == (
        vendor,
        declared,
        "registry",
    )


@pytest.mark.parametrize("name", ["consent", "__Host-consent", "__Secure-consent"])
def test_the_consent_cookie_is_this_package(registry: Registry, name: str) -> None:
    found = RegistryAttributor(registry).cookie(cookie(name), SITE_HOST)
    assert found is not None and found.source == "consent-gate" and found.required is True


def test_a_consent_cookie_of_another_site_is_not_ours(registry: Registry) -> None:
    assert RegistryAttributor(registry).cookie(cookie("consent", "tracker.test"), SITE_HOST) is None


@pytest.mark.parametrize(
    ("seen", "vendor", "declared"),
    [
        (storage("trk_id"), "trackly", True),
        (storage("other", set_by="https://cdn.trackly.test/tracker.js"), "trackly", False),
        (storage("x", origin="https://stats.countly.test"), "countly", False),
    ],
)
def test_registry_storage(registry: Registry, seen: SeenStorage, vendor: str, declared: bool) -> None:
    found = RegistryAttributor(registry).storage(seen)
    assert found is not None and (found.vendor_id, found.declared) == (vendor, declared)


def test_hosts_by_tag_by_initiator_and_by_host(registry: Registry) -> None:
    attributor = RegistryAttributor(registry)
    tag = attributor.host("cdn.trackly.test", TRACKLY_TAG, None)
    assert tag is not None and tag.vendor_id == "trackly" and tag.declared and "its tag" in tag.how
    chained = attributor.host("pixel.elsewhere.test", "https://pixel.elsewhere.test/p", TRACKLY_TAG)
    assert chained is not None and chained.vendor_id == "trackly" and not chained.declared
    listed = attributor.host("stats.countly.test", "https://stats.countly.test/other", None)
    assert listed is not None and listed.vendor_id == "countly" and listed.declared
    assert attributor.host("unknown.test", "https://unknown.test/", None) is None


def test_a_shared_host_names_every_vendor(registry: Registry) -> None:
    shared = with_vendor(registry, "other", 9, "statistics", "stats.countly.test")
    found = RegistryAttributor(shared).host("stats.countly.test", "https://stats.countly.test/x", None)
    assert found is not None and [a.vendor_id for a in found.candidates] == ["countly", "other"]


def test_the_chain_asks_registry_then_presets_then_database(
    registry: Registry, database: CookieDatabase
) -> None:
    class Catalogue(NoPresets):
        def cookie(self, cookie: SeenCookie, site_host: str) -> Attribution | None:
            if cookie.name == "_hjid":
                return Attribution(
                    "preset", "hotjar", "Hotjar (preset)", "statistics", False, False, "preset"
                )
            return None

    chain = attribution_chain(registry, Catalogue(), database)
    registry_answer = chain.cookie(cookie("_trk"), SITE_HOST)
    preset_answer = chain.cookie(cookie("_hjid"), SITE_HOST)
    database_answer = chain.cookie(cookie("_hjSessionUser_7"), SITE_HOST)
    assert registry_answer is not None and registry_answer.source == "registry"
    assert preset_answer is not None and preset_answer.source == "preset"
    assert database_answer is not None and database_answer.source == "cookie-db"
    assert database_answer.category == "Analytics" and database_answer.required is False
    assert chain.cookie(cookie("mystery"), SITE_HOST) is None


def test_without_a_catalogue_the_preset_step_knows_nothing(registry: Registry) -> None:
    chain = attribution_chain(registry)
    assert [type(step).__name__ for step in chain.steps] == ["RegistryAttributor", "NoPresets"]
    assert chain.cookie(cookie("_hjid"), SITE_HOST) is None


@pytest.mark.parametrize(("name", "required"), [("bank_csrf", True), ("_adt", False), ("_hjid", False)])
def test_database_categories_say_whether_consent_is_needed(
    database: CookieDatabase, name: str, required: bool
) -> None:
    found = attribution_chain(None, cookie_db=database).cookie(cookie(name), SITE_HOST)
    assert found is not None and found.required is required
