"""CookieCodec: the signed compact cookie, key rotation, expiry, size and bad input."""

from __future__ import annotations

import base64
import hashlib
import logging
import random
import string
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from conftest import SEED_REGISTRY, registry_data
from itsdangerous import Signer

from consent.codec import (
    CLOCK_SKEW,
    MAX_COOKIE_AGE,
    MAX_COOKIE_BYTES,
    CookieCodec,
    cookie_name,
    cookie_size,
    payload_size,
)
from consent.errors import CookieError, RegistryError
from consent.loader import validate_registry
from consent.registry import MAX_VENDOR_NUMBER, Registry, duration_seconds
from consent.registry_rules import category_key
from consent.state import ConsentState, Decision, Method, Policy, Signal

NOW = datetime(2025, 3, 14, 9, 26, 53, tzinfo=UTC)
KEY = "current-secret"
OLD_KEY = "previous-secret"
OPTIONAL = ("functional", "statistics", "marketing")
COOKIE_CHARS = set(string.ascii_letters + string.digits + "-_.")
THIRTEEN_MONTHS = timedelta(seconds=duration_seconds("13mo") or 0)
FOURTEEN_MONTHS = timedelta(seconds=duration_seconds("14mo") or 0)


def build(data: dict[str, Any]) -> Registry:
    return Registry.model_validate(data)


def optional_ids(registry: Registry) -> list[str]:
    return [v.id for v in registry.optional_vendors()]


def random_state(registry: Registry, seed: int, **kwargs: Any) -> ConsentState:
    """A decided state with each optional vendor and category granted, denied or unasked at random."""
    rng = random.Random(seed)
    vendors = {v: rng.random() < 0.5 for v in optional_ids(registry) if rng.random() < 0.9}
    categories = {c.id: rng.random() < 0.5 for c in registry.categories if rng.random() < 0.8}
    kwargs.setdefault("now", NOW)
    kwargs.setdefault("method", Method.CUSTOM)
    return ConsentState.undecided(registry).with_choices(vendors, categories, **kwargs)


def decisions(state: ConsentState) -> dict[str, Decision]:
    return {v.id: state.vendor_decision(v.id) for v in state.registry.vendors}


def assert_undecided(state: ConsentState) -> None:
    registry = state.registry
    assert not state.is_decided
    assert state.needs_prompt()
    assert not any(state.allows(v) for v in optional_ids(registry))
    assert not any(state.allows_category(c.id) for c in registry.categories if not c.required)
    assert [v.id for v in state.granted_vendors()] == [
        v.id for v in registry.vendors if registry.is_required(v)
    ]


def debug_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "consent.codec" and r.levelno == logging.DEBUG]


def resign(codec: CookieCodec, payload: bytes) -> str:
    """``payload`` signed with ``codec``'s own key and salt, as the codec would."""
    return codec.signer.sign(base64.urlsafe_b64encode(payload).rstrip(b"=")).decode()


def raw_payload(value: str) -> bytes:
    body = value.rsplit(".", 1)[0]
    return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))


@pytest.fixture
def codec(registry: Registry) -> CookieCodec:
    return CookieCodec(registry, KEY)


@pytest.fixture
def data40() -> dict[str, Any]:
    return registry_data(40)


@pytest.fixture
def reg40(data40: dict[str, Any]) -> Registry:
    return build(data40)


# -- round trips -----------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(20))
def test_round_trip_of_arbitrary_choices(registry: Registry, codec: CookieCodec, seed: int) -> None:
    state = random_state(registry, seed)
    decoded = codec.decode(codec.encode(state), now=NOW)
    assert decoded == state
    assert decisions(decoded) == decisions(state)


@pytest.mark.parametrize("size", [40, 200, 1000])
@pytest.mark.parametrize("seed", range(3))
def test_round_trip_for_large_registries(
    make_registry: Callable[..., Registry], size: int, seed: int
) -> None:
    registry = make_registry(size)
    codec = CookieCodec(registry, KEY)
    state = random_state(registry, seed)
    decoded = codec.decode(codec.encode(state), now=NOW)
    assert decoded == state
    assert decisions(decoded) == decisions(state)


@pytest.mark.parametrize(
    "make",
    [
        lambda r: ConsentState.accept_all(r, now=NOW),
        lambda r: ConsentState.reject_all(r, now=NOW),
        lambda r: ConsentState.accept_all(r, now=NOW).withdrawn(now=NOW),
        lambda r: ConsentState.undecided(r).with_choices(
            {optional_ids(r)[-1]: True}, method=Method.EMBED, now=NOW
        ),
    ],
    ids=["accept_all", "reject_all", "withdraw", "embed"],
)
def test_round_trip_of_each_kind_of_decision(
    registry: Registry, codec: CookieCodec, make: Callable[[Registry], ConsentState]
) -> None:
    state = make(registry)
    assert codec.decode(codec.encode(state), now=NOW) == state


