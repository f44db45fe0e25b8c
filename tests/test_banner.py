"""The banner, the preferences panel and the settings link: what they show, and how a site overrides them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import SEED_REGISTRY, registry_data
from flask import Flask
from flask.testing import FlaskClient
from flask_helpers import (
    PAGE,
    Element,
    codec_of,
    example_app,
    find,
    give,
    html_of,
    synthetic_app,
)
from jinja2 import DictLoader
from markupsafe import Markup

from consent.banner import Widget, WidgetContext, embed_frame, embed_slot_markup, make_environment
from consent.errors import ConfigurationError
from consent.lifetimes import describe_lifetime
from consent.loader import load_registry
from consent.registry import Cookie, Registry
from consent.state import ConsentState, Policy

Factory = Callable[..., Registry]
SEED = load_registry(SEED_REGISTRY)
PANEL_PATHS = ["/consent/preferences", "/consent/preferences?fragment=1"]


def banner_of(html: str) -> Element | None:
    found = list(find(html, "section", id="consent-banner"))
    assert len(found) <= 1
    return found[0] if found else None


def first_layer(client: FlaskClient) -> str:
    banner = banner_of(html_of(client.get(PAGE)))
    assert banner is not None
    return banner.outer_html


def vendor_item(html: str, vendor_id: str) -> Element:
    """The panel's list item for one vendor (found through its name label or span)."""
    name = SEED.vendor(vendor_id).name
    items = [li for li in find(html, "li", class_="consent-vendor") if _vendor_name(li) == name]
    assert len(items) == 1, (vendor_id, len(items))
    return items[0]


def _vendor_name(item: Element) -> str:
    (head,) = find(item.outer_html, class_="consent-vendor__name")
    return head.inner_text


def ctx_for(registry: Registry, state: ConsentState | None = None, **kwargs: Any) -> WidgetContext:
    return WidgetContext(
        registry=registry,
        state=state or ConsentState.undecided(registry),
        locale=kwargs.pop("locale", "en"),
        action_url="/consent/",
        preferences_url="/consent/preferences",
        **kwargs,
    )


# -- the first layer ------------------------------------------------------------------------------------


def test_an_undecided_visitor_sees_the_banner(client: FlaskClient) -> None:
    assert banner_of(html_of(client.get(PAGE))) is not None


def test_accept_and_reject_are_equally_prominent(client: FlaskClient) -> None:
    banner = first_layer(client)
    (accept,) = find(banner, value="accept_all")
    (reject,) = find(banner, value="reject_all")
    assert accept.tag == reject.tag == "button"
    assert accept.attrs["class"] == reject.attrs["class"]
    assert accept.attrs["type"] == reject.attrs["type"] == "submit"
    assert (accept.inner_text, reject.inner_text) == ("Accept all", "Reject all")


def test_accept_and_reject_are_in_the_same_form(client: FlaskClient) -> None:
    banner = first_layer(client)
    (form,) = find(banner, "form")
    assert (form.attrs["method"], form.attrs["action"]) == ("post", "/consent/")
    assert len(list(find(form.outer_html, "button", name="action"))) == 2


def test_the_banner_links_to_the_preferences_page(client: FlaskClient) -> None:
    (customize,) = (a for a in find(first_layer(client), "a") if a.inner_text == "Customize")
    assert customize.attrs["href"] == f"/consent/preferences?next={PAGE}"
    assert "data-consent-open" in customize.attrs


def test_the_banner_links_to_the_privacy_policy(client: FlaskClient) -> None:
    (policy,) = (a for a in find(first_layer(client), "a") if a.inner_text == "Privacy policy")
    assert policy.attrs["href"] == "https://hubpages.com/privacy/"


def test_the_policy_url_setting_wins() -> None:
    client = example_app(CONSENT_POLICY_URL="/privacy").test_client()
    (policy,) = (a for a in find(first_layer(client), "a") if a.inner_text == "Privacy policy")
    assert policy.attrs["href"] == "/privacy"


def test_the_banner_shows_the_registry_notice(client: FlaskClient) -> None:
    assert "HubPages uses cookies (and similar technologies)" in first_layer(client)


def test_the_banner_sends_the_visitor_back_to_the_page(client: FlaskClient) -> None:
    (hidden,) = find(first_layer(client), "input", name="next")
    assert hidden.attrs["value"] == PAGE


