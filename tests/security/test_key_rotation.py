"""#13.4: a key that is no longer configured stops counting on the very next request, without a restart.

The attack: dropping a leaked key from the fallbacks (or changing ``SECRET_KEY``) had no effect until
the process restarted, because the codec was built once and verified cookies were cached; a cookie
forged with the dropped key kept being honoured. The signing keys are now read from the app's config on
every request, as Flask reads its own session key, and nothing verified is cached.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask_helpers import ORIGIN, example_app

from consent.codec import CookieCodec
from consent.decisions import Action, apply
from consent.regions import resolve_region
from consent.state import ConsentState

OLD, NEW, FORGED = "key-a-leaked", "key-b-current", "key-never-configured"


def accepted_cookie(app: Flask, key: str) -> str:
    """A cookie granting every vendor, signed with ``key`` (what an attacker holding ``key`` can make)."""
    settings = app.extensions["consent"]
    registry = settings.registry
    previous = ConsentState.undecided(registry)
    state = apply(registry, resolve_region(registry, None, False), previous, Action.ACCEPT_ALL, [], [])
    codec = CookieCodec(registry, key, name=settings.config["CONSENT_COOKIE_NAME"], secure=False)
    return codec.encode(state)


def status(app: Flask, cookie: str) -> dict[str, Any]:
    client = app.test_client(use_cookies=False)
    response = client.get("/consent/status", headers={**ORIGIN, "Cookie": f"consent={cookie}"})
    assert response.status_code == 200
    return response.get_json()  # type: ignore[no-any-return]


def honoured(app: Flask, cookie: str) -> bool:
    body = status(app, cookie)
    return bool(body["decided"])


@pytest.fixture
def app() -> Flask:
    return example_app(SECRET_KEY=NEW, SECRET_KEY_FALLBACKS=[OLD])


def test_a_key_dropped_from_the_fallbacks_stops_counting_at_once(app: Flask) -> None:
    cookie = accepted_cookie(app, OLD)
    assert honoured(app, cookie)  # while the old key is configured, its cookies count
    app.config["SECRET_KEY_FALLBACKS"] = []  # the site drops the leaked key; no restart
    assert not honoured(app, cookie)
    assert honoured(app, accepted_cookie(app, NEW))


def test_a_changed_secret_key_counts_at_once(app: Flask) -> None:
    cookie = accepted_cookie(app, NEW)
    assert honoured(app, cookie)
    app.config["SECRET_KEY"] = "key-c-after-a-breach"
    app.config["SECRET_KEY_FALLBACKS"] = []
    assert not honoured(app, cookie)
    assert honoured(app, accepted_cookie(app, "key-c-after-a-breach"))


def test_the_consent_keys_of_the_config_count_at_once_too() -> None:
    app = example_app(CONSENT_SECRET_KEY=NEW, CONSENT_SECRET_KEY_FALLBACKS=[OLD])
    cookie = accepted_cookie(app, OLD)
    assert honoured(app, cookie)
    app.config["CONSENT_SECRET_KEY_FALLBACKS"] = []
    assert not honoured(app, cookie)
    app.config["CONSENT_SECRET_KEY"] = "key-d"
    assert not honoured(app, accepted_cookie(app, NEW))
    assert honoured(app, accepted_cookie(app, "key-d"))


def test_a_rotated_key_signs_and_the_previous_one_still_verifies(app: Flask) -> None:
    # The documented rotation: the new key signs, the old one moves to the fallbacks until it is dropped.
    client = app.test_client()
    assert client.post("/consent/", data={"action": "accept_all"}, headers=ORIGIN).status_code == 303
    app.config.update(SECRET_KEY="key-e", SECRET_KEY_FALLBACKS=[NEW])
    assert client.get("/consent/status").get_json()["decided"]
    app.config["SECRET_KEY_FALLBACKS"] = []
    assert not client.get("/consent/status").get_json()["decided"]


@pytest.mark.parametrize("key", [FORGED, OLD + "x", "", NEW.upper()])
def test_a_cookie_signed_with_a_key_never_configured_is_never_honoured(app: Flask, key: str) -> None:
    # An empty key stands for a cookie without a signature at all.
    cookie = accepted_cookie(app, key) if key else accepted_cookie(app, NEW).rsplit(".", 1)[0] + "."
    assert not honoured(app, cookie)
    # ... and a grant made on top of it starts from nothing, not from the forged Accept all.
    client = app.test_client(use_cookies=False)
    response = client.post(
        "/consent/",
        data={"action": "grant", "vendor": "vimeo"},
        headers={**ORIGIN, "Cookie": f"consent={cookie}", "Accept": "application/json"},
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["vendors"]["vimeo"] == "granted"
    assert body["categories"]["marketing"] != "granted"
    assert body["vendors"]["google-adsense"] != "granted"


def test_a_forged_cookie_is_read_as_undecided_on_every_request(app: Flask) -> None:
    cookie = accepted_cookie(app, FORGED)
    assert [honoured(app, cookie) for _ in range(3)] == [False] * 3
