"""The blueprint's wiring: the decision endpoint (form and fetch), its CSRF check and input validation,
redirects and ``next``, the no-JS preferences page, the status endpoint and the cookies it sets or expires.

What a decision does to the visitor's consent (accept all, reject all, custom saves, grants, withdrawals,
the consent id) is decided by the core and tested without Flask in ``test_decisions.py`` and
``test_state.py``; the tests here check that a request reaches those rules and that their answer
reaches the response.
"""

from __future__ import annotations

import io
import re
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_helpers import (
    JSON,
    ORIGIN,
    PAGE,
    codec_of,
    consent_from,
    deleted_cookies,
    example_app,
    find,
    give,
    html_of,
    post,
    set_cookies,
    state_of,
)
from werkzeug.datastructures import MultiDict
from werkzeug.test import TestResponse

from consent.codec import CookieCodec
from consent.registry import Registry
from consent.state import ConsentState

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
OPTIONAL_CATEGORIES = ("functional", "statistics", "marketing")


def ids_in(registry: Registry, category: str) -> set[str]:
    return {v.id for v in registry.vendors_in(category)}


def granted_optional(state: ConsentState) -> set[str]:
    return {v.id for v in state.granted_vendors() if not state.registry.is_required(v)}


def assert_no_consent_stored(response: TestResponse, app: Flask) -> None:
    """Nothing optional is allowed by any consent cookie the response sets (and a refusal sets none)."""
    state = consent_from(response, app)
    if response.status_code >= 400:
        assert state is None
    if state is not None:
        assert granted_optional(state) == set()


# -- decisions ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "next_url", ["/movie-review-her", "/", "/?topic=Books", "/movie-review-her#comments-title"]
)
def test_a_form_post_redirects_303_to_next(client: FlaskClient, next_url: str) -> None:
    response = post(client, {"action": "accept_all", "next": next_url})
    assert response.status_code == 303
    assert response.headers["Location"] == next_url


def test_without_next_the_redirect_goes_home(client: FlaskClient) -> None:
    response = post(client, {"action": "reject_all"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize(
    ("fields", "vendor", "allowed"),
    [
        ({"action": "accept_all"}, "google-adsense", "granted"),
        ({"action": "reject_all"}, "google-adsense", "denied"),
        ({"action": "custom", "category": "statistics"}, "comscore", "granted"),
        ({"action": "grant", "vendor": "vimeo"}, "vimeo", "granted"),
        ({"action": "withdraw"}, "vimeo", "denied"),
    ],
)
def test_a_fetch_gets_json(
    app: Flask, client: FlaskClient, fields: dict[str, str], vendor: str, allowed: str
) -> None:
    response = post(client, fields, headers=JSON)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body["decided"] is True
    assert body["vendors"][vendor] == allowed
    assert response.cache_control.no_store
    stored = consent_from(response, app)
    assert stored is not None
    assert stored.vendor_decision(vendor).value == allowed


def test_a_fetch_that_revokes_asks_for_a_reload(client: FlaskClient) -> None:
    assert post(client, {"action": "accept_all"}, headers=JSON).get_json()["reload"] is False
    assert post(client, {"action": "reject_all"}, headers=JSON).get_json()["reload"] is True


def test_a_fetch_preferring_html_gets_the_redirect(client: FlaskClient) -> None:
    response = post(client, {"action": "accept_all"}, headers={"Accept": "text/html,application/json;q=0.5"})
    assert response.status_code == 303


# -- custom saves ----------------------------------------------------------------------------------------


def test_custom_with_a_category_and_a_vendor_of_another(
    app: Flask, client: FlaskClient, seed_registry: Registry
) -> None:
    data = MultiDict([("action", "custom"), ("category", "marketing"), ("vendor", "vimeo")])
    response = post(client, data)
    state = consent_from(response, app)
    assert state is not None
    assert granted_optional(state) == ids_in(seed_registry, "marketing") | {"vimeo"}
    assert state.allows_category("marketing")
    assert not state.allows_category("functional")


# -- the consent id ---------------------------------------------------------------------------------


def test_a_later_decision_keeps_the_consent_id_of_the_cookie(app: Flask, client: FlaskClient) -> None:
    # The view hands the state read from the cookie to the transition; test_decisions checks that
    # every transition keeps its id.
    original = give(client, app, action="accept_all")
    assert original.consent_id is not None
    assert give(client, app, action="custom").consent_id == original.consent_id


# -- CSRF: Origin and Referer --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 400),
        ({"Origin": "null"}, 400),
        ({"Origin": ""}, 400),
        ({"Origin": "https://evil.example"}, 400),
        ({"Origin": "http://localhost.evil.example"}, 400),
        ({"Origin": "http://evil.example", "Host": "localhost"}, 400),
        ({"Origin": "https://localhost"}, 400),
        ({"Origin": "http://localhost:8080"}, 400),
        ({"Referer": "https://evil.example/movie-review-her"}, 400),
        ({"Referer": "not a url"}, 400),
        ({"Origin": "https://evil.example", "Referer": "http://localhost/"}, 400),
        ({"Origin": "http://localhost"}, 303),
        ({"Origin": "http://LOCALHOST"}, 303),
        ({"Referer": "http://localhost/movie-review-her?x=1"}, 303),
    ],
)
def test_origin_check(app: Flask, client: FlaskClient, headers: dict[str, str], status: int) -> None:
    response = client.post("/consent/", data={"action": "accept_all"}, headers=headers)
    assert response.status_code == status
    stored = consent_from(response, app)
    assert (stored is not None) is (status == 303)