def test_the_banner_has_no_checkbox(client: FlaskClient) -> None:
    assert not list(find(first_layer(client), "input", type="checkbox"))


@pytest.mark.parametrize("path", [PAGE, "/", *PANEL_PATHS])
def test_nothing_is_pre_ticked_for_an_undecided_visitor(client: FlaskClient, path: str) -> None:
    html = html_of(client.get(path))
    checked = [e.attrs for e in find(html, "input") if "checked" in e.attrs]
    assert checked == []


@pytest.mark.parametrize("path", PANEL_PATHS)
def test_the_panel_has_a_box_for_every_optional_category_and_vendor(client: FlaskClient, path: str) -> None:
    html = html_of(client.get(path))
    categories = {e.attrs["value"] for e in find(html, "input", type="checkbox", name="category")}
    vendors = {e.attrs["value"] for e in find(html, "input", type="checkbox", name="vendor")}
    assert categories == {"functional", "statistics", "marketing"}
    assert vendors == {v.id for v in SEED.optional_vendors()}


@pytest.mark.parametrize("path", PANEL_PATHS)
def test_the_panel_shows_saved_choices(app: Flask, client: FlaskClient, path: str) -> None:
    give(client, app, action="custom", category="statistics")
    html = html_of(client.get(path))
    checked = {e.attrs["value"] for e in find(html, "input") if "checked" in e.attrs}
    assert checked == {"statistics"} | {v.id for v in SEED.vendors_in("statistics")}


def test_the_banner_position_is_configurable() -> None:
    client = example_app(CONSENT_POSITION="modal").test_client()
    banner = banner_of(html_of(client.get(PAGE)))
    assert banner is not None and banner.has_class("consent-banner--modal")


def test_an_unknown_position_fails_at_start_up() -> None:
    with pytest.raises(ConfigurationError, match="CONSENT_POSITION"):
        example_app(CONSENT_POSITION="sideways")


# -- decided visitors and the settings link ------------------------------------------------------------


@pytest.mark.parametrize("action", ["accept_all", "reject_all", "custom", "withdraw"])
def test_a_decided_visitor_sees_no_banner(app: Flask, client: FlaskClient, action: str) -> None:
    give(client, app, action=action)
    html = html_of(client.get(PAGE))
    assert banner_of(html) is None
    assert len(list(find(html, "dialog", id="consent-dialog"))) == 1


@pytest.mark.parametrize("action", [None, "accept_all", "reject_all"])
def test_the_settings_link_is_always_there(app: Flask, client: FlaskClient, action: str | None) -> None:
    if action:
        give(client, app, action=action)
    html = html_of(client.get(PAGE))
    (link,) = find(html, "a", class_="consent-settings-link")
    assert link.attrs["href"] == "/consent/preferences"  # the same on every page: it returns by Referer
    assert link.inner_text == "Cookie settings"


@pytest.mark.parametrize(
    ("referer", "back"),
    [
        (f"http://localhost{PAGE}?page=2", f"{PAGE}?page=2"),
        ("https://evil.example/phish", "/"),
        (None, "/"),
    ],
)
def test_the_preferences_page_returns_to_the_page_that_linked_to_it(
    client: FlaskClient, referer: str | None, back: str
) -> None:
    headers = {"Referer": referer} if referer else {}
    html = html_of(client.get("/consent/preferences", headers=headers))
    nexts = {i.attrs["value"] for i in find(html, "input", name="next")}
    assert nexts == {back}


def test_the_floating_button_follows_the_setting() -> None:
    assert list(find(html_of(example_app().test_client().get(PAGE)), "a", class_="consent-floating"))
    html = html_of(example_app(CONSENT_FLOATING_BUTTON=False).test_client().get(PAGE))
    assert not list(find(html, "a", class_="consent-floating"))


def test_the_settings_link_argument_beats_the_setting(app: Flask) -> None:
    with app.test_request_context("/"):
        from consent.flask.helpers import consent_settings_link

        assert "consent-floating" not in consent_settings_link(floating=False)
        assert "consent-floating" in consent_settings_link()


# -- the second layer ------------------------------------------------------------------------------------


