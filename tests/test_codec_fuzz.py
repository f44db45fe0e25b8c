"""Fuzzing CookieCodec.decode: it never raises, and nothing but a genuine cookie grants anything.

Each hypothesis example carries a batch of ``BATCH`` generated values, and every value is decoded:
hypothesis spends far more time per example than ``decode`` does per value, so batching is what keeps
this file fast enough to run by default.

TOTAL: 8 property tests, 5,000 examples x 20 values = 100,000 generated values (``EXAMPLES``, ``BATCH``).
"""

from __future__ import annotations

import base64
import hashlib
import random
import struct
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from itsdangerous import Signer

from consent.codec import DEFAULT_SALT, EPOCH, CookieCodec
from consent.registry import Registry
from consent.state import MAX_LIFETIME, ConsentState, Method, Policy, Signal

BATCH = 20
#: Examples per test: 5,000 in all, times BATCH values each = 100,000 generated values decoded.
EXAMPLES = {
    "random": 600,
    "cookie_shaped": 600,
    "mutated": 900,
    "truncated": 800,
    "swapped": 800,  # each value is a pair: two swapped cookies
    "wrong_signer": 500,
    "signed_garbage": 450,
    "signed_structured": 350,
}
assert sum(EXAMPLES.values()) * BATCH >= 100_000

NOW = datetime(2025, 6, 1, 12, 0, 0, tzinfo=UTC)
KEY = b"fuzzing-secret-key"
B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def fuzz(name: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    return settings(max_examples=EXAMPLES[name], deadline=None, database=None, derandomize=True)


def batch(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[list[Any]]:
    return st.lists(strategy, min_size=BATCH, max_size=BATCH)


POOL = 256  # genuine cookies, each with its own random choices


def random_state(registry: Registry, seed: int) -> ConsentState:
    """A decided state with random choices (some vendors and categories left unasked)."""
    rng = random.Random(seed)
    optional = [v.id for v in registry.optional_vendors()]
    vendors = {v: rng.random() < 0.5 for v in optional if rng.random() < 0.9}
    categories = {c.id: rng.random() < 0.5 for c in registry.categories if rng.random() < 0.8}
    return ConsentState.undecided(registry).with_choices(
        vendors,
        categories,
        method=rng.choice(list(Method)),
        policy=rng.choice(list(Policy)),
        signals=[Signal.GPC] if rng.random() < 0.3 else [],
        now=NOW - timedelta(seconds=rng.randrange(100 * 86400)),
    )


@dataclass(frozen=True)
class World:
    registry: Registry
    codec: CookieCodec
    optional: tuple[str, ...]
    required: tuple[str, ...]
    genuine: tuple[str, ...]  # POOL cookies signed with the real key

    def assert_nothing_granted(self, value: str) -> None:
        """``value`` was not signed with the real key: it must read as undecided."""
        state = self.codec.decode(value, now=NOW)
        assert not state.is_decided, value
        assert not any(state.allows(v) for v in self.optional), value


@pytest.fixture(scope="module")
def world(seed_registry: Registry) -> World:
    codec = CookieCodec(seed_registry, [b"an-older-key", KEY], lifetime=MAX_LIFETIME)
    optional = tuple(v.id for v in seed_registry.optional_vendors())
    required = tuple(v.id for v in seed_registry.vendors if seed_registry.is_required(v))
    states = [
        ConsentState.accept_all(seed_registry, now=NOW),
        ConsentState.reject_all(seed_registry, now=NOW),
        ConsentState.undecided(seed_registry).with_choices({optional[0]: True}, method=Method.EMBED, now=NOW),
    ]
    states += [random_state(seed_registry, seed) for seed in range(POOL - len(states))]
    genuine = tuple(codec.encode(s) for s in states)
    for value, state in zip(genuine, states, strict=True):
        assert codec.decode(value, now=NOW) == state
    assert len(set(genuine)) == POOL
    return World(seed_registry, codec, optional, required, genuine)


def sign(signer: Signer, payload: bytes) -> str:
    return signer.sign(base64.urlsafe_b64encode(payload).rstrip(b"=")).decode()


def payload_of(value: str) -> bytes:
    body = value.rsplit(".", 1)[0]
    return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))


# -- input that was never signed with the key -----------------------------------------------------------


def over(alphabet: str) -> Callable[[bytes], str]:
    """Random bytes spelled in ``alphabet`` (hypothesis draws bytes much faster than text)."""
    table = bytes(ord(alphabet[i % len(alphabet)]) for i in range(256))
    return lambda raw: raw.translate(table).decode("ascii")