@pytest.mark.parametrize("method", list(Method))
@pytest.mark.parametrize("policy", list(Policy))
def test_round_trip_of_method_and_policy(
    registry: Registry, codec: CookieCodec, method: Method, policy: Policy
) -> None:
    state = random_state(registry, 1, method=method, policy=policy)
    decoded = codec.decode(codec.encode(state), now=NOW)
    assert (decoded.method, decoded.policy) == (method, policy)


@pytest.mark.parametrize("signals", [(), (Signal.GPC,)])
def test_round_trip_of_signals(registry: Registry, codec: CookieCodec, signals: tuple[Signal, ...]) -> None:
    state = random_state(registry, 2, signals=signals)
    assert codec.decode(codec.encode(state), now=NOW).signals == frozenset(signals)


def test_round_trip_keeps_times_id_and_revision(registry: Registry, codec: CookieCodec) -> None:
    state = ConsentState.accept_all(registry, now=NOW)
    decoded = codec.decode(codec.encode(state), now=NOW)
    assert decoded.consent_id == state.consent_id
    assert decoded.decided_at == NOW
    assert decoded.expires_at == state.expires_at
    assert decoded.revision == registry.revision[:8]


def test_encoding_an_undecided_state_is_refused(registry: Registry, codec: CookieCodec) -> None:
    with pytest.raises(CookieError):
        codec.encode(ConsentState.undecided(registry))


def test_cookie_holds_only_the_documented_fields(registry: Registry, codec: CookieCodec) -> None:
    value = codec.encode(random_state(registry, 4))
    assert set(value) <= COOKIE_CHARS
    assert len(raw_payload(value)) == payload_size(registry)


def test_same_choices_differ_only_by_consent_id_and_time(registry: Registry, codec: CookieCodec) -> None:
    first = raw_payload(codec.encode(ConsentState.accept_all(registry, now=NOW)))
    second = raw_payload(codec.encode(ConsentState.accept_all(registry, now=NOW + timedelta(seconds=1))))
    differing = {i for i, (a, b) in enumerate(zip(first, second, strict=True)) if a != b}
    assert differing
    assert differing <= set(range(1, 5)) | set(range(11, 21))  # decided_at, consent id


# -- keys and salt ---------------------------------------------------------------------------------


def test_old_key_cookie_verifies_after_rotation(registry: Registry) -> None:
    state = random_state(registry, 5)
    old_cookie = CookieCodec(registry, [OLD_KEY]).encode(state)
    assert CookieCodec(registry, [OLD_KEY, KEY]).decode(old_cookie, now=NOW) == state


def test_newest_key_signs(registry: Registry) -> None:
    state = random_state(registry, 6)
    cookie = CookieCodec(registry, [OLD_KEY, KEY]).encode(state)
    assert CookieCodec(registry, [KEY]).decode(cookie, now=NOW) == state
    assert not CookieCodec(registry, [OLD_KEY]).decode(cookie, now=NOW).is_decided


def test_dropped_key_invalidates_its_cookies(registry: Registry, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="consent.codec")
    old_cookie = CookieCodec(registry, [OLD_KEY]).encode(ConsentState.accept_all(registry, now=NOW))
    assert_undecided(CookieCodec(registry, [KEY]).decode(old_cookie, now=NOW))
    assert debug_records(caplog)


@pytest.mark.parametrize("keys", [KEY, KEY.encode(), [KEY], [KEY.encode()], (OLD_KEY, KEY)])
def test_key_forms_are_equivalent(registry: Registry, keys: Any) -> None:
    state = random_state(registry, 8)
    cookie = CookieCodec(registry, keys).encode(state)
    assert CookieCodec(registry, KEY).decode(cookie, now=NOW) == state


@pytest.mark.parametrize("keys", ["", b"", [], [KEY, ""]])
def test_empty_keys_are_refused(registry: Registry, keys: Any) -> None:
    with pytest.raises(ValueError):
        CookieCodec(registry, keys)


def test_cookie_uses_its_own_salt(registry: Registry) -> None:
    state = random_state(registry, 9)
    cookie = CookieCodec(registry, KEY).encode(state)
    body = cookie.rsplit(".", 1)[0]
    assert Signer(KEY, salt="consent.cookie", digest_method=hashlib.sha1).sign(body).decode() == cookie
    assert Signer(KEY, digest_method=hashlib.sha1).sign(body).decode() != cookie  # not the default salt
    assert CookieCodec(registry, KEY, salt="consent.cookie").decode(cookie, now=NOW) == state