def required_section(html: str) -> Element:
    (section,) = find(html, "section", aria_labelledby="consent-category-necessary")
    return section


@pytest.mark.parametrize("path", PANEL_PATHS)
def test_required_categories_are_always_on_without_a_checkbox(client: FlaskClient, path: str) -> None:
    section = required_section(html_of(client.get(path))).outer_html
    (always,) = find(section, "span", class_="consent-always-on")
    assert always.inner_text == "Always on"
    assert not list(find(section, "input"))


def test_required_categories_show_their_justification(client: FlaskClient) -> None:
    section = required_section(html_of(client.get("/consent/preferences"))).outer_html
    (justification,) = find(section, "p", class_="consent-justification")
    expected = SEED.category("necessary").justification
    assert expected is not None
    assert justification.inner_text == " ".join(expected.split())


@pytest.mark.parametrize("vendor_id", [v.id for v in SEED.vendors])
def test_every_vendor_is_in_the_panel(client: FlaskClient, vendor_id: str) -> None:
    vendor = SEED.vendor(vendor_id)
    item = vendor_item(html_of(client.get("/consent/preferences?fragment=1")), vendor_id)
    text = item.inner_text
    assert " ".join(vendor.description.split()) in text
    (policy,) = find(item.outer_html, "a")
    assert policy.attrs["href"] == vendor.policy_url
    assert policy.inner_text == f"Privacy Policy ({vendor.name})"
    rows = [[td.inner_text for td in find(r.outer_html, "td")] for r in find(item.outer_html, "tr")]
    expected = [
        [c.name, describe_lifetime(c.lifetime, ngettext, gettext), " ".join(c.purpose.split())]
        for c in vendor.cookies
    ]
    assert [r for r in rows if r] == expected


@pytest.mark.parametrize(
    ("vendor_id", "cookie", "lifetime"),
    [
        ("comscore", "UID", "400 days"),  # the browsers' cap, said exactly
        ("google-adsense", "__gads", "13 months"),
        ("hubpages-google-analytics", "_ga", "400 days"),
        ("login", "hp_session", "session"),
        ("login", "hp_remember", "30 days"),
        ("hubpages-traffic-pixel", "hp_visit", "30 minutes"),
        ("hubpages-device-id", "hp_device", "1 year"),
        ("google-doubleclick", "DSID", "14 days"),
        ("remarketing-pixels", "_uetsid", "1 day"),
    ],
)
def test_cookie_lifetimes_in_the_panel(
    client: FlaskClient, vendor_id: str, cookie: str, lifetime: str
) -> None:
    item = vendor_item(html_of(client.get("/consent/preferences?fragment=1")), vendor_id)
    rows = {
        cells[0].inner_text: cells[1].inner_text
        for r in find(item.outer_html, "tr")
        if (cells := list(find(r.outer_html, "td")))
    }
    assert rows[cookie] == lifetime


@pytest.mark.parametrize(
    ("lifetime", "expected"), [("2y", "2 years"), ("13mo", "13 months"), ("session", "session")]
)
def test_cookie_lifetimes_of_a_synthetic_registry(lifetime: str, expected: str) -> None:
    data = registry_data(2)
    data["vendors"][0]["cookies"] = [{"name": "tracker", "lifetime": lifetime}]
    html = html_of(synthetic_app(Registry.model_validate(data)).test_client().get("/consent/preferences"))
    (row,) = (r for r in find(html, "tr") if "tracker" in r.inner_text)
    assert [td.inner_text for td in find(row.outer_html, "td")][:2] == ["tracker", expected]


def gettext(message: str) -> str:
    return message


def ngettext(singular: str, plural: str, n: int) -> str:
    return singular if n == 1 else plural


@pytest.mark.parametrize(
    ("lifetime", "expected"),
    [
        ("session", "session"),
        (None, "not stated"),
        ("2y", "2 years"),
        ("1y", "1 year"),
        ("13mo", "13 months"),
        ("6mo", "6 months"),
        ("390d", "390 days"),
        ("400d", "400 days"),
        ("90d", "90 days"),
        ("2w", "14 days"),
        ("24h", "1 day"),
        ("30min", "30 minutes"),
        ("90min", "90 minutes"),
        ("45s", "45 seconds"),
        ("1s", "1 second"),
    ],
)
def test_describe_lifetime(lifetime: str | None, expected: str) -> None:
    cookie = Cookie(name="x", lifetime=lifetime)
    assert describe_lifetime(cookie.lifetime, ngettext, gettext) == expected