any_text = st.one_of(
    st.text(max_size=40),  # every Unicode plane, surrogates excluded
    st.binary(max_size=300).map(lambda raw: raw.decode("utf-8", "replace")),
    st.binary(max_size=300).map(lambda raw: raw.decode("latin-1")),
    st.binary(max_size=300).map(over(B64 + ".=")),
)
b64_text = st.binary(max_size=600).map(over(B64))
attacker = Signer(b"attacker-key", salt=DEFAULT_SALT, digest_method=hashlib.sha1)
cookie_shaped = st.one_of(
    # a well-formed signature (20 bytes, canonical base64) over a random body
    st.builds(
        lambda body, sig: f"{body}.{base64.urlsafe_b64encode(sig).decode()[:27]}",
        b64_text,
        st.binary(min_size=20, max_size=20),
    ),
    # any 27 base64 characters, or a ragged tail with dots and padding
    st.builds(
        lambda body, sig: f"{body}.{sig}", b64_text, st.binary(min_size=27, max_size=27).map(over(B64))
    ),
    st.builds(lambda body, sig: f"{body}.{sig}", b64_text, st.binary(max_size=40).map(over(B64 + "=."))),
    # a payload of the right shape, signed with somebody else's key under our salt
    st.binary(min_size=24, max_size=450).map(lambda raw: sign(attacker, raw)),
)


@pytest.mark.slow
@fuzz("random")
@given(values=batch(any_text))
def test_random_text_grants_nothing(world: World, values: list[str]) -> None:
    for value in values:
        world.assert_nothing_granted(value)


@pytest.mark.slow
@fuzz("cookie_shaped")
@given(values=batch(cookie_shaped))
def test_cookie_shaped_text_grants_nothing(world: World, values: list[str]) -> None:
    for value in values:
        world.assert_nothing_granted(value)


# -- genuine cookies, altered ----------------------------------------------------------------------


def mutate(value: str, script: bytes) -> str:
    """Apply edits read from ``script`` three bytes at a time: (operation, position, byte)."""
    for i in range(0, len(script) - 2, 3):
        operation, position, byte = script[i], script[i + 1], script[i + 2]
        index = position % (len(value) + 1)
        if operation % 4 == 0 and index < len(value):  # flip one bit
            value = value[:index] + chr(ord(value[index]) ^ (1 << byte % 8)) + value[index + 1 :]
        elif operation % 4 == 1 and index < len(value):  # substitute
            value = value[:index] + chr(byte) + value[index + 1 :]
        elif operation % 4 == 2:  # insert
            value = value[:index] + chr(byte) + value[index:]
        else:  # delete
            value = value[:index] + value[index + 1 :]
    return value


@pytest.mark.slow
@fuzz("mutated")
@given(cases=batch(st.tuples(st.integers(0, POOL - 1), st.binary(min_size=3, max_size=12))))
def test_mutated_cookie_grants_nothing(world: World, cases: list[tuple[int, bytes]]) -> None:
    for which, script in cases:
        genuine = world.genuine[which]
        value = mutate(genuine, script)
        if value != genuine:
            world.assert_nothing_granted(value)


@pytest.mark.slow
@fuzz("truncated")
@given(cases=batch(st.tuples(st.integers(0, POOL - 1), st.integers(0, 1 << 16))))
def test_truncated_cookie_grants_nothing(world: World, cases: list[tuple[int, int]]) -> None:
    for which, cut in cases:
        genuine = world.genuine[which]
        start = (cut >> 8) % len(genuine) if cut & 1 else 0  # mostly prefixes, sometimes slices
        world.assert_nothing_granted(genuine[start : max(start, len(genuine) - 1 - cut % 128)])