def test_wrong_salt_is_undecided(registry: Registry, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="consent.codec")
    cookie = CookieCodec(registry, KEY, salt="session").encode(ConsentState.accept_all(registry, now=NOW))
    assert_undecided(CookieCodec(registry, KEY).decode(cookie, now=NOW))
    assert debug_records(caplog)


# -- consent expiry ---------------------------------------------------------------------------------


def test_decision_is_honoured_until_it_expires(registry: Registry, codec: CookieCodec) -> None:
    state = ConsentState.accept_all(registry, now=NOW)
    assert state.expires_at is not None
    cookie = codec.encode(state)
    assert codec.decode(cookie, now=state.expires_at - timedelta(seconds=1)) == state


def test_expired_decision_is_undecided(
    registry: Registry, codec: CookieCodec, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="consent.codec")
    state = ConsentState.accept_all(registry, now=NOW)
    assert state.expires_at is not None
    assert_undecided(codec.decode(codec.encode(state), now=state.expires_at))
    assert debug_records(caplog)


def test_expiry_is_six_months_by_default(registry: Registry, codec: CookieCodec) -> None:
    cookie = codec.encode(ConsentState.accept_all(registry, now=NOW))
    assert codec.decode(cookie, now=NOW + timedelta(days=181)).is_decided
    assert not codec.decode(cookie, now=NOW + timedelta(days=183)).is_decided


def test_thirteen_month_expiry_round_trips(registry: Registry) -> None:
    codec = CookieCodec(registry, "key", lifetime=THIRTEEN_MONTHS)
    cookie = codec.encode(ConsentState.accept_all(registry, now=NOW, lifetime=THIRTEEN_MONTHS))
    assert codec.decode(cookie, now=NOW + timedelta(days=390)).is_decided
    assert not codec.decode(cookie, now=NOW + timedelta(days=396)).is_decided


@pytest.mark.parametrize("lifetime", [timedelta(days=1), timedelta(days=182), THIRTEEN_MONTHS])
def test_codec_lifetime_up_to_thirteen_months(registry: Registry, lifetime: timedelta) -> None:
    assert CookieCodec(registry, KEY, lifetime=lifetime).lifetime == lifetime


@pytest.mark.parametrize("lifetime", [FOURTEEN_MONTHS, timedelta(days=400), timedelta(0)])
def test_codec_lifetime_beyond_thirteen_months_is_refused(registry: Registry, lifetime: timedelta) -> None:
    with pytest.raises(ValueError):
        CookieCodec(registry, KEY, lifetime=lifetime)


def test_consent_expiry_is_independent_of_cookie_age(registry: Registry) -> None:
    codec = CookieCodec(registry, KEY, lifetime=timedelta(days=30))
    assert codec.cookie_options()["max_age"] == int(MAX_COOKIE_AGE.total_seconds())
    cookie = codec.encode(ConsentState.accept_all(registry, now=NOW, lifetime=timedelta(days=30)))
    assert not codec.decode(cookie, now=NOW + timedelta(days=31)).is_decided


def test_future_dated_decision_is_undecided(
    registry: Registry, codec: CookieCodec, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="consent.codec")
    cookie = codec.encode(ConsentState.accept_all(registry, now=NOW + CLOCK_SKEW + timedelta(seconds=2)))
    assert_undecided(codec.decode(cookie, now=NOW))
    assert debug_records(caplog)


def test_small_clock_skew_is_tolerated(registry: Registry, codec: CookieCodec) -> None:
    cookie = codec.encode(ConsentState.accept_all(registry, now=NOW + timedelta(minutes=1)))
    assert codec.decode(cookie, now=NOW).is_decided


def test_decode_without_now_uses_the_clock(registry: Registry, codec: CookieCodec) -> None:
    fresh = codec.encode(ConsentState.accept_all(registry))
    stale = codec.encode(ConsentState.accept_all(registry, now=datetime.now(UTC) - timedelta(days=200)))
    assert codec.decode(fresh).is_decided
    assert not codec.decode(stale).is_decided


# -- cookie attributes ------------------------------------------------------------------------------


def test_cookie_options_are_strict_by_default(registry: Registry, codec: CookieCodec) -> None:
    assert codec.name == "__Host-consent"
    assert codec.cookie_options() == {
        "max_age": int(MAX_COOKIE_AGE.total_seconds()),
        "path": "/",
        "domain": None,
        "secure": True,
        "httponly": True,
        "samesite": "Lax",
    }


