"""The gate: what a page may contain for a visitor, with and without Flask; scripts, pixels and embeds."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from conftest import SEED_REGISTRY, registry_data
from flask import Flask, render_template_string
from flask.testing import FlaskClient
from flask_helpers import (
    PAGE,
    codec_of,
    consent_from,
    find,
    give,
    html_of,
    post,
    submission,
)
from markupsafe import Markup

from consent.gate import Gate, decide, embed_slot, embed_src, render_iframe, render_scripts
from consent.registry import Registry
from consent.state import ConsentState, Method

Factory = Callable[..., Registry]


def statistics_only(registry: Registry) -> ConsentState:
    optional = [c.id for c in registry.categories if not c.required]
    return ConsentState.undecided(registry).with_choices(
        {v.id: v.category == "statistics" for v in registry.optional_vendors()},
        {c: c == "statistics" for c in optional},
        method=Method.CUSTOM,
    )


def required_ids(registry: Registry) -> set[str]:
    return {v.id for v in registry.vendors if registry.is_required(v)}


def keys_of(markup: str) -> list[str]:
    """The vendor of every tag the gate emitted, from its ``data-consent-key``."""
    return [
        (e.attrs["data-consent-key"] or "").split(":")[0]
        for e in find(markup)
        if e.attrs.get("data-consent-key") is not None
    ]


# -- without Flask ---------------------------------------------------------------------------------


def test_the_core_imports_no_flask() -> None:
    code = textwrap.dedent(
        """
        import sys
        import consent.gate, consent.state, consent.codec, consent.registry, consent.loader, consent.banner
        print(sorted(m for m in sys.modules if m == "flask" or m.startswith(("flask.", "werkzeug"))))
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_decide_and_render_work_without_flask() -> None:
    code = textwrap.dedent(
        f"""
        import sys
        from consent.gate import decide, render_scripts
        from consent.loader import load_registry
        from consent.state import ConsentState, Method

        registry = load_registry({str(SEED_REGISTRY)!r})
        gate = decide(registry, ConsentState.accept_all(registry))
        markup = render_scripts(gate, "body", "abc")
        assert "adsbygoogle.js" in markup, markup
        assert "flask" not in sys.modules
        print("ok", len(gate.allowed))
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["ok", "34"]


def test_an_undecided_visitor_gets_only_required_vendors(seed_registry: Registry) -> None:
    gate = decide(seed_registry, ConsentState.undecided(seed_registry))
    assert gate.allowed_ids == required_ids(seed_registry)
    assert gate.scripts() == ()
    assert gate.pixels() == ()


def test_accept_all_allows_every_vendor(seed_registry: Registry) -> None:
    gate = decide(seed_registry, ConsentState.accept_all(seed_registry))
    assert gate.allowed_ids == {v.id for v in seed_registry.vendors}
    assert gate.blocked == ()


def test_statistics_only_allows_statistics_and_required(seed_registry: Registry) -> None:
    gate = decide(seed_registry, statistics_only(seed_registry))
    expected = required_ids(seed_registry) | {v.id for v in seed_registry.vendors_in("statistics")}
    assert gate.allowed_ids == expected
    assert {v.id for v in gate.blocked} == {v.id for v in seed_registry.vendors} - expected


def test_decide_reads_a_state_against_the_registry_it_is_given(make_registry: Factory) -> None:
    old, new = make_registry(4), make_registry(8)
    gate = decide(new, ConsentState.accept_all(old))
    assert gate.state.registry is new
    assert gate.allows("vendor-1")
    assert not gate.allows("vendor-5")  # added since: not asked yet


def test_gate_hosts_are_unique(seed_registry: Registry) -> None:
    gate = decide(seed_registry, ConsentState.accept_all(seed_registry))
    assert len(gate.hosts) == len(set(gate.hosts))
    assert "www.google.com" in gate.hosts


# -- scripts and pixels --------------------------------------------------------------------------------

STATES: dict[str, Callable[[Registry], ConsentState]] = {
    "undecided": ConsentState.undecided,
    "accept_all": ConsentState.accept_all,
    "reject_all": ConsentState.reject_all,
    "statistics_only": statistics_only,
}


@pytest.mark.parametrize("placement", ["head", "body"])
@pytest.mark.parametrize("state_name", list(STATES))
def test_rendered_tags_are_exactly_the_allowed_vendors(
    seed_registry: Registry, state_name: str, placement: Any
) -> None:
    gate = decide(seed_registry, STATES[state_name](seed_registry))
    markup = render_scripts(gate, placement, "nonce123")
    expected = [v.id for v, _, _ in gate.scripts(placement)] + [v.id for v, _, _ in gate.pixels(placement)]
    assert keys_of(markup) == expected
    assert set(expected) <= gate.allowed_ids


def test_statistics_only_renders_analytics_and_no_ads(seed_registry: Registry) -> None:
    gate = decide(seed_registry, statistics_only(seed_registry))
    markup = render_scripts(gate, "head") + render_scripts(gate, "body")
    assert "https://www.googletagmanager.com/gtag/js?id=G-HP5Q2X7K3M" in markup
    assert "https://sb.scorecardresearch.com/p?c1=2" in markup
    assert "adsbygoogle" not in markup
    assert "fbevents.js" not in markup
    assert "youtube" not in markup


def test_every_script_carries_the_nonce(seed_registry: Registry) -> None:
    gate = decide(seed_registry, ConsentState.accept_all(seed_registry))
    markup = render_scripts(gate, "head", "n0nce") + render_scripts(gate, "body", "n0nce")
    scripts = list(find(markup, "script"))
    assert len(scripts) == len(gate.scripts())
    assert all(s.attrs.get("nonce") == "n0nce" for s in scripts)


def test_no_nonce_without_csp(seed_registry: Registry) -> None:
    gate = decide(seed_registry, ConsentState.accept_all(seed_registry))
    markup = render_scripts(gate, "body")
    assert list(find(markup, "script"))
    assert all("nonce" not in s.attrs for s in find(markup, "script"))


def test_pixels_are_invisible_images(seed_registry: Registry) -> None:
    gate = decide(seed_registry, ConsentState.accept_all(seed_registry))
    images = list(find(render_scripts(gate, "body"), "img"))
    assert len(images) == len(gate.pixels("body")) > 0
    assert all(i.attrs["alt"] == "" and i.attrs["width"] == "1" and i.attrs["height"] == "1" for i in images)
    assert all("hidden" in i.attrs and "style" not in i.attrs for i in images)


def test_script_attributes_are_rendered(seed_registry: Registry) -> None:
    gate = decide(seed_registry, ConsentState.accept_all(seed_registry))
    (sdk,) = (
        s for s in find(render_scripts(gate, "body"), "script") if "sdk.js" in (s.attrs.get("src") or "")
    )
    assert sdk.attrs["crossorigin"] == "anonymous"
    assert "async" in sdk.attrs and sdk.attrs["async"] is None  # a bare boolean attribute


def inline_registry(code: str, **script: Any) -> Registry:
    data = registry_data(2)
    data["vendors"][0]["scripts"] = [{"inline": code, **script}]
    return Registry.model_validate(data)


def test_an_inline_script_cannot_close_its_tag(make_registry: Factory) -> None:
    registry = inline_registry('var a = "</script><script>alert(1)</script>";')
    gate = decide(registry, ConsentState.accept_all(registry))
    markup = render_scripts(gate, "body")
    assert markup.count("</script>") == 1
    assert len(list(find(markup, "script"))) == 1


def test_an_attribute_value_is_escaped(make_registry: Factory) -> None:
    data = registry_data(2)
    data["vendors"][0]["scripts"] = [
        {"src": "https://cdn.vendor-1.example.com/a.js", "attributes": {"data-x": '"><b>'}}
    ]
    registry = Registry.model_validate(data)
    markup = render_scripts(decide(registry, ConsentState.accept_all(registry)), "body")
    (script,) = find(markup, "script")
    assert script.attrs["data-x"] == '"><b>'
    assert not list(find(markup, "b"))


def test_render_scripts_returns_markup(seed_registry: Registry) -> None:
    gate = decide(seed_registry, ConsentState.accept_all(seed_registry))
    assert isinstance(render_scripts(gate, "head"), Markup)


def test_a_gate_is_its_registry_and_state(seed_registry: Registry) -> None:
    state = ConsentState.reject_all(seed_registry)
    gate = decide(seed_registry, state)
    assert isinstance(gate, Gate)
    assert gate.state is state


# -- scripts in Flask ----------------------------------------------------------------------------------


def render_for(app: Flask, client: FlaskClient, template: str, **context: Any) -> str:
    """Render a template in a request that carries the client's consent cookie."""
    cookie = client.get_cookie(codec_of(app).name)
    headers = {"Cookie": f"{cookie.key}={cookie.value}"} if cookie else {}
    with app.test_request_context("/", headers=headers):
        return render_template_string(template, **context)


@pytest.mark.parametrize("placement", ["head", "body"])
def test_consent_scripts_for_an_undecided_visitor_are_empty(
    app: Flask, client: FlaskClient, placement: str
) -> None:
    assert render_for(app, client, f"{{{{ consent_scripts({placement!r}) }}}}") == ""


def test_consent_scripts_keep_placements_apart(app: Flask, client: FlaskClient) -> None:
    give(client, app, action="accept_all")
    head = render_for(app, client, "{{ consent_scripts('head') }}")
    body = render_for(app, client, "{{ consent_scripts('body') }}")
    assert "gtag/js?id=G-HP5Q2X7K3M" in head and "gtag/js" not in body
    assert "adsbygoogle.js" in body and "adsbygoogle.js" not in head


def test_consent_scripts_default_to_the_body(app: Flask, client: FlaskClient) -> None:
    give(client, app, action="accept_all")
    assert render_for(app, client, "{{ consent_scripts() }}") == render_for(
        app, client, "{{ consent_scripts('body') }}"
    )


def test_consent_scripts_refuse_an_unknown_placement(app: Flask, client: FlaskClient) -> None:
    with pytest.raises(ValueError, match="placement"):
        render_for(app, client, "{{ consent_scripts('footer') }}")


def test_the_page_contains_only_approved_scripts(
    app: Flask, client: FlaskClient, seed_registry: Registry
) -> None:
    give(client, app, action="custom", category="statistics")
    html = html_of(client.get(PAGE))
    statistics = {v.id for v in seed_registry.vendors_in("statistics")}
    assert set(keys_of(html)) == {
        v for v in statistics if seed_registry.vendor(v).scripts or seed_registry.vendor(v).pixels
    }


def test_the_page_of_an_undecided_visitor_has_no_vendor_tags(client: FlaskClient) -> None:
    html = html_of(client.get(PAGE))
    assert keys_of(html) == []
    scripts = list(find(html, "script"))
    # The widget's own module, and the consent defaults of Google Consent Mode and Microsoft UET (the
    # site's Bing pixels): inline scripts that load nothing.
    assert all((s.attrs.get("src") or "").startswith("/consent/static/") for s in scripts if "src" in s.attrs)
    inline = [
        s.attrs.get("data-consent-microsoft") or s.attrs.get("data-consent-mode")
        for s in scripts
        if "src" not in s.attrs
    ]
    assert inline == ["default", "default"]


def test_the_page_scripts_carry_the_nonce_when_csp_is_on() -> None:
    from flask_helpers import example_app

    app = example_app(CONSENT_CSP="enforce")
    client = app.test_client()
    give(client, app, action="accept_all")
    html = html_of(client.get(PAGE))
    scripts = list(find(html, "script"))
    nonces = {s.attrs.get("nonce") for s in scripts}
    assert len(scripts) > 10
    assert len(nonces) == 1 and None not in nonces


@pytest.mark.parametrize(("action", "expected"), [("accept_all", "yes"), ("reject_all", "no"), (None, "no")])
def test_consent_allows_in_a_template(
    app: Flask, client: FlaskClient, action: str | None, expected: str
) -> None:
    if action:
        give(client, app, action=action)
    template = '{% if consent.allows("google-youtube") %}yes{% else %}no{% endif %}'
    assert render_for(app, client, template) == expected


def test_consent_allows_category_in_a_template(app: Flask, client: FlaskClient) -> None:
    give(client, app, action="custom", category="marketing")
    template = "{{ consent.allows_category('marketing') }} {{ consent.allows_category('statistics') }}"
    assert render_for(app, client, template) == "True False"


# -- embeds -----------------------------------------------------------------------------------------

YOUTUBE = "https://www.youtube-nocookie.com/embed/"


def youtube_slot(html: str) -> Any:
    (slot,) = find(html, "div", class_="consent-embed", data_consent_vendor="google-youtube")
    return slot


def test_an_undecided_visitor_gets_a_placeholder(client: FlaskClient) -> None:
    html = html_of(client.get(PAGE))
    assert not [i for i in find(html, "iframe") if YOUTUBE in (i.attrs.get("src") or "")]
    (placeholder,) = (p for p in find(html, "div", class_="consent-placeholder") if "YouTube" in p.inner_text)
    text = placeholder.inner_text
    assert "Google YouTube content is blocked" in text
    assert "purpose: Features" in text
    assert "Privacy Policy (Google YouTube)" in text
    (policy,) = (a for a in find(youtube_slot(html).outer_html, "a") if "Google YouTube" in a.inner_text)
    assert policy.attrs["href"] == "https://policies.google.com/privacy"


def test_the_placeholder_has_a_grant_button(client: FlaskClient) -> None:
    html = html_of(client.get(PAGE))
    fragment = youtube_slot(html).outer_html
    assert not list(find(fragment, "form"))  # placeholders sit inside the site's forms: never a form
    (button,) = find(fragment, "button", type="submit")
    assert (button.attrs["name"], button.attrs["value"]) == ("vendor", "google-youtube")
    assert button.inner_text == "Load content from Google YouTube"
    (form,) = find(html, "form", id=button.attrs["form"])
    assert (form.attrs["method"], form.attrs["action"]) == ("post", "/consent/")
    hidden = {(e.attrs["name"], e.attrs["value"]) for e in find(form.outer_html, "input", type="hidden")}
    assert hidden == {("action", "grant"), ("layer", "embed"), ("next", PAGE)}


def test_the_placeholder_button_grants_only_that_vendor(app: Flask, client: FlaskClient) -> None:
    html = html_of(client.get(PAGE))
    (button,) = find(youtube_slot(html).outer_html, "button", type="submit")
    response = post(client, submission(html, button))
    assert response.status_code == 303
    assert response.headers["Location"] == PAGE
    state = consent_from(response, app)
    assert state is not None
    assert [v.id for v in state.granted_vendors() if not state.registry.is_required(v)] == ["google-youtube"]
    page = html_of(client.get(PAGE))
    assert list(find(page, "section", id="consent-banner"))
    (iframe,) = find(page, "iframe", src=YOUTUBE + "ne6p6MfLBxc")
    assert iframe.attrs["title"] == "Her \N{EN DASH} official trailer"


def test_an_approved_vendor_gets_the_iframe(app: Flask, client: FlaskClient) -> None:
    give(client, app, action="accept_all")
    html = html_of(client.get(PAGE))
    slot = youtube_slot(html)
    assert slot.attrs["data-consent-slot"].startswith("embed-google-youtube-")
    (iframe,) = find(html, "iframe", src=YOUTUBE + "ne6p6MfLBxc")
    assert iframe.attrs["loading"] == "lazy"
    assert not [p for p in find(html, "div", class_="consent-placeholder") if "YouTube" in p.inner_text]


def test_a_declined_vendor_keeps_its_placeholder(app: Flask, client: FlaskClient) -> None:
    give(client, app, action="reject_all")
    html = html_of(client.get(PAGE))
    assert not list(find(html, "iframe"))
    assert "Google YouTube content is blocked" in html


def test_the_slot_id_is_the_same_before_and_after_consent(app: Flask, client: FlaskClient) -> None:
    before = youtube_slot(html_of(client.get(PAGE))).attrs["data-consent-slot"]
    give(client, app, action="accept_all")
    after = youtube_slot(html_of(client.get(PAGE))).attrs["data-consent-slot"]
    assert before == after


INJECTIONS = [
    '"><script>alert(1)</script>',
    'x" onload="alert(1)',
    "../../../evil.example/",
    "x?autoplay=1&src=https://evil.example",
    "x#frag",
    "javascript:alert(1)",
    "//evil.example",
    "a b\nc",
    "%2e%2e%2f",
]


@pytest.mark.parametrize("video_id", INJECTIONS)
def test_embed_params_stay_in_their_slot(app: Flask, client: FlaskClient, video_id: str) -> None:
    give(client, app, action="accept_all")
    html = render_for(
        app, client, "{{ consent_embed('google-youtube', video_id=video_id) }}", video_id=video_id
    )
    (iframe,) = find(html, "iframe")
    src = iframe.attrs["src"] or ""
    assert src == YOUTUBE + quote(video_id, safe="")
    parts = urlsplit(src)
    assert (parts.scheme, parts.netloc) == ("https", "www.youtube-nocookie.com")
    assert parts.path.count("/") == 2 and parts.query == "" and parts.fragment == ""
    assert not list(find(html, "script"))
    assert set(iframe.attrs) <= {
        "src",
        "title",
        "width",
        "height",
        "allow",
        "allowfullscreen",
        "loading",
        "referrerpolicy",
    }


def test_embed_params_in_a_placeholder_are_harmless(app: Flask, client: FlaskClient) -> None:
    html = render_for(
        app, client, "{{ consent_embed('google-youtube', video_id='\"><script>alert(1)</script>') }}"
    )
    assert not list(find(html, "script"))
    assert not list(find(html, "iframe"))


def test_embed_src_quotes_every_value(seed_registry: Registry) -> None:
    embed = seed_registry.vendor("google-maps").embed("map")
    assert embed is not None
    assert embed_src(embed, {"pb": "a&b=c d"}) == "https://www.google.com/maps/embed?pb=a%26b%3Dc%20d"


def test_embed_src_needs_every_field(seed_registry: Registry) -> None:
    embed = seed_registry.vendor("google-youtube").embed()
    assert embed is not None
    with pytest.raises(KeyError, match="video_id"):
        embed_src(embed, {})


def test_embed_src_ignores_extra_params(seed_registry: Registry) -> None:
    embed = seed_registry.vendor("vimeo").embed("video")
    assert embed is not None
    assert embed_src(embed, {"video_id": "42", "other": "x"}) == "https://player.vimeo.com/video/42"


def test_render_iframe_uses_the_embed_title_by_default(seed_registry: Registry) -> None:
    embed = seed_registry.vendor("vimeo").embed()
    assert embed is not None
    (iframe,) = find(render_iframe(seed_registry, "vimeo", embed, {"video_id": "1"}), "iframe")
    assert iframe.attrs["title"] == embed.title


def test_embed_slot_depends_on_the_params(seed_registry: Registry) -> None:
    embed = seed_registry.vendor("vimeo").embed()
    assert embed is not None
    assert embed_slot("vimeo", embed, {"video_id": "1"}) == embed_slot("vimeo", embed, {"video_id": "1"})
    assert embed_slot("vimeo", embed, {"video_id": "1"}) != embed_slot("vimeo", embed, {"video_id": "2"})


def test_an_unknown_embed_name_raises(app: Flask, client: FlaskClient) -> None:
    with pytest.raises(KeyError, match="trailer"):
        render_for(app, client, "{{ consent_embed('google-youtube', 'trailer', video_id='x') }}")


def test_a_vendor_without_embeds_raises(app: Flask, client: FlaskClient) -> None:
    with pytest.raises(KeyError):
        render_for(app, client, "{{ consent_embed('comscore') }}")


def test_consent_placeholder_is_empty_once_allowed(app: Flask, client: FlaskClient) -> None:
    assert "Paypal content is blocked" in render_for(app, client, "{{ consent_placeholder('paypal') }}")
    give(client, app, action="grant", vendor="paypal")
    assert render_for(app, client, "{{ consent_placeholder('paypal') }}") == ""


def test_consent_placeholder_grants_that_vendor(app: Flask, client: FlaskClient) -> None:
    html = render_for(app, client, "{{ consent_placeholder('google-recaptcha') }}")
    assert {(e.attrs["name"], e.attrs["value"]) for e in find(html, "button")} == {
        ("vendor", "google-recaptcha")
    }
    (slot,) = find(html, "div", class_="consent-embed")
    assert slot.attrs["data-consent-slot"] == "placeholder-google-recaptcha"


# -- pixels for visitors without JavaScript; scripts limited to pages (issue #12, items 4 and 5) -------


def tagged_registry(
    *, scripts: list[dict[str, Any]] | None = None, pixels: list[dict[str, Any]] | None = None
) -> Registry:
    data = registry_data(4)
    data["vendors"][0]["scripts"] = scripts or []  # vendor-1, functional
    data["vendors"][0]["pixels"] = pixels or []
    data["vendors"][1]["scripts"] = [{"src": "https://cdn.vendor-2.example.com/all.js"}]
    return Registry.model_validate(data)


def test_a_noscript_pixel_is_inside_noscript_and_a_plain_one_is_not() -> None:
    registry = tagged_registry(
        scripts=[{"src": "https://cdn.vendor-1.example.com/fbevents.js"}],
        pixels=[
            {"src": "https://cdn.vendor-1.example.com/tr?noscript=1", "noscript": True},
            {"src": "https://cdn.vendor-1.example.com/always.gif"},
        ],
    )
    markup = str(render_scripts(decide(registry, ConsentState.accept_all(registry)), "body"))
    assert '<noscript><img src="https://cdn.vendor-1.example.com/tr?noscript=1"' in markup
    assert markup.count("<noscript>") == 1
    # With scripting on, a browser's parser takes <noscript> content as text: the image is never fetched.
    (img,) = (e for e in find(markup, "img") if "always.gif" in (e.attrs.get("src") or ""))
    assert "hidden" in img.attrs


def test_a_noscript_pixel_is_still_gated() -> None:
    registry = tagged_registry(pixels=[{"src": "https://cdn.vendor-1.example.com/tr", "noscript": True}])
    assert "noscript" not in str(render_scripts(decide(registry, ConsentState.reject_all(registry)), "body"))


def test_a_noscript_pixel_cannot_go_in_the_head() -> None:
    with pytest.raises(Exception, match="noscript pixel belongs in the body"):
        tagged_registry(
            pixels=[{"src": "https://cdn.vendor-1.example.com/tr", "noscript": True, "placement": "head"}]
        )


CHECKOUT_ONLY = [
    {"src": "https://cdn.vendor-1.example.com/stripe.js", "paths": ["/checkout*", "/account/billing"]},
    {"inline": "everywhere()"},
]


@pytest.mark.parametrize(
    ("path", "stripe"),
    [
        ("/checkout", True),
        ("/checkout/step-2", True),
        ("/account/billing", True),
        ("/account/billing/x", False),
        ("/", False),
        ("/blog/checkout", False),
        (None, False),
    ],
)
def test_a_scoped_script_loads_only_on_matching_paths(path: str | None, stripe: bool) -> None:
    registry = tagged_registry(scripts=CHECKOUT_ONLY)
    markup = str(render_scripts(decide(registry, ConsentState.accept_all(registry)), "body", path=path))
    assert ("stripe.js" in markup) is stripe
    assert "everywhere()" in markup and "all.js" in markup  # unscoped scripts come on every page


def test_a_path_pattern_must_be_a_path() -> None:
    with pytest.raises(Exception, match="should match pattern"):
        tagged_registry(scripts=[{"src": "https://cdn.vendor-1.example.com/a.js", "paths": ["checkout"]}])


def test_only_narrows_the_scripts_to_the_vendors_asked_for() -> None:
    registry = tagged_registry(
        scripts=[{"src": "https://cdn.vendor-1.example.com/a.js"}],
        pixels=[{"src": "https://cdn.vendor-1.example.com/p.gif"}],
    )
    gate = decide(registry, ConsentState.accept_all(registry))
    assert set(keys_of(str(render_scripts(gate, "body", only=["vendor-1"])))) == {"vendor-1"}
    assert set(keys_of(str(render_scripts(gate, "body", only=["vendor-2"])))) == {"vendor-2"}
    assert str(render_scripts(gate, "body", only=[])) == ""
    # Asking for a vendor never loads it without consent.
    rejected = decide(registry, ConsentState.reject_all(registry))
    assert str(render_scripts(rejected, "body", only=["vendor-1"])) == ""


def test_only_refuses_an_unknown_vendor() -> None:
    registry = tagged_registry()
    with pytest.raises(KeyError, match="nobody"):
        render_scripts(decide(registry, ConsentState.accept_all(registry)), "body", only=["nobody"])


def test_consent_scripts_in_flask_take_the_request_path_and_only() -> None:
    from consent import Consent

    registry = tagged_registry(scripts=CHECKOUT_ONLY)
    site = Flask(__name__)
    site.config.update(SECRET_KEY="k" * 32, CONSENT_COOKIE_SECURE=False)
    Consent(site, registry=registry)
    codec = site.extensions["consent"].codec
    cookie = codec.encode(ConsentState.accept_all(registry))
    headers = {"Cookie": f"{codec.name}={cookie}"}
    for path, stripe in (("/checkout/pay", True), ("/", False)):
        with site.test_request_context(path, headers=headers):
            assert ("stripe.js" in render_template_string("{{ consent_scripts() }}")) is stripe
            only = render_template_string("{{ consent_scripts('body', only=['vendor-2']) }}")
            assert "all.js" in only and "everywhere()" not in only