def test_a_post_from_another_site_changes_nothing(app: Flask, client: FlaskClient) -> None:
    give(client, app, action="reject_all")
    response = client.post(
        "/consent/", data={"action": "accept_all"}, headers={"Origin": "https://evil.example"}
    )
    assert response.status_code == 400
    assert granted_optional(state_of(client, app)) == set()


# -- bad input ------------------------------------------------------------------------------------------

BAD_POSTS: list[tuple[str, dict[str, Any], int]] = [
    ("missing action", {"data": {"vendor": "vimeo"}}, 400),
    ("empty action", {"data": {"action": ""}}, 400),
    ("unknown action", {"data": {"action": "accept_everything"}}, 400),
    ("action in another case", {"data": {"action": "ACCEPT_ALL"}}, 400),
    # Which ids an action takes is the core's rule (test_decisions); one case of each of its refusals
    # (an unknown id here, a grant of two vendors below) proves the view answers them with 400.
    ("unknown vendor", {"data": {"action": "custom", "vendor": "no-such-vendor"}}, 400),
    ("two actions", {"data": MultiDict([("action", "reject_all"), ("action", "accept_all")])}, 400),
    (
        "same vendor twice",
        {"data": MultiDict([("action", "custom"), ("vendor", "vimeo"), ("vendor", "vimeo")])},
        400,
    ),
    (
        "same category twice",
        {"data": MultiDict([("action", "custom"), ("category", "marketing"), ("category", "marketing")])},
        400,
    ),
    ("next twice", {"data": MultiDict([("action", "reject_all"), ("next", "/"), ("next", "/x")])}, 400),
    ("unexpected field", {"data": {"action": "accept_all", "admin": "1"}}, 400),
    ("unknown layer", {"data": {"action": "accept_all", "layer": "third"}}, 400),
    ("huge body", {"data": {"action": "accept_all", "next": "/" + "a" * 1024 * 1024}}, 413),
    ("huge unknown field", {"data": {"action": "accept_all", "x" * 1024 * 1024: "1"}}, 413),
    ("percent-encoded non-UTF-8 vendor", {"data": b"action=custom&vendor=%FF%FE", "headers": FORM}, 400),
    ("raw non-UTF-8 vendor", {"data": b"action=custom&vendor=\xff\xfe", "headers": FORM}, 400),
    ("non-UTF-8 action", {"data": b"action=accept%FF_all", "headers": FORM}, 400),
    ("non-UTF-8 field name", {"data": b"action=accept_all&%FF%FE=1", "headers": FORM}, 400),
    (
        "grant of two vendors",
        {"data": MultiDict([("action", "grant"), ("vendor", "vimeo"), ("vendor", "paypal")])},
        400,
    ),
    ("JSON body", {"json": {"action": "accept_all"}}, 400),
    ("empty body", {"data": b"", "headers": FORM}, 400),
    ("file upload", {"data": {"action": "reject_all", "upload": (b"x", "x.txt")}}, 400),
    ("vendor as a file", {"data": {"action": "custom", "vendor": (b"vimeo", "vimeo")}}, 400),
]