@pytest.mark.parametrize(
    ("secure", "domain", "name"),
    [
        (True, None, "__Host-consent"),
        (True, "example.com", "__Secure-consent"),
        (False, None, "consent"),
        (False, "example.com", "consent"),
    ],
)
def test_cookie_name_follows_prefix_rules(
    registry: Registry, secure: bool, domain: str | None, name: str
) -> None:
    codec = CookieCodec(registry, KEY, secure=secure, domain=domain)
    assert codec.name == name == cookie_name(secure=secure, domain=domain)
    options = codec.cookie_options()
    assert (options["secure"], options["domain"], options["httponly"], options["samesite"]) == (
        secure,
        domain,
        True,
        "Lax",
    )


@pytest.mark.parametrize("days", [1, 30, 400, 401, 1000])
def test_cookie_max_age_is_at_most_400_days(registry: Registry, days: int) -> None:
    options = CookieCodec(registry, KEY, max_age=timedelta(days=days)).cookie_options()
    assert options["max_age"] == min(days, 400) * 86400


# -- size -------------------------------------------------------------------------------------------


def whole_cookie(codec: CookieCodec, value: str) -> int:
    return len(f"{codec.name}={value}".encode())


def test_seed_registry_has_34_vendors(seed_registry: Registry) -> None:
    assert SEED_REGISTRY.exists()
    assert len(seed_registry.vendors) == 34


@pytest.mark.parametrize("domain", [None, "example.com"])
@pytest.mark.parametrize("seed", range(10))
def test_seed_cookie_is_at_most_200_bytes(seed_registry: Registry, domain: str | None, seed: int) -> None:
    codec = CookieCodec(seed_registry, KEY, domain=domain)
    size = whole_cookie(codec, codec.encode(random_state(seed_registry, seed)))
    assert size == cookie_size(seed_registry, codec.name)
    assert size <= 200


@pytest.mark.parametrize("domain", [None, "example.com"])
@pytest.mark.parametrize("seed", range(5))
def test_1000_vendor_cookie_is_at_most_600_bytes(
    make_registry: Callable[..., Registry], domain: str | None, seed: int
) -> None:
    registry = make_registry(1000)
    codec = CookieCodec(registry, KEY, domain=domain)
    size = whole_cookie(codec, codec.encode(random_state(registry, seed)))
    assert size == cookie_size(registry, codec.name)
    assert size <= 600


@pytest.mark.parametrize(("vendors", "expected"), [(34, 107), (40, 107), (200, 187), (1000, 587)])
def test_cookie_size_is_exact(make_registry: Callable[..., Registry], vendors: int, expected: int) -> None:
    registry = make_registry(vendors)
    codec = CookieCodec(registry, KEY)
    sizes = {whole_cookie(codec, codec.encode(random_state(registry, seed))) for seed in range(5)}
    sizes.add(whole_cookie(codec, codec.encode(ConsentState.accept_all(registry, now=NOW))))
    sizes.add(whole_cookie(codec, codec.encode(ConsentState.reject_all(registry, now=NOW))))
    assert sizes == {expected}


def registry_up_to(number: int) -> dict[str, Any]:
    data = registry_data(3)
    data["vendors"].append({**registry_data(1, first_number=number)["vendors"][0]})
    return data


@pytest.mark.parametrize("number", [1000, 4000, 7000, 8000, 8008, 8009, MAX_VENDOR_NUMBER])
def test_loaded_registries_never_make_a_cookie_over_4096_bytes(number: int) -> None:
    data = registry_up_to(number)
    try:
        registry = validate_registry(data)
    except RegistryError as exc:
        assert any("4096" in p.message and p.path == "vendors" for p in exc.problems)
        with pytest.raises(ValueError, match="bytes"):
            CookieCodec(build(data), KEY, domain="example.com")
        return
    for domain in (None, "example.com"):
        codec = CookieCodec(registry, KEY, domain=domain)
        assert whole_cookie(codec, codec.encode(ConsentState.accept_all(registry, now=NOW))) <= 4096


def test_highest_vendor_number_is_refused() -> None:
    data = registry_up_to(MAX_VENDOR_NUMBER)
    with pytest.raises(RegistryError, match="4096"):
        validate_registry(data)
    with pytest.raises(ValueError, match="bytes"):
        CookieCodec(build(data), KEY)