def test_the_panel_counts_the_services_of_a_category(client: FlaskClient) -> None:
    html = html_of(client.get("/consent/preferences"))
    counts = [e.inner_text for e in find(html, "span", class_="consent-count")]
    assert counts == [f"({len(SEED.vendors_in(c.id))} services)" for c in SEED.ordered_categories()]


def test_the_panel_shows_the_consent_id_once_decided(app: Flask, client: FlaskClient) -> None:
    assert not list(find(html_of(client.get("/consent/preferences")), class_="consent-id"))
    state = give(client, app, action="reject_all")
    (line,) = find(html_of(client.get("/consent/preferences")), class_="consent-id")
    assert state.consent_id is not None and state.consent_id in line.inner_text


# -- vendors added since the visitor decided ----------------------------------------------------------


@pytest.fixture
def grown(make_registry: Factory) -> tuple[Flask, FlaskClient]:
    """A visitor who accepted everything on a registry of 8 vendors, visiting once it has 10."""
    app = synthetic_app(make_registry(10))
    client = app.test_client()
    client.set_cookie("consent", codec_of(app).encode(ConsentState.accept_all(make_registry(8))))
    return app, client


def test_new_vendors_bring_the_banner_back(grown: tuple[Flask, FlaskClient]) -> None:
    _, client = grown
    banner = banner_of(html_of(client.get("/")))
    assert banner is not None
    (notice,) = find(banner.outer_html, "p", class_="consent-text--new")
    names = [e.inner_text for e in find(notice.outer_html, "strong", class_="consent-new-vendor")]
    assert names == ["Vendor 9", "Vendor 10"]


def test_new_vendors_have_a_badge_in_the_panel(grown: tuple[Flask, FlaskClient]) -> None:
    _, client = grown
    html = html_of(client.get("/consent/preferences?fragment=1"))
    new = [li for li in find(html, "li", class_="consent-vendor--new")]
    assert [_vendor_name(li) for li in new] == ["Vendor 9", "Vendor 10"]
    for li in new:
        (badge,) = find(li.outer_html, "span", class_="consent-badge")
        assert badge.inner_text == "New"
    assert len(list(find(html, "span", class_="consent-badge"))) == 2


def test_new_vendors_are_not_pre_ticked(grown: tuple[Flask, FlaskClient]) -> None:
    _, client = grown
    html = html_of(client.get("/consent/preferences?fragment=1"))
    checked = {e.attrs["value"] for e in find(html, "input", name="vendor") if "checked" in e.attrs}
    assert "vendor-9" not in checked and "vendor-10" not in checked
    assert "vendor-1" in checked


def test_an_undecided_visitor_sees_no_new_badge(make_registry: Factory) -> None:
    client = synthetic_app(make_registry(10)).test_client()
    assert not list(find(html_of(client.get("/consent/preferences")), "span", class_="consent-badge"))
    banner = banner_of(html_of(client.get("/")))
    assert banner is not None
    assert not list(find(banner.outer_html, class_="consent-text--new"))


def test_deciding_again_clears_the_new_marks(grown: tuple[Flask, FlaskClient]) -> None:
    app, client = grown
    give(client, app, action="accept_all")
    assert banner_of(html_of(client.get("/"))) is None
    assert not list(find(html_of(client.get("/consent/preferences")), "span", class_="consent-badge"))


# -- escaping ------------------------------------------------------------------------------------------

XSS = "<script>alert(1)</script>"


def hostile_registry() -> Registry:
    data = registry_data(4)
    data["notice"] = f"Notice {XSS}"
    data["categories"][1]["description"] = f"Category {XSS}"
    data["vendors"][0]["description"] = f"Vendor {XSS}"
    data["vendors"][0]["name"] = 'Evil "><img src=x onerror=alert(1)>'
    data["vendors"][0]["cookies"] = [{"name": "<b>c</b>", "purpose": XSS, "lifetime": "1d"}]
    return Registry.model_validate(data)


