"""The Flask extension's wiring: init_app and app factories, config precedence and errors, key rotation,
current_consent, consent_required, signals and caching headers.

What a decision grants or denies is the core's rule, tested without Flask in ``test_decisions.py`` and
``test_state.py``; here the decisions only feed the extension (a cookie to read, a signal to send).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from blinker import Signal
from flask import Flask, render_template_string
from flask_helpers import (
    JSON,
    ORIGIN,
    PAGE,
    consent_from,
    cookie_value,
    example_app,
    give,
    post,
    set_cookies,
    settings_of,
    synthetic_app,
)

from consent.codec import CookieCodec
from consent.errors import ConfigurationError
from consent.ext import (
    DEFAULTS,
    Consent,
    consent_changed,
    consent_given,
    consent_required,
    consent_withdrawn,
    current_consent,
)
from consent.registry import Registry
from consent.state import ConsentState, Method

Factory = Callable[..., Registry]


# -- app factories and several apps -------------------------------------------------------------------


def test_init_app_with_an_app_factory(make_registry: Factory) -> None:
    consent = Consent(registry=make_registry(8))

    def create() -> Flask:
        app = Flask(__name__)
        app.config.update(SECRET_KEY="k", CONSENT_COOKIE_SECURE=False)
        consent.init_app(app)
        return app

    app = create()
    response = app.test_client().get("/consent/status")
    assert response.status_code == 200
    assert set(response.get_json()["vendors"]) == {f"vendor-{n}" for n in range(1, 9)}


def test_the_extension_keeps_no_app(make_registry: Factory) -> None:
    consent = Consent(registry=make_registry(4))
    app = Flask(__name__)
    app.config["SECRET_KEY"] = "k"
    consent.init_app(app)
    assert not hasattr(consent, "app")
    assert "consent" in app.extensions


def test_two_apps_in_one_process_each_see_their_own_registry(make_registry: Factory) -> None:
    first = synthetic_app(make_registry(4), secret="first")
    second = synthetic_app(make_registry(3, first_number=50), secret="second")
    first_vendors = first.test_client().get("/consent/status").get_json()["vendors"]
    second_vendors = second.test_client().get("/consent/status").get_json()["vendors"]
    assert set(first_vendors) == {"vendor-1", "vendor-2", "vendor-3", "vendor-4"}
    assert set(second_vendors) == {"vendor-50", "vendor-51", "vendor-52"}


def test_two_apps_in_one_process_each_use_their_own_key(make_registry: Factory) -> None:
    registry = make_registry(4)
    first, second = synthetic_app(registry, secret="first"), synthetic_app(registry, secret="second")
    first_client, second_client = first.test_client(), second.test_client()
    give(first_client, first, action="accept_all")
    second_client.set_cookie("consent", cookie_value(first_client, first))
    assert first_client.get("/consent/status").get_json()["decided"] is True
    assert second_client.get("/consent/status").get_json()["decided"] is False


def test_one_extension_object_serves_two_apps_with_their_own_config(make_registry: Factory) -> None:
    consent = Consent(registry=make_registry(4))
    apps = []
    for name in ("alpha", "beta"):
        app = Flask(__name__)
        app.config.update(SECRET_KEY=name, CONSENT_COOKIE_SECURE=False, CONSENT_COOKIE_NAME=name)
        consent.init_app(app)
        apps.append(app)
    for app, name in zip(apps, ("alpha", "beta"), strict=True):
        response = post(app.test_client(), {"action": "accept_all"})
        assert set(set_cookies(response)) == {name}


def test_the_example_site_is_an_app_factory() -> None:
    first, second = example_app(), example_app()
    assert first.extensions["consent"] is not second.extensions["consent"]
    assert first.test_client().get(PAGE).status_code == 200
    assert second.test_client().get(PAGE).status_code == 200


def test_a_registry_path_is_relative_to_the_app_root(tmp_path: Path, seed_registry: Registry) -> None:
    source = Path(__file__).resolve().parents[1] / "examples" / "reviews" / "vendors.toml"
    (tmp_path / "vendors.toml").write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    app = Flask(__name__, root_path=str(tmp_path))
    app.config.update(SECRET_KEY="k", CONSENT_REGISTRY="vendors.toml")
    Consent(app)
    assert settings_of(app).registry.revision == seed_registry.revision


# -- configuration ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argument", "config", "expected"),
    [
        (None, None, "consent"),  # the documented default
        (None, "from-config", "from-config"),
        ("from-argument", "from-config", "from-argument"),
        ("from-argument", None, "from-argument"),
    ],
)
def test_cookie_name_precedence(
    make_registry: Factory, argument: str | None, config: str | None, expected: str
) -> None:
    app = Flask(__name__)
    app.config.update(SECRET_KEY="k", CONSENT_COOKIE_SECURE=False)
    if config is not None:
        app.config["CONSENT_COOKIE_NAME"] = config
    options = {"cookie_name": argument} if argument is not None else {}
    Consent(app, registry=make_registry(4), **options)
    response = post(app.test_client(), {"action": "reject_all"})
    assert set(set_cookies(response)) == {expected}


@pytest.mark.parametrize(
    ("argument", "config", "expected"),
    [
        (None, None, "/consent/status"),
        (None, "/cfg", "/cfg/status"),
        ("/arg", "/cfg", "/arg/status"),
    ],
)
def test_url_prefix_precedence(
    make_registry: Factory, argument: str | None, config: str | None, expected: str
) -> None:
    app = Flask(__name__)
    app.config["SECRET_KEY"] = "k"
    if config is not None:
        app.config["CONSENT_URL_PREFIX"] = config
    options = {"url_prefix": argument} if argument is not None else {}
    Consent(app, registry=make_registry(4), **options)
    client = app.test_client()
    assert client.get(expected).status_code == 200
    for other in {"/consent/status", "/cfg/status", "/arg/status"} - {expected}:
        assert client.get(other).status_code == 404


def test_registry_argument_beats_the_config(make_registry: Factory) -> None:
    app = Flask(__name__)
    app.config.update(SECRET_KEY="k", CONSENT_REGISTRY="does-not-exist.toml")
    Consent(app, registry=make_registry(2))
    assert settings_of(app).registry.get_vendor("vendor-2") is not None


def test_defaults_are_set_on_the_app_config(make_registry: Factory) -> None:
    app = Flask(__name__)
    app.config.update(CONSENT_POSITION="modal", SECRET_KEY="k")
    Consent(app, registry=make_registry(2))
    assert app.config["CONSENT_POSITION"] == "modal"
    assert app.config["CONSENT_COOKIE_MAX_AGE"] == DEFAULTS["CONSENT_COOKIE_MAX_AGE"]


def test_secure_cookie_by_default(make_registry: Factory) -> None:
    app = Flask(__name__)
    app.config["SECRET_KEY"] = "k"
    Consent(app, registry=make_registry(4))
    response = post(app.test_client(), {"action": "reject_all"})
    (header,) = response.headers.getlist("Set-Cookie")
    assert header.startswith("__Host-consent=")
    assert "Secure" in header
    assert "HttpOnly" in header
    assert "SameSite=Lax" in header


def test_consent_secret_key_beats_secret_key(make_registry: Factory) -> None:
    registry = make_registry(4)
    app = synthetic_app(registry, CONSENT_SECRET_KEY="consent-key")
    client = app.test_client()
    give(client, app, action="accept_all")
    value = cookie_value(client, app)
    assert CookieCodec(registry, "consent-key").decode(value).is_decided
    assert not CookieCodec(registry, "test-secret").decode(value).is_decided


def test_secret_key_fallbacks_still_verify(make_registry: Factory) -> None:
    registry = make_registry(4)
    old = CookieCodec(registry, "old-key", secure=False).encode(ConsentState.accept_all(registry))
    app = synthetic_app(registry, secret="new-key", SECRET_KEY_FALLBACKS=["old-key"])
    client = app.test_client()
    client.set_cookie("consent", old)
    assert client.get("/consent/status").get_json()["method"] == "accept_all"


def test_no_secret_key_fails_at_start_up(make_registry: Factory) -> None:
    app = Flask(__name__)
    with pytest.raises(ConfigurationError, match="SECRET_KEY") as caught:
        Consent(app, registry=make_registry(4))
    assert caught.value.key == "SECRET_KEY"
    assert "consent" not in app.extensions


def test_a_key_removed_later_is_an_error_on_use_not_a_silent_default(make_registry: Factory) -> None:
    app = synthetic_app(make_registry(4))
    app.config["SECRET_KEY"] = None
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        app.test_client().get("/consent/status")


def test_missing_registry_is_an_error() -> None:
    app = Flask(__name__)
    app.config["SECRET_KEY"] = "k"
    with pytest.raises(ConfigurationError, match="registry"):
        Consent(app)


def test_unknown_option_is_an_error(make_registry: Factory) -> None:
    with pytest.raises(ConfigurationError, match="cookie_nmae"):
        Consent(registry=make_registry(2), cookie_nmae="x")


@pytest.mark.parametrize(
    ("key", "value"), [("CONSENT_LIFETIME", 0), ("CONSENT_LIFETIME", 396), ("CONSENT_MAX_FORM_BYTES", 0)]
)
def test_out_of_range_settings_are_refused(make_registry: Factory, key: str, value: int) -> None:
    app = Flask(__name__)
    app.config.update({key: value, "SECRET_KEY": "k"})
    with pytest.raises(ConfigurationError, match=key):
        Consent(app, registry=make_registry(2))


def test_lifetime_setting_sets_the_expiry(make_registry: Factory) -> None:
    app = synthetic_app(make_registry(4), CONSENT_LIFETIME=30)
    state = give(app.test_client(), app, action="accept_all")
    assert state.expires_at is not None and state.decided_at is not None
    assert (state.expires_at - state.decided_at).days == 30


def test_using_helpers_without_the_extension_is_an_error() -> None:
    app = Flask(__name__)
    with app.test_request_context("/"), pytest.raises(ConfigurationError, match="not initialised"):
        current_consent.is_decided  # noqa: B018


# -- current_consent ---------------------------------------------------------------------------------


@contextmanager
def counting_decodes(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str | None]]:
    calls: list[str | None] = []
    original = CookieCodec.decode

    def counting(self: CookieCodec, value: str | None, **kwargs: Any) -> ConsentState:
        calls.append(value)
        return original(self, value, **kwargs)

    monkeypatch.setattr(CookieCodec, "decode", counting)
    yield calls


def test_the_cookie_is_decoded_once_per_request(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    client = app.test_client()
    give(client, app, action="accept_all")
    with counting_decodes(monkeypatch) as calls:
        # The article calls consent.allows, consent_scripts twice, consent_embed twice,
        # consent_placeholder, consent_settings_link and consent_banner.
        response = client.get(PAGE)
    assert response.status_code == 200
    assert len(calls) == 1
    assert calls[0] is not None


def test_every_helper_shares_one_decode(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    template = (
        "{{ consent.allows('vimeo') }}{{ consent_scripts('head') }}{{ consent_scripts('body') }}"
        "{{ consent_embed('google-youtube', video_id='x') }}{{ consent_placeholder('paypal') }}"
        "{{ consent_settings_link() }}{{ consent_banner() }}{{ consent_head() }}{{ consent_nonce() }}"
    )
    with (
        counting_decodes(monkeypatch) as calls,
        app.test_request_context("/", headers={"Cookie": "consent=junk"}),
    ):
        render_template_string(template)
        assert current_consent.is_decided is False
    assert calls == ["junk"]


def test_current_consent_reflects_the_cookie(app: Flask) -> None:
    client = app.test_client()
    give(client, app, action="custom", category="statistics")
    with app.test_request_context("/", headers={"Cookie": f"consent={cookie_value(client, app)}"}):
        assert current_consent.allows("hubpages-google-analytics")
        assert not current_consent.allows("google-adsense")


# -- consent_required ----------------------------------------------------------------------------------


@pytest.fixture
def guarded(make_registry: Factory) -> Flask:
    app = synthetic_app(make_registry(8))

    @app.get("/by-vendor")
    @consent_required("vendor-2")
    def by_vendor() -> str:
        return "vendor ok"

    @app.get("/by-category")
    @consent_required("marketing")
    def by_category() -> str:
        return "category ok"

    @app.get("/by-necessary")
    @consent_required("necessary")
    def by_necessary() -> str:
        return "necessary ok"

    @app.get("/unknown")
    @consent_required("no-such-thing")
    def unknown() -> str:
        return "never"

    return app


@pytest.mark.parametrize("path", ["/by-vendor", "/by-category"])
def test_consent_required_refuses_an_undecided_visitor(guarded: Flask, path: str) -> None:
    assert guarded.test_client().get(path).status_code == 403


@pytest.mark.parametrize("path", ["/by-vendor", "/by-category"])
def test_consent_required_allows_after_accept_all(guarded: Flask, path: str) -> None:
    client = guarded.test_client()
    give(client, guarded, action="accept_all")
    response = client.get(path)
    assert response.status_code == 200
    assert response.get_data(as_text=True).endswith("ok")


def test_consent_required_by_vendor_needs_that_vendor(guarded: Flask) -> None:
    client = guarded.test_client()
    give(client, guarded, action="custom", vendor="vendor-6")  # another statistics vendor
    assert client.get("/by-vendor").status_code == 403
    give(client, guarded, action="custom", vendor="vendor-2")
    assert client.get("/by-vendor").status_code == 200


def test_consent_required_by_category_needs_the_category(guarded: Flask) -> None:
    client = guarded.test_client()
    give(client, guarded, action="custom", vendor="vendor-3")  # a marketing vendor, not the category
    assert client.get("/by-category").status_code == 403


def test_consent_required_on_a_required_category_always_allows(guarded: Flask) -> None:
    assert guarded.test_client().get("/by-necessary").status_code == 200


def test_consent_required_with_an_unknown_id_raises(guarded: Flask) -> None:
    with pytest.raises(LookupError, match="no-such-thing"):
        guarded.test_client().get("/unknown")


# -- signals --------------------------------------------------------------------------------------------


@contextmanager
def recording(app: Flask) -> Iterator[list[tuple[str, ConsentState, ConsentState]]]:
    events: list[tuple[str, ConsentState, ConsentState]] = []
    signals: dict[str, Signal] = {
        "given": consent_given,
        "changed": consent_changed,
        "withdrawn": consent_withdrawn,
    }
    receivers = []
    for name, signal in signals.items():

        def receiver(sender: Flask, *, state: ConsentState, previous: ConsentState, name: str = name) -> None:
            assert sender is app
            events.append((name, state, previous))

        receivers.append(receiver)
        signal.connect(receiver, app)
    try:
        yield events
    finally:
        for signal, receiver in zip(signals.values(), receivers, strict=True):
            signal.disconnect(receiver, app)


def test_first_decision_sends_consent_given(app: Flask) -> None:
    client = app.test_client()
    with recording(app) as events:
        give(client, app, action="accept_all")
    assert [name for name, _, _ in events] == ["given"]
    _, state, previous = events[0]
    assert state.method is Method.ACCEPT_ALL
    assert not previous.is_decided


def test_second_decision_sends_consent_changed(app: Flask) -> None:
    client = app.test_client()
    give(client, app, action="accept_all")
    with recording(app) as events:
        give(client, app, action="reject_all")
    assert [name for name, _, _ in events] == ["changed"]
    _, state, previous = events[0]
    assert previous.method is Method.ACCEPT_ALL
    assert state.method is Method.REJECT_ALL


def test_withdraw_sends_consent_withdrawn(app: Flask) -> None:
    client = app.test_client()
    give(client, app, action="accept_all")
    with recording(app) as events:
        give(client, app, action="withdraw")
    assert [name for name, _, _ in events] == ["withdrawn"]
    _, state, previous = events[0]
    assert state.method is Method.WITHDRAW
    assert previous.allows("google-adsense")
    assert not state.allows("google-adsense")


def test_a_fetch_decision_sends_the_signal_too(app: Flask) -> None:
    with recording(app) as events:
        response = post(app.test_client(), {"action": "reject_all"}, headers=JSON)
    assert response.status_code == 200
    assert [name for name, _, _ in events] == ["given"]


@pytest.mark.parametrize(
    ("data", "headers"),
    [
        ({"action": "nonsense"}, ORIGIN),
        ({"action": "accept_all"}, {"Origin": "https://evil.example"}),
        ({"action": "custom", "vendor": "no-such-vendor"}, ORIGIN),
    ],
)
def test_a_refused_post_sends_no_signal(app: Flask, data: dict[str, str], headers: dict[str, str]) -> None:
    with recording(app) as events:
        response = app.test_client().post("/consent/", data=data, headers=headers)
    assert response.status_code == 400
    assert events == []


def test_page_views_send_no_signal(app: Flask) -> None:
    client = app.test_client()
    give(client, app, action="accept_all")
    with recording(app) as events:
        client.get(PAGE)
        client.get("/consent/status")
        client.get("/consent/preferences")
    assert events == []


def test_signals_of_another_app_are_not_received(app: Flask) -> None:
    other = example_app()
    with recording(app) as events:
        give(other.test_client(), other, action="accept_all")
    assert events == []


# -- caching headers --------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [PAGE, "/", "/privacy"])
def test_consent_dependent_pages_vary_on_cookie_and_are_private(client: Any, path: str) -> None:
    response = client.get(path)
    assert "Cookie" in response.vary
    assert response.cache_control.private
    assert not response.cache_control.public


@pytest.mark.parametrize("path", ["/t/pixel.gif", "/consent/static/consent.css"])
def test_responses_that_never_read_consent_do_not_vary(client: Any, path: str) -> None:
    with client.get(path) as response:
        assert response.status_code == 200
        assert "Cookie" not in response.vary
        assert not response.cache_control.private


def test_a_synthetic_page_without_consent_does_not_vary(make_registry: Factory) -> None:
    app = synthetic_app(make_registry(4))
    response = app.test_client().get("/plain")
    assert "Vary" not in response.headers
    assert "Cache-Control" not in response.headers


def test_a_public_cache_control_becomes_private(make_registry: Factory) -> None:
    app = synthetic_app(make_registry(4))

    @app.get("/cached")
    def cached() -> Any:
        response = app.make_response(render_template_string("{{ consent.is_decided }}"))
        response.cache_control.public = True
        response.cache_control.max_age = 60
        return response

    response = app.test_client().get("/cached")
    assert response.cache_control.private
    assert not response.cache_control.public


def test_negotiated_language_adds_vary_accept_language(client: Any) -> None:
    assert "Accept-Language" in client.get(PAGE).vary


def test_a_fixed_locale_does_not_vary_on_accept_language() -> None:
    app = example_app(CONSENT_LOCALE="fr")
    response = app.test_client().get(PAGE)
    assert "Cookie" in response.vary
    assert "Accept-Language" not in response.vary


@pytest.mark.parametrize(
    "path", ["/consent/status", "/consent/preferences", "/consent/preferences?fragment=1"]
)
def test_consent_endpoints_are_no_store(client: Any, path: str) -> None:
    response = client.get(path)
    assert response.cache_control.no_store
    assert "Cookie" in response.vary


def test_decision_redirect_is_private(client: Any, app: Flask) -> None:
    response = post(client, {"action": "accept_all"})
    assert response.status_code == 303
    assert response.cache_control.private
    assert consent_from(response, app) is not None


def test_every_request_verifies_its_cookie(monkeypatch: pytest.MonkeyPatch) -> None:
    """No verified-cookie cache: the same cookie sent twice is verified twice, as Flask's session is."""
    from flask_helpers import example_app

    app = example_app()
    client = app.test_client()
    give(client, app, action="accept_all")
    with counting_decodes(monkeypatch) as calls:
        client.get("/consent/status")
        client.get("/consent/status")
    assert len(calls) == 2 and calls[0] == calls[1] is not None