def test_long_cookie_name_that_overflows_is_refused() -> None:
    registry = validate_registry(registry_up_to(7700))
    CookieCodec(registry, KEY)
    with pytest.raises(ValueError):
        CookieCodec(registry, KEY, name="consent" + "x" * 200)


def test_more_than_255_optional_categories_is_refused() -> None:
    data = registry_data(2)
    keys = {category_key(c["id"]) for c in data["categories"]}
    for i in range(1000):
        slug = f"purpose-{i}"
        if len(data["categories"]) < 4 + 256 and category_key(slug) not in keys:
            keys.add(category_key(slug))
            data["categories"].append({"id": slug, "title": slug})
    with pytest.raises(RegistryError, match="255"):
        validate_registry(data)
    with pytest.raises(ValueError, match="255"):
        CookieCodec(build(data), KEY)


# -- registry edits, through the cookie -----------------------------------------------------------------


def edited_codec(data: dict[str, Any], **changes: Any) -> CookieCodec:
    return CookieCodec(build({**data, **changes}), KEY)


def test_cookie_survives_added_vendor_with_a_higher_number(data40: dict[str, Any], reg40: Registry) -> None:
    state = random_state(reg40, 12)
    added = {**registry_data(1, first_number=900)["vendors"][0], "category": "statistics"}
    after = edited_codec(data40, vendors=[*data40["vendors"], added])
    decoded = after.decode(CookieCodec(reg40, KEY).encode(state), now=NOW)
    assert decoded.vendor_decision(added["id"]) is Decision.UNASKED
    assert decoded.needs_prompt()
    unasked_before = [v for v in optional_ids(reg40) if state.vendor_decision(v) is Decision.UNASKED]
    assert [v.id for v in decoded.new_vendors()] == [*unasked_before, added["id"]]
    assert {k: v for k, v in decisions(decoded).items() if k != added["id"]} == decisions(state)


def test_cookie_survives_removed_highest_vendor(data40: dict[str, Any], reg40: Registry) -> None:
    state = ConsentState.accept_all(reg40, now=NOW)
    after = edited_codec(data40, vendors=data40["vendors"][:-9])
    decoded = after.decode(CookieCodec(reg40, KEY).encode(state), now=NOW)
    assert decoded.is_decided
    assert not decoded.needs_prompt()
    assert decoded.granted_vendors() == after.registry.vendors
    assert not decoded.allows("vendor-40")


def test_cookie_survives_reordered_vendors(data40: dict[str, Any], reg40: Registry) -> None:
    state = random_state(reg40, 13)
    shuffled = list(data40["vendors"])
    random.Random(13).shuffle(shuffled)
    after = edited_codec(data40, vendors=shuffled)
    decoded = after.decode(CookieCodec(reg40, KEY).encode(state), now=NOW)
    assert decisions(decoded) == decisions(state)


def test_cookie_after_a_category_change_asks_again(data40: dict[str, Any], reg40: Registry) -> None:
    state = ConsentState.accept_all(reg40, now=NOW)
    vendors = [{**v, "category": "functional"} if v["id"] == "vendor-3" else v for v in data40["vendors"]]
    after = edited_codec(data40, vendors=vendors)
    decoded = after.decode(CookieCodec(reg40, KEY).encode(state), now=NOW)
    assert decoded.vendor_decision("vendor-3") is Decision.UNASKED
    assert [v.id for v in decoded.new_vendors()] == ["vendor-3"]
    assert decoded.needs_prompt()


def test_cookie_after_an_added_category_asks_again(data40: dict[str, Any], reg40: Registry) -> None:
    state = ConsentState.reject_all(reg40, now=NOW)
    categories = [*data40["categories"], {"id": "social", "title": "Social", "order": 1}]
    added = {**registry_data(1, first_number=41)["vendors"][0], "category": "social"}
    after = edited_codec(data40, categories=categories, vendors=[*data40["vendors"], added])
    decoded = after.decode(CookieCodec(reg40, KEY).encode(state), now=NOW)
    assert decoded.category_decision("social") is Decision.UNASKED
    assert decoded.needs_prompt()
    assert [v.id for v in decoded.new_vendors()] == ["vendor-41"]
    assert all(decoded.category_decision(c) is Decision.DENIED for c in OPTIONAL)


def test_answering_after_an_edit_round_trips(data40: dict[str, Any], reg40: Registry) -> None:
    state = random_state(reg40, 14)
    added = registry_data(1, first_number=77)["vendors"][0]
    after = edited_codec(data40, vendors=[added, *data40["vendors"][:-1]])
    decoded = after.decode(CookieCodec(reg40, KEY).encode(state), now=NOW)
    answered = decoded.with_choices({added["id"]: True}, method=Method.CUSTOM, now=NOW)
    again = after.decode(after.encode(answered), now=NOW)
    assert again == answered
    assert again.allows(added["id"])
    kept = {k: v for k, v in decisions(state).items() if k != "vendor-40"}
    assert {k: v for k, v in decisions(again).items() if k != added["id"]} == kept