@pytest.mark.parametrize("path", ["/", "/consent/preferences", "/consent/preferences?fragment=1"])
def test_registry_text_is_escaped(path: str) -> None:
    html = html_of(synthetic_app(hostile_registry()).test_client().get(path))
    assert XSS not in html
    assert not [s for s in find(html, "script") if "src" not in s.attrs]
    assert not list(find(html, "img"))
    assert not list(find(html, "b"))


def test_escaped_text_still_reads_as_written() -> None:
    html = html_of(synthetic_app(hostile_registry()).test_client().get("/consent/preferences?fragment=1"))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert any(f"Vendor {XSS}" in p.inner_text for p in find(html, "p"))


def test_registry_text_is_escaped_outside_flask() -> None:
    registry = hostile_registry()
    widget = Widget(make_environment(), registry)
    html = widget.panel(ctx_for(registry)) + widget.banner(ctx_for(registry))
    assert XSS not in html
    assert not list(find(html, "script"))


def test_a_placeholder_escapes_the_vendor_name() -> None:
    registry = hostile_registry()
    html = Widget(make_environment(), registry).placeholder("en", "vendor-1")
    assert not list(find(html, "img"))
    (strong,) = find(html, "strong")
    assert strong.inner_text == 'Evil "><img src=x onerror=alert(1)> content is blocked'


def test_precompiled_placeholders_and_frames_write_what_the_slot_markup_writes() -> None:
    """The pieces kept per language and vendor, joined with an embed's digest, give the same markup as
    building the slot each time, and nothing in them is escaped twice."""
    widget = Widget(make_environment(), SEED)
    iframe = Markup('<iframe src="https://player.vimeo.com/video/1" title="A &amp; B"></iframe>')
    for locale in ("en", "de", "ar"):
        for vendor in SEED.vendors:
            body = widget.placeholder_body(locale, vendor.id)
            whole = embed_slot_markup(f"placeholder-{vendor.id}", vendor.id, body)
            assert widget.placeholder(locale, vendor.id) == whole
            embedded = embed_slot_markup(f"embed-{vendor.id}-0a1b2c3d", vendor.id, body)
            assert widget.embed_placeholder(locale, vendor.id, "0a1b2c3d") == embedded
            assert str(embedded).startswith('<div class="consent-embed" data-consent-slot="embed-')
    framed = embed_frame("vimeo", "0a1b2c3d", iframe)
    assert framed == embed_slot_markup("embed-vimeo-0a1b2c3d", "vimeo", iframe)
    assert "&lt;" not in framed and "&amp;amp;" not in framed


# -- overriding templates --------------------------------------------------------------------------------


def test_a_site_template_overrides_the_banner_file(tmp_path: Path, make_registry: Factory) -> None:
    (tmp_path / "consent").mkdir()
    (tmp_path / "consent" / "banner.html").write_text(
        '<aside id="site-banner">{{ _("Accept all") }} {{ registry.name }}</aside>', encoding="utf-8"
    )
    app = synthetic_app(make_registry(4), template_folder=tmp_path)
    html = html_of(app.test_client().get("/"))
    (site,) = find(html, "aside", id="site-banner")
    assert site.inner_text == "Accept all Synthetic"
    assert banner_of(html) is None
    assert list(find(html, "dialog", id="consent-dialog"))  # the other files are still the package's


def test_a_site_panel_is_used_by_the_preferences_page(tmp_path: Path, make_registry: Factory) -> None:
    (tmp_path / "consent").mkdir()
    (tmp_path / "consent" / "panel.html").write_text(
        '<div id="site-panel">{{ locale }}</div>', encoding="utf-8"
    )
    app = synthetic_app(make_registry(4), template_folder=tmp_path)
    html = html_of(app.test_client().get("/consent/preferences"))
    assert list(find(html, "div", id="site-panel"))
    assert not list(find(html, "form", class_="consent-panel"))
    assert list(find(html, "html"))  # preferences.html itself is the package's


def test_an_app_without_overrides_uses_the_package_templates(make_registry: Factory) -> None:
    html = html_of(synthetic_app(make_registry(4)).test_client().get("/"))
    assert banner_of(html) is not None