def fresh(kwargs: dict[str, Any]) -> dict[str, Any]:
    """A copy of a BAD_POSTS entry with new file objects (the client closes the ones it sends)."""
    out = dict(kwargs)
    out["headers"] = {**ORIGIN, **kwargs.get("headers", {})}
    if type(kwargs.get("data")) is dict:  # a MultiDict keeps its repeated fields as they are
        out["data"] = {
            k: (io.BytesIO(v[0]), v[1]) if isinstance(v, tuple) else v for k, v in kwargs["data"].items()
        }
    return out


@pytest.mark.parametrize(("case", "kwargs", "status"), BAD_POSTS, ids=[case for case, _, _ in BAD_POSTS])
def test_bad_input_is_refused(
    app: Flask, client: FlaskClient, case: str, kwargs: dict[str, Any], status: int
) -> None:
    response = client.post("/consent/", **fresh(kwargs))
    assert response.status_code == status
    assert_no_consent_stored(response, app)


@pytest.mark.parametrize(("case", "kwargs", "status"), BAD_POSTS, ids=[case for case, _, _ in BAD_POSTS])
def test_bad_input_leaves_an_earlier_refusal(
    app: Flask, client: FlaskClient, case: str, kwargs: dict[str, Any], status: int
) -> None:
    give(client, app, action="reject_all")
    request = fresh(kwargs)
    request["headers"].update(JSON)
    response = client.post("/consent/", **request)
    assert response.status_code == status
    assert set_cookies(response) == {}
    assert granted_optional(state_of(client, app)) == set()


def test_the_form_size_limit_is_configurable() -> None:
    app = example_app(CONSENT_MAX_FORM_BYTES=64)
    response = post(app.test_client(), {"action": "accept_all", "next": "/" + "a" * 100})
    assert response.status_code == 413


def test_a_form_under_the_limit_is_accepted() -> None:
    app = example_app(CONSENT_MAX_FORM_BYTES=64)
    assert post(app.test_client(), {"action": "accept_all", "next": "/a"}).status_code == 303


# -- next -------------------------------------------------------------------------------------------------

OFF_SITE = [
    "//evil.example",
    "///evil.example",
    "https://evil.example",
    "http://localhost.evil.example/",
    "/\\evil.example",
    "\\\\evil.example",
    "\\/evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "evil.example",
    "http:evil.example",
    "/\t/evil.example",
    "/\r\nSet-Cookie: consent=forged",
    "/\x00",
    " //evil.example",
    "/" + "a" * 5000,
]


def assert_same_site(location: str) -> None:
    parts = urlsplit(location)
    assert parts.scheme == "" and parts.netloc == "", location
    assert location.startswith("/") and not location.startswith("//"), location
    assert "\\" not in location
    resolved = urlsplit(urljoin("http://localhost/movie-review-her", location))
    assert resolved.netloc == "localhost"


@pytest.mark.parametrize("next_url", OFF_SITE)
def test_an_off_site_next_redirects_home(client: FlaskClient, next_url: str) -> None:
    response = post(client, {"action": "reject_all", "next": next_url})
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("next_url", ["/%2F%2Fevil.example", "/%5Cevil.example", "/.//evil.example", "/a//b"])
def test_an_encoded_next_stays_a_same_site_path(client: FlaskClient, next_url: str) -> None:
    response = post(client, {"action": "reject_all", "next": next_url})
    assert response.status_code == 303
    assert_same_site(response.headers["Location"])


@pytest.mark.parametrize("next_url", ["/café", "/日本?q=ü"])
def test_a_non_ascii_next_is_a_quoted_same_site_path(client: FlaskClient, next_url: str) -> None:
    response = post(client, {"action": "reject_all", "next": next_url})
    assert response.status_code == 303
    location = response.headers["Location"]
    assert location.isascii()
    assert_same_site(location)