@pytest.mark.slow
@fuzz("swapped")
@given(pairs=batch(st.integers(0, POOL * POOL - 1)))
def test_swapped_signatures_grant_nothing(world: World, pairs: list[int]) -> None:
    for pair in pairs:
        a, b = world.genuine[pair // POOL], world.genuine[pair % POOL]
        (a_body, a_sig), (b_body, b_sig) = a.rsplit(".", 1), b.rsplit(".", 1)
        if a_body != b_body:
            world.assert_nothing_granted(f"{a_body}.{b_sig}")
            world.assert_nothing_granted(f"{b_body}.{a_sig}")


wrong_signer = st.one_of(
    st.builds(lambda salt: {"salt": salt}, st.binary(max_size=30).map(lambda raw: raw.decode("latin-1"))),
    st.builds(lambda key: {"key": key}, st.binary(min_size=1, max_size=40)),
    st.sampled_from(
        [
            {"salt": "itsdangerous.Signer"},
            {"salt": "cookie-session"},
            {"salt": "consent"},
            {"key": b"an-older-key-dropped-since"},
            {"key": KEY + b"\0"},
            {"key": KEY[:-1]},
            {"digest": hashlib.sha256},
        ]
    ),
)


@pytest.mark.slow
@fuzz("wrong_signer")
@given(cases=batch(st.tuples(st.integers(0, POOL - 1), wrong_signer)))
def test_wrong_salt_or_key_grants_nothing(world: World, cases: list[tuple[int, dict[str, Any]]]) -> None:
    real = {world.codec.signer.derive_key(key) for key in world.codec.signer.secret_keys}
    for which, change in cases:
        signer = Signer(
            change.get("key", KEY),
            salt=change.get("salt", DEFAULT_SALT),
            digest_method=change.get("digest", hashlib.sha1),
        )
        if signer.derive_key() in real and signer.digest_method is hashlib.sha1:
            continue  # the same signing key reached another way: genuine after all
        payload = payload_of(world.genuine[which])
        world.assert_nothing_granted(sign(signer, payload))


# -- payloads signed with the real key --------------------------------------------------------------


def assert_sound(world: World, value: str) -> None:
    """A payload signed with the real key may say anything a genuine one can; reading it must not fail."""
    state = world.codec.decode(value, now=NOW)
    if not state.is_decided:
        assert not any(state.allows(v) for v in world.optional)
        return
    assert all(state.allows(v) for v in world.required)
    summary = state.as_dict()  # asks about every vendor and category, and whether to prompt
    state.new_vendors()
    # Whatever it says, the real encoder can say too: re-encoding keeps every answer.
    assert world.codec.decode(world.codec.encode(state), now=NOW).as_dict() == summary


@pytest.mark.slow
@fuzz("signed_garbage")
@given(payloads=batch(st.tuples(st.booleans(), st.binary(max_size=120))))
def test_signed_garbage_never_raises(world: World, payloads: list[tuple[bool, bytes]]) -> None:
    signer = world.codec.signer
    for versioned, payload in payloads:  # a leading 1 is the format version: gets further in
        assert_sound(world, sign(signer, b"\1" + payload if versioned else payload))


HEADER = struct.Struct(">BIH4s10sBBB")


def structured_payload(rng: random.Random, registry: Registry) -> bytes:
    """A payload that often passes the header checks, with random tables, codes and planes."""

    def sometimes(usual: int, odd: int, chance: float = 0.1) -> int:
        return odd if rng.random() < chance else usual

    days = rng.choice([1, 30, 182, 395])
    decided = int((NOW - EPOCH).total_seconds()) - rng.randrange(2 * days * 86400) + rng.randrange(600)
    keys = [c.key for c in registry.categories] + [rng.getrandbits(16)]
    size = sometimes(rng.choice([0, 1, 2, 3, 3, 3, 4, 7]), rng.getrandbits(8), 0.05)
    version = sometimes(rng.choice([1, 2]), rng.getrandbits(8), 0.05)  # 2: objections follow the planes
    header = HEADER.pack(
        version,
        sometimes(decided, rng.getrandbits(32)),
        sometimes(days, rng.choice([0, 396, rng.getrandbits(16)])),
        bytes.fromhex(registry.revision[:8]) if rng.random() < 0.5 else rng.randbytes(4),
        rng.randbytes(10),
        sometimes(rng.randrange(6) | rng.randrange(3) << 4, rng.getrandbits(8)),
        rng.getrandbits(8),
        size,
    )
    entries = [
        (rng.choice(keys), sometimes(rng.randint(1, 3), rng.choice([0, 4, 255]), 0.03)) for _ in range(size)
    ]
    table = b"".join(struct.pack(">HB", key, code) for key, code in entries)
    width = rng.choice([0, 1, 4, 5, 5, 5, 6, 40])
    planes = 1 + size.bit_length() + (1 if version == 2 else 0)
    purposes = 4 if version == 2 else 0
    tail = rng.randbytes(planes * width + purposes + sometimes(0, rng.randrange(1, 3), 0.05))
    return header + table + tail


@pytest.mark.slow
@fuzz("signed_structured")
@given(seeds=batch(st.integers(0, 2**64)))
def test_signed_structured_payloads_never_raise(world: World, seeds: list[int]) -> None:
    signer = world.codec.signer
    for seed in seeds:
        assert_sound(world, sign(signer, structured_payload(random.Random(seed), world.registry)))


def test_structured_payloads_reach_decided_states(world: World) -> None:
    """The structured generator is useful: a fair share of its payloads decode to decided states."""
    rng = random.Random(0)
    decided = sum(
        world.codec.decode(
            sign(world.codec.signer, structured_payload(rng, world.registry)), now=NOW
        ).is_decided
        for _ in range(2000)
    )
    assert 500 < decided < 1900


def test_genuine_cookies_decode(world: World) -> None:
    assert all(world.codec.decode(v, now=NOW).is_decided for v in world.genuine)
    assert not world.codec.decode(world.genuine[0], now=NOW + timedelta(days=400)).is_decided