def test_a_site_loader_overrides_a_file_outside_flask(seed_registry: Registry) -> None:
    env = make_environment(
        DictLoader({"consent/settings_link.html": "<a id='mine'>{{ _('Cookie settings') }}</a>"})
    )
    html = Widget(env, seed_registry).settings_link("en", Policy.OPT_IN, "/consent/preferences", False)
    (link,) = find(html, "a")
    assert link.attrs["id"] == "mine"


def test_a_block_override_changes_only_that_block(seed_registry: Registry) -> None:
    site = DictLoader(
        {
            "mybanner.html": '{% extends "consent/banner.html" %}'
            '{% block title %}<h2 class="site-title">Cookies, {{ registry.name }}?</h2>{% endblock %}'
        }
    )
    widget = Widget(make_environment(site), seed_registry)
    html = widget.render("mybanner.html", ctx_for(seed_registry))
    (title,) = find(html, "h2")
    assert title.attrs["class"] == "site-title"
    assert title.inner_text == "Cookies, HubPages?"
    assert list(find(html, "button", value="accept_all"))
    assert list(find(html, "button", value="reject_all"))
    assert "HubPages uses cookies" in html


def test_a_block_override_of_the_panel(seed_registry: Registry) -> None:
    site = DictLoader(
        {
            "mypanel.html": '{% extends "consent/panel.html" %}{% block panel_actions %}<p id="no-actions"></p>{% endblock %}'
        }
    )
    html = Widget(make_environment(site), seed_registry).render("mypanel.html", ctx_for(seed_registry))
    assert list(find(html, "p", id="no-actions"))
    assert not list(find(html, "button"))
    assert len(list(find(html, "input", name="category"))) == 3


def test_make_environment_autoescapes(seed_registry: Registry) -> None:
    env = make_environment(DictLoader({"x.html": "{{ value }}"}))
    assert env.get_template("x.html").render(value="<b>") == "&lt;b&gt;"
    assert env.from_string("{{ value }}").render(value="<b>") == "&lt;b&gt;"


# -- Widget outside Flask ---------------------------------------------------------------------------------


def test_widget_banner_for_an_undecided_visitor(seed_registry: Registry) -> None:
    html = Widget(make_environment(), seed_registry).banner(ctx_for(seed_registry))
    assert isinstance(html, Markup)
    assert banner_of(html) is not None
    assert list(find(html, "dialog"))


def test_widget_banner_for_a_decided_visitor_is_only_the_dialog(seed_registry: Registry) -> None:
    state = ConsentState.reject_all(seed_registry)
    html = Widget(make_environment(), seed_registry).banner(ctx_for(seed_registry, state))
    assert banner_of(html) is None
    assert list(find(html, "dialog"))


def test_the_banner_keeps_pages_apart(seed_registry: Registry) -> None:
    widget = Widget(make_environment(), seed_registry)
    first = widget.banner(ctx_for(seed_registry, next="/a"))
    again = widget.banner(ctx_for(seed_registry, next="/a"))
    other = widget.banner(ctx_for(seed_registry, next="/b"))
    assert first == again
    assert {i.attrs["value"] for i in find(other, "input", name="next")} == {"/b"}


def test_the_banner_keeps_locales_apart(seed_registry: Registry) -> None:
    widget = Widget(make_environment(), seed_registry)
    assert "Accept all" in widget.banner(ctx_for(seed_registry))
    assert "Alle akzeptieren" in widget.banner(ctx_for(seed_registry, locale="de"))


def test_the_banner_is_the_same_for_every_undecided_visitor(make_registry: Factory) -> None:
    app = synthetic_app(make_registry(4))
    first = html_of(app.test_client().get("/"))
    second = html_of(app.test_client().get("/"))
    assert first == second


def test_registry_texts_take_their_own_direction_in_a_right_to_left_widget(seed_registry: Registry) -> None:
    """A registry text not translated into Hebrew is English inside a right-to-left panel: ``dir="auto"``
    lets the browser lay it out left to right, punctuation included."""
    html = Widget(make_environment(), seed_registry).panel(ctx_for(seed_registry, locale="he"))
    (form,) = find(html, "form", class_="consent-panel")
    assert form.attrs["dir"] == "rtl"
    descriptions = list(find(html, "p", class_="consent-text", dir="auto"))
    texts = {p.inner_text for p in descriptions}
    assert " ".join(seed_registry.vendor("google-youtube").description.split()) in texts