def test_a_long_same_site_next_is_kept(client: FlaskClient) -> None:
    next_url = "/" + "a" * 2000
    response = post(client, {"action": "reject_all", "next": next_url})
    assert response.headers["Location"] == next_url


@pytest.mark.parametrize("next_url", [*OFF_SITE[:10], "/%2F%2Fevil.example"])
def test_the_preferences_page_back_link_stays_on_site(client: FlaskClient, next_url: str) -> None:
    html = html_of(client.get("/consent/preferences", query_string={"next": next_url}))
    (hidden,) = find(html, "input", name="next")
    assert_same_site(hidden.attrs["value"] or "")
    for link in find(html, "a", class_="consent-link"):
        href = link.attrs["href"] or ""
        if not href.startswith("https://"):  # the policy links are the registry's own
            assert_same_site(href)


# -- methods --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/consent/"),
        ("PUT", "/consent/"),
        ("DELETE", "/consent/"),
        ("PATCH", "/consent/"),
        ("POST", "/consent/preferences"),
        ("PUT", "/consent/preferences"),
        ("POST", "/consent/status"),
        ("DELETE", "/consent/status"),
    ],
)
def test_wrong_methods_are_405(app: Flask, client: FlaskClient, method: str, path: str) -> None:
    response = client.open(path, method=method, data={"action": "accept_all"}, headers=ORIGIN)
    assert response.status_code == 405
    assert consent_from(response, app) is None


# -- the preferences page and the status endpoint -----------------------------------------------------


def test_the_preferences_page_is_a_whole_html_page(client: FlaskClient) -> None:
    response = client.get("/consent/preferences", query_string={"next": PAGE})
    html = html_of(response)
    assert response.mimetype == "text/html"
    assert html.lstrip().lower().startswith("<!doctype html>")
    (form,) = find(html, "form", class_="consent-panel")
    assert form.attrs["method"] == "post"
    assert form.attrs["action"] == "/consent/"
    (back,) = (a for a in find(html, "a") if a.attrs.get("href") == PAGE)
    assert "Back to the site" in back.inner_text


@pytest.mark.parametrize("action", ["custom", "accept_all", "reject_all"])
def test_the_preferences_page_offers_each_action(client: FlaskClient, action: str) -> None:
    html = html_of(client.get("/consent/preferences"))
    assert list(find(html, "button", type="submit", name="action", value=action))


def test_the_preferences_page_offers_withdraw_once_decided(app: Flask, client: FlaskClient) -> None:
    assert not list(find(html_of(client.get("/consent/preferences")), "button", value="withdraw"))
    give(client, app, action="accept_all")
    assert list(find(html_of(client.get("/consent/preferences")), "button", value="withdraw"))


def test_the_fragment_is_the_panel_alone(client: FlaskClient) -> None:
    html = html_of(client.get("/consent/preferences", query_string={"fragment": "1"}))
    assert "<html" not in html
    assert html.lstrip().startswith("<form")
    assert len(list(find(html, "form", class_="consent-panel"))) == 1


def test_the_no_js_round_trip_stores_the_ticked_boxes(app: Flask, client: FlaskClient) -> None:
    html = html_of(client.get("/consent/preferences", query_string={"next": PAGE}))
    (form,) = find(html, "form", class_="consent-panel")
    fields = MultiDict(
        [
            (e.attrs["name"], e.attrs["value"])
            for e in find(html, "input", type="hidden")
            if e.attrs.get("name")
        ]
    )
    fields.add("category", "statistics")
    fields.add("action", "custom")
    response = post(client, fields)
    assert response.status_code == 303
    assert response.headers["Location"] == PAGE
    state = consent_from(response, app)
    assert state is not None and state.allows_category("statistics")
    assert form.attrs["action"] == "/consent/"


def test_status_of_an_undecided_visitor(client: FlaskClient, seed_registry: Registry) -> None:
    response = client.get("/consent/status")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.cache_control.no_store
    body = response.get_json()
    assert body["decided"] is False
    assert body["needs_prompt"] is True
    assert body["revision"] == seed_registry.revision
    assert body["vendors"]["google-adsense"] == "unasked"
    assert body["vendors"]["login"] == "granted"