def test_an_app_mounted_under_a_prefix_links_and_returns_under_it() -> None:
    from flask_helpers import example_app

    client = example_app().test_client()
    for root in ("/a", "/b"):  # one app, two mounts: cached markup must not leak one into the other
        html = client.get("/movie-review-her", base_url=f"http://localhost{root}").get_data(as_text=True)
        assert f'href="{root}/consent/preferences"' in html  # the settings link
        assert f'<input type="hidden" name="next" value="{root}/movie-review-her">' in html
        assert f'action="{root}/consent/"' in html

        response = client.post(
            "/consent/",
            data={"action": "reject_all", "next": f"{root}/movie-review-her"},
            headers={"Origin": "http://localhost"},
            base_url=f"http://localhost{root}",
        )
        assert response.headers["Location"] == f"{root}/movie-review-her"


@pytest.mark.parametrize(
    ("chosen", "expected"), [("fr", "fr"), ("de-AT", "de"), ("../../etc", "en"), ("xx", "en")]
)
def test_a_site_chosen_locale_must_be_one_it_offers(chosen: str, expected: str) -> None:
    from flask_helpers import example_app

    client = example_app(CONSENT_LOCALE=lambda request: chosen).test_client()

    html = client.get("/movie-review-her").get_data(as_text=True)

    assert 'id="consent-banner" class="consent-banner consent-banner--bar" role="region"' in html
    assert f'lang="{expected}"' in html.split('id="consent-banner"', 1)[1].split(">", 1)[0]


def test_each_request_of_one_app_context_reads_its_own_consent() -> None:
    # g belongs to the app context: requests made inside one (pytest-flask, scripts) must not share
    # the first request's visitor, path or endpoint.
    app = example_app()
    client = app.test_client()
    with app.app_context():
        first = client.get(PAGE, headers={"Accept-Language": "de"}).get_data(as_text=True)
        second = client.get(f"{PAGE}?page=2", headers={"Accept-Language": "fr"}).get_data(as_text=True)
        decided = post(client, {"action": "reject_all", "next": PAGE}, headers=ORIGIN)
        after = client.get(PAGE).get_data(as_text=True)
    assert 'lang="de"' in first and 'lang="fr"' in second
    assert 'name="next" value="/movie-review-her?page=2"' in second
    # The consent endpoint keeps its own framing headers, and the decision shows on the next page.
    assert "frame-ancestors" in decided.headers.get("Content-Security-Policy", "")
    assert "X-Frame-Options" in decided.headers
    assert "data-consent-banner>" in first and "data-consent-banner>" not in after