# -- bad input -------------------------------------------------------------------------------------


def _flip(value: str, index: int) -> str:
    char = value[index]
    return value[:index] + ("B" if char != "B" else "C") + value[index + 1 :]


BAD_INPUTS: dict[str, Callable[[str, Registry], str]] = {
    "tampered payload": lambda v, r: _flip(v, 30),
    "tampered first char": lambda v, r: _flip(v, 0),
    "tampered signature": lambda v, r: _flip(v, len(v) - 10),
    "tampered last char": lambda v, r: v[:-1] + ("A" if v[-1] != "A" else "Q"),
    "truncated by one": lambda v, r: v[:-1],
    "truncated to payload": lambda v, r: v.rsplit(".", 1)[0],
    "truncated to half": lambda v, r: v[: len(v) // 2],
    "signature only": lambda v, r: "." + v.rsplit(".", 1)[1],
    "payload shortened": lambda v, r: v[:10] + v[14:],
    "extra data": lambda v, r: v + "AAAA",
    "doubled": lambda v, r: v + v,
    "oversized": lambda v, r: v + "A" * MAX_COOKIE_BYTES,
    "non-ascii": lambda v, r: v[:20] + "é" + v[21:],
    "non-ascii appended": lambda v, r: v + "\u2603",
    "whitespace": lambda v, r: " " + v,
    "empty": lambda v, r: "",
    "dot": lambda v, r: ".",
    "garbage": lambda v, r: "not a cookie at all",
    "json": lambda v, r: '{"marketing": true}',
    "wrong salt": lambda v, r: CookieCodec(r, KEY, salt="other").encode(ConsentState.accept_all(r, now=NOW)),
    "dropped key": lambda v, r: CookieCodec(r, OLD_KEY).encode(ConsentState.accept_all(r, now=NOW)),
    "expired": lambda v, r: CookieCodec(r, KEY).encode(
        ConsentState.accept_all(r, now=NOW - timedelta(days=200))
    ),
    "future-dated": lambda v, r: CookieCodec(r, KEY).encode(
        ConsentState.accept_all(r, now=NOW + timedelta(days=1))
    ),
}


@pytest.mark.parametrize("kind", list(BAD_INPUTS))
def test_bad_cookie_is_undecided_and_logged(
    registry: Registry, codec: CookieCodec, caplog: pytest.LogCaptureFixture, kind: str
) -> None:
    genuine = codec.encode(ConsentState.accept_all(registry, now=NOW))
    assert codec.decode(genuine, now=NOW).is_decided
    bad = BAD_INPUTS[kind](genuine, registry)
    assert bad != genuine
    caplog.set_level(logging.DEBUG, logger="consent.codec")
    assert_undecided(codec.decode(bad, now=NOW))
    assert debug_records(caplog), "the rejection is logged at debug level"
    assert not [r for r in caplog.records if r.levelno > logging.DEBUG]


def test_missing_cookie_is_undecided_quietly(
    registry: Registry, codec: CookieCodec, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="consent.codec")
    assert_undecided(codec.decode(None))
    assert not caplog.records


@pytest.mark.parametrize(
    ("kind", "mutate"),
    [
        ("unknown version", lambda p: bytes([2]) + p[1:]),
        ("zero lifetime", lambda p: p[:5] + b"\0\0" + p[7:]),
        ("lifetime over 13 months", lambda p: p[:5] + (396).to_bytes(2, "big") + p[7:]),
        ("unknown method", lambda p: p[:21] + bytes([0x0F]) + p[22:]),
        ("unknown policy", lambda p: p[:21] + bytes([0xF0]) + p[22:]),
        ("unknown decision code", lambda p: p[:26] + b"\x09" + p[27:]),
        ("table larger than payload", lambda p: p[:23] + b"\xff" + p[24:]),
        ("truncated planes", lambda p: p[:-1]),
        ("header only", lambda p: p[:24]),
        ("short header", lambda p: p[:10]),
        ("empty payload", lambda p: b""),
    ],
)
def test_malformed_payload_with_a_valid_signature_is_undecided(
    registry: Registry,
    codec: CookieCodec,
    caplog: pytest.LogCaptureFixture,
    kind: str,
    mutate: Callable[[bytes], bytes],
) -> None:
    caplog.set_level(logging.DEBUG, logger="consent.codec")
    payload = raw_payload(codec.encode(ConsentState.accept_all(registry, now=NOW)))
    assert codec.decode(resign(codec, payload), now=NOW).is_decided
    assert_undecided(codec.decode(resign(codec, mutate(payload)), now=NOW))
    assert debug_records(caplog)


@pytest.mark.parametrize("position", [-1, -2, -27, 0, 10])
def test_only_the_exact_genuine_text_verifies(registry: Registry, codec: CookieCodec, position: int) -> None:
    genuine = codec.encode(ConsentState.accept_all(registry, now=NOW))
    index = position % len(genuine)
    alphabet = string.ascii_letters + string.digits + "-_"
    accepted = [
        char
        for char in alphabet
        if codec.decode(genuine[:index] + char + genuine[index + 1 :], now=NOW).is_decided
    ]
    assert accepted == [genuine[index]]


def test_a_shorter_configured_lifetime_applies_to_cookies_already_stored(
    make_registry: Callable[..., Registry],
) -> None:
    registry = make_registry(10)
    long_lived = CookieCodec(registry, "key", lifetime=timedelta(days=300))
    decided = datetime(2026, 1, 1, tzinfo=UTC)
    value = long_lived.encode(ConsentState.accept_all(registry, now=decided, lifetime=timedelta(days=300)))
    short_lived = CookieCodec(registry, "key", lifetime=timedelta(days=30))

    assert long_lived.decode(value, now=decided + timedelta(days=31)).is_decided
    assert not short_lived.decode(value, now=decided + timedelta(days=31)).is_decided
    assert short_lived.decode(value, now=decided + timedelta(days=29)).is_decided


# -- the two ways of reading a purpose table --------------------------------------------------------


def long_way(codec: CookieCodec) -> CookieCodec:
    """``codec`` with no table listed in advance: every cookie is read by walking its purpose table."""
    slow = CookieCodec(codec.registry, KEY)
    slow._tables.answers.clear()
    return slow


@pytest.mark.parametrize("seed", range(60))
def test_listed_tables_read_as_the_table_walk_does(data40: dict[str, Any], seed: int) -> None:
    # Stored against the registry as it was, read against one where some vendors changed purpose,
    # some were added above the old width or removed: the quick reading must agree with the walk.
    rng = random.Random(seed)
    before = build(data40)
    vendors = [
        {**v, "category": rng.choice(OPTIONAL)} if rng.random() < 0.2 else v
        for v in data40["vendors"]
        if rng.random() < 0.9
    ]
    if rng.random() < 0.5:
        vendors.append({**registry_data(1, first_number=rng.choice([41, 64, 300]))["vendors"][0]})
    after = edited_codec(data40, vendors=vendors)
    assert after._tables.answers, "the usual layout is listed"
    cookie = CookieCodec(before, KEY).encode(random_state(before, seed))
    quick = after.decode(cookie, now=NOW)
    assert quick.is_decided
    assert quick == long_way(after).decode(cookie, now=NOW)
    assert decisions(quick) == decisions(long_way(after).decode(cookie, now=NOW))


def test_a_table_in_another_order_is_read_by_its_keys(data40: dict[str, Any]) -> None:
    registry = build(data40)
    state = ConsentState.undecided(registry).with_choices(
        {"vendor-2": True}, {"functional": True, "statistics": False, "marketing": False},
        method=Method.CUSTOM, now=NOW,
    )  # fmt: skip
    necessary, *optional = data40["categories"]
    flipped = [{**c, "order": 10 - c["order"]} for c in optional]
    reordered = edited_codec(data40, categories=[necessary, *flipped])
    assert [c.id for c in reordered.registry.optional_categories] == ["marketing", "statistics", "functional"]
    decoded = reordered.decode(CookieCodec(registry, KEY).encode(state), now=NOW)
    assert decoded.category_decision("functional") is Decision.GRANTED
    assert decoded.category_decision("marketing") is Decision.DENIED
    assert decoded.vendor_decision("vendor-2") is Decision.GRANTED
    assert decoded == long_way(reordered).decode(CookieCodec(registry, KEY).encode(state), now=NOW)


def test_every_answer_combination_of_the_usual_layout_is_listed(registry: Registry) -> None:
    optional = registry.optional_categories
    answers = CookieCodec(registry, KEY)._tables.answers
    assert len(answers) == 3 ** len(optional)
    for table, decoded in answers.items():
        assert [cid for cid, _ in decoded] == [c.id for c in optional]
        assert table[:2] == category_key(optional[0].id).to_bytes(2, "big")


# -- finding the cookie in a Cookie header ------------------------------------------------------------


@pytest.mark.parametrize("seed", range(300))
def test_value_in_header_agrees_with_werkzeug(registry: Registry, seed: int) -> None:
    from werkzeug.http import parse_cookie

    rng = random.Random(seed)
    codec = CookieCodec(registry, KEY)
    ours = codec.encode(random_state(registry, seed))
    names = [codec.name, f"x{codec.name}", f"{codec.name}2", "consent", "_ga", "a b", "hp_visit"]
    values = [ours, "", "abc", '"quoted"', ours[::-1], "x=y"]
    pairs = [
        f"{rng.choice(names)}{rng.choice(['', ' '])}={rng.choice(values)}" for _ in range(rng.randint(0, 5))
    ]
    header = rng.choice(["; ", ";", " ;  "]).join(pairs)
    assert codec.value_in(header) == parse_cookie(header).get(codec.name), header


def test_value_in_header_takes_the_first_of_two(registry: Registry) -> None:
    codec = CookieCodec(registry, KEY)
    assert codec.value_in(f"{codec.name}=first; {codec.name}=second") == "first"
    assert codec.value_in(None) is None
    assert codec.value_in(f"other={codec.name}=inside") is None


# -- objections to legitimate interest ---------------------------------------------------------------


@pytest.mark.parametrize("seed", range(40))
def test_objections_round_trip(registry: Registry, codec: CookieCodec, seed: int) -> None:
    rng = random.Random(seed)
    optional = optional_ids(registry)
    state = random_state(registry, seed).with_choices(
        {}, method=Method.CUSTOM, now=NOW,
        objections=rng.sample(optional, rng.randint(0, len(optional))),
        objected_purposes=rng.sample(range(1, 25), rng.randint(0, 5)),
    )  # fmt: skip
    value = codec.encode(state)
    decoded = codec.decode(value, now=NOW)
    assert decoded == state
    assert (decoded.objections, decoded.objected_purposes) == (state.objections, state.objected_purposes)
    assert decoded == long_way(codec).decode(value, now=NOW)
    plain = codec.encode(random_state(registry, seed))
    objecting = bool(state.objections or state.objected_purposes)
    assert len(value) - len(plain) == (
        (cookie_size(registry, "x", objections=True) - cookie_size(registry, "x")) if objecting else 0
    )


def test_a_cookie_without_objections_is_the_old_format(registry: Registry, codec: CookieCodec) -> None:
    payload = raw_payload(codec.encode(random_state(registry, 1)))
    assert len(payload) == payload_size(registry)
    assert payload[0] == 1  # version 1: no objections follow, as before they existed


def test_objections_survive_a_vendor_moving_purpose(data40: dict[str, Any]) -> None:
    data = {
        **data40,
        "vendors": [{**v, "tcf_id": 10} if v["id"] == "vendor-1" else v for v in data40["vendors"]],
    }
    before = build(data)
    state = ConsentState.accept_all(before, now=NOW).with_choices(
        {}, method=Method.CUSTOM, now=NOW, objections=["vendor-3"], objected_purposes=[2]
    )
    vendors = [{**v, "category": "functional"} if v["id"] == "vendor-3" else v for v in data["vendors"]]
    after = edited_codec(data, vendors=vendors)
    decoded = after.decode(CookieCodec(before, KEY).encode(state), now=NOW)
    assert decoded.vendor_decision("vendor-3") is Decision.UNASKED
    assert decoded.objections == after.registry.vendor_bits["vendor-3"]
    assert decoded.objected_purposes == {2}


def test_a_cookie_with_objections_is_version_2_which_an_older_reader_refuses(registry: Registry) -> None:
    codec = CookieCodec(registry, KEY)
    state = random_state(registry, 3).with_choices({}, method=Method.CUSTOM, now=NOW, objected_purposes=[2])
    payload = raw_payload(codec.encode(state))
    assert payload[0] == 2
    # As a reader that knows fewer versions does: an unknown version reads as undecided.
    older = resign(codec, bytes([3]) + payload[1:])
    assert not codec.decode(older, now=NOW).is_decided


def test_objections_need_iab_vendors_in_the_registry(data40: dict[str, Any], reg40: Registry) -> None:
    # The cookie's size was checked without the trailer: writing one anyway could overflow it.
    state = ConsentState.accept_all(reg40, now=NOW).with_choices(
        {}, method=Method.CUSTOM, now=NOW, objections=["vendor-3"]
    )
    with pytest.raises(CookieError):
        CookieCodec(reg40, KEY).encode(state)