def test_status_after_a_decision(app: Flask, client: FlaskClient) -> None:
    state = give(client, app, action="custom", category="statistics")
    body = client.get("/consent/status").get_json()
    assert body["decided"] is True
    assert body["consent_id"] == state.consent_id
    assert body["method"] == "custom"
    assert body["categories"] == {
        "necessary": "granted",
        "functional": "denied",
        "statistics": "granted",
        "marketing": "denied",
    }


# -- tampered, garbage and foreign cookies --------------------------------------------------------------


def tampered_cookies(app: Flask) -> list[str]:
    valid = codec_of(app).encode(ConsentState.accept_all(codec_of(app).registry))
    payload, signature = valid.rsplit(".", 1)
    flipped = payload[:-3] + ("A" if payload[-3] != "A" else "B") + payload[-2:]
    return [
        "garbage",
        "",
        ".",
        "a.b.c",
        valid[:-5],
        f"{flipped}.{signature}",
        f"{payload}.{signature[:-1]}{'A' if signature[-1] != 'A' else 'B'}",
        valid + "x" * 5000,
        '"quoted"',
        "%FF%FE",
        # Signed with another site's key.
        CookieCodec(codec_of(app).registry, "another-site").encode(
            ConsentState.accept_all(codec_of(app).registry)
        ),
    ]


TAMPERED = range(11)


def with_cookie(value: str) -> dict[str, str]:
    return {"Cookie": f"consent={value}"}


@pytest.mark.parametrize("index", TAMPERED)
def test_a_tampered_cookie_shows_the_banner(app: Flask, client: FlaskClient, index: int) -> None:
    response = client.get(PAGE, headers=with_cookie(tampered_cookies(app)[index]))
    html = html_of(response)
    assert list(find(html, "section", id="consent-banner"))
    assert "googlesyndication" not in html
    assert set_cookies(response) == {}


@pytest.mark.parametrize("index", TAMPERED)
def test_a_tampered_cookie_reads_as_undecided(app: Flask, client: FlaskClient, index: int) -> None:
    body = client.get("/consent/status", headers=with_cookie(tampered_cookies(app)[index])).get_json()
    assert body["decided"] is False
    assert body["needs_prompt"] is True
    assert "granted" not in {body["categories"][c] for c in OPTIONAL_CATEGORIES}


def test_a_non_ascii_cookie_shows_the_banner(client: FlaskClient) -> None:
    # The raw UTF-8 bytes of "été", as a WSGI server hands them over (decoded as Latin-1).
    response = client.get(PAGE, headers={"Cookie": "consent=\u00e9t\u00e9".encode().decode("latin-1")})
    assert list(find(html_of(response), "section", id="consent-banner"))


def test_a_cookie_of_another_registry_under_the_same_key_asks_again(
    app: Flask, client: FlaskClient, make_registry: Any
) -> None:
    other = example_app(CONSENT_REGISTRY=make_registry(12))
    value = codec_of(other).encode(ConsentState.reject_all(make_registry(12)))
    response = client.get(PAGE, headers=with_cookie(value))
    assert list(find(html_of(response), "section", id="consent-banner"))


def test_a_decision_over_a_tampered_cookie_works(app: Flask, client: FlaskClient) -> None:
    client.set_cookie("consent", "garbage")
    state = give(client, app, action="reject_all")
    assert state.is_decided


# -- expiring the cookies of declined vendors --------------------------------------------------------

SENT = {
    "_ga": "1",
    "_ga_ABC123": "2",
    "_fbp": "fb.1",
    "__gads": "ID=1",
    "_uetsid": "u",
    "hp_visit": "v",
    "hp_device": "x",
    "hp_session": "s",
    "__cf_bm": "cf",
    "site_theme": "dark",
    "IDE": "third-party-only",
}


def send_cookies(client: FlaskClient, names: dict[str, str] = SENT) -> None:
    for name, value in names.items():
        client.set_cookie(name, value)


def test_reject_all_expires_declined_first_party_cookies(client: FlaskClient) -> None:
    send_cookies(client)
    response = post(client, {"action": "reject_all"})
    assert deleted_cookies(response) == {"_ga", "_ga_ABC123", "_fbp", "__gads", "_uetsid", "hp_visit"}


def test_withdraw_expires_declined_first_party_cookies(app: Flask, client: FlaskClient) -> None:
    give(client, app, action="accept_all")
    send_cookies(client)
    response = post(client, {"action": "withdraw"})
    assert deleted_cookies(response) == {"_ga", "_ga_ABC123", "_fbp", "__gads", "_uetsid", "hp_visit"}


@pytest.mark.parametrize("name", ["hp_device", "hp_session", "__cf_bm", "site_theme", "IDE"])
def test_reject_all_leaves_necessary_and_undeclared_cookies(client: FlaskClient, name: str) -> None:
    send_cookies(client)
    response = post(client, {"action": "reject_all"})
    assert name not in set_cookies(response)


def test_the_expiry_is_in_the_past(client: FlaskClient) -> None:
    client.set_cookie("_ga", "1")
    response = post(client, {"action": "reject_all"})
    (header,) = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("_ga=")]
    assert "Max-Age=0" in header
    assert "Expires=Thu, 01 Jan 1970" in header
    assert "Path=/" in header


def test_accept_all_expires_nothing(client: FlaskClient) -> None:
    send_cookies(client)
    response = post(client, {"action": "accept_all"})
    assert deleted_cookies(response) == set()


def test_custom_keeps_the_cookies_of_granted_vendors(client: FlaskClient) -> None:
    send_cookies(client)
    response = post(client, {"action": "custom", "category": "statistics"})
    assert deleted_cookies(response) == {"_fbp", "__gads", "_uetsid"}


def test_a_cookie_shared_with_a_granted_vendor_is_kept(client: FlaskClient) -> None:
    # _ga belongs to both Google Analytics properties; only the site's own is granted.
    send_cookies(client, {"_ga": "1", "_ga_ABC123": "2"})
    response = post(client, {"action": "custom", "vendor": "hubpages-google-analytics"})
    assert deleted_cookies(response) == set()


def test_each_cookie_is_expired_once(client: FlaskClient) -> None:
    # _fbp is declared by three marketing vendors.
    client.set_cookie("_fbp", "1")
    response = post(client, {"action": "reject_all"})
    assert [h for h in response.headers.getlist("Set-Cookie") if h.startswith("_fbp=")] != []
    assert len([h for h in response.headers.getlist("Set-Cookie") if h.startswith("_fbp=")]) == 1


def test_a_shared_cookie_domain_also_expires_there() -> None:
    app = example_app(CONSENT_COOKIE_DOMAIN="localhost")
    client = app.test_client()
    client.set_cookie("_ga", "1")
    response = post(client, {"action": "reject_all"})
    headers = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("_ga=")]
    assert any("Domain=localhost" in h for h in headers)
    assert any("Domain" not in h for h in headers)


def test_a_script_asking_for_json_gets_its_error_as_json(client: Any) -> None:
    response = client.post(
        "/consent/",
        data={"action": "nonsense"},
        headers={"Origin": "http://localhost", "Accept": "application/json"},
    )

    assert response.status_code == 400
    assert response.is_json
    assert response.get_json()["error"] == "Bad Request"
    assert "Set-Cookie" not in response.headers


def test_declined_cookies_are_expired_on_the_configured_domains_too() -> None:
    client = example_app(CONSENT_DECLINED_COOKIE_DOMAINS=["reviews.test", "www.reviews.test"]).test_client(
        use_cookies=False
    )

    response = client.post(
        "/consent/",
        data={"action": "reject_all"},
        headers={"Origin": "http://www.reviews.test", "Cookie": "_ga=1"},
        base_url="http://www.reviews.test",
    )

    expired = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("_ga=")]
    assert {domain_of(h) for h in expired} == {None, "www.reviews.test", "reviews.test"}
    assert all("Max-Age=0" in h or "Expires=Thu, 01 Jan 1970" in h for h in expired)


def domain_of(header: str) -> str | None:
    match = re.search(r"Domain=([^;]+)", header)
    return match.group(1) if match else None
