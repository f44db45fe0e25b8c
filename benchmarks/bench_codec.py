"""How fast the consent cookie is read, compared with itsdangerous itself: ratios only.

Run from the repository root::

    python -m benchmarks.bench_codec [--rounds 31] [--number 500]

Targets are ratios measured in one run on the same machine, never absolute times:

(a) reading the state from a seed-registry cookie (verify + decode, no cache) costs at most a bare
    ``URLSafeSerializer.loads`` of a token of the same length (1.0x), and at most twice a bare
    ``Signer.unsign`` of it;
(b) decoding a 1,000-vendor cookie costs at most twice decoding the seed registry's;
(c) ``state.allows(vendor)`` is O(1): first vs last vendor of 1,000, and 40 vs 1,000 vendors, within 1.5x;
(d) cookie sizes (``name=value`` bytes) for the seed registry, 40, 200 and 1,000 vendors, against the
    documented limits;
(e) every one of the seed's 34 ``allows()`` answers for one request, from the raw cookie value
    (verify, decode, the region, 34 questions), printed beside one bare HMAC-SHA1 verification as a
    ratio and in microseconds (the issue's bar: 20 µs).

Exits with status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import random
import string
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from itsdangerous import Signer, URLSafeSerializer

from consent.codec import CookieCodec
from consent.loader import load_registry
from consent.regions import resolve_region
from consent.registry import Registry
from consent.state import ConsentState, Method

from ._timing import interleaved, median, micros, ratio

ROOT = Path(__file__).resolve().parents[1]
SEED_REGISTRY = ROOT / "examples" / "reviews" / "vendors.toml"
KEY = "benchmark-secret-key"
CATEGORIES = ("necessary", "functional", "statistics", "marketing")
RATIO_TARGET = 2.0
LOADS_TARGET = 1.0
ALL_ALLOWS_TARGET_US = 20.0
O1_TARGET = 1.5
SIZE_LIMITS = {"seed": 200, 40: 200, 200: 4096, 1000: 600}


@dataclass(frozen=True)
class Row:
    label: str
    value: str
    target: str
    ok: bool


def synthetic_registry(vendor_count: int) -> Registry:
    """The same shape as the tests' synthetic registries: vendors spread over the four usual categories."""
    categories: list[dict[str, Any]] = [
        {"id": "necessary", "title": "Necessary", "required": True, "justification": "Security."},
        *({"id": c, "title": c.title(), "order": i} for i, c in enumerate(CATEGORIES[1:], 1)),
    ]
    vendors = [
        {
            "id": f"vendor-{n}",
            "number": n,
            "name": f"Vendor {n}",
            "category": CATEGORIES[n % 4],
            "policy_url": f"https://vendor-{n}.example.com/privacy",
        }
        for n in range(1, vendor_count + 1)
    ]
    return Registry.model_validate({"name": "Synthetic", "categories": categories, "vendors": vendors})


def random_state(registry: Registry, rng: random.Random) -> ConsentState:
    """A decided, current state with arbitrary per-vendor and per-category choices."""
    vendors = {v.id: rng.random() < 0.5 for v in registry.optional_vendors()}
    categories = {c.id: rng.random() < 0.5 for c in registry.categories if not c.required}
    return ConsentState.undecided(registry).with_choices(vendors, categories, method=Method.CUSTOM)


def same_length_token(serializer: URLSafeSerializer, length: int, rng: random.Random) -> str:
    """A JSON token exactly ``length`` characters long that itsdangerous did not compress."""
    alphabet = string.ascii_letters + string.digits + "!#$%&()*+,-./:;<=>?@[]^_`{|}~"
    for pad in range(length):
        for _ in range(20):
            token = serializer.dumps({"p": "".join(rng.choice(alphabet) for _ in range(pad))})
            if len(token) == length and not token.startswith("."):
                return token
            if len(token) > length:
                break
    raise ValueError(f"no uncompressed token of {length} characters")


def whole_cookie(codec: CookieCodec, value: str) -> int:
    return len(f"{codec.name}={value}".encode())


def run(*, rounds: int, number: int, seed: int = 0) -> list[Row]:
    rng = random.Random(seed)
    seed_registry = load_registry(SEED_REGISTRY)
    registries = {n: synthetic_registry(n) for n in (40, 200, 1000)}
    seed_codec = CookieCodec(seed_registry, [KEY])
    big_codec = CookieCodec(registries[1000], [KEY])
    seed_cookie = seed_codec.encode(random_state(seed_registry, rng))
    big_cookie = big_codec.encode(random_state(registries[1000], rng))
    serializer: URLSafeSerializer = URLSafeSerializer(KEY, salt="benchmark")
    token = same_length_token(serializer, len(seed_cookie), rng)
    signer = Signer(KEY, salt="benchmark")
    signed = signer.sign(seed_cookie.rsplit(".", 1)[0])
    assert len(signed) == len(seed_cookie)
    assert seed_codec.decode(seed_cookie).is_decided and big_codec.decode(big_cookie).is_decided
    region = resolve_region(seed_registry, "DE")
    seed_ids = [v.id for v in seed_registry.vendors]
    key = hashlib.sha1(b"benchmark key").digest()

    def all_allows() -> list[bool]:
        state = region.read(seed_codec.decode(seed_cookie))
        return [state.allows(vendor_id) for vendor_id in seed_ids]

    def one_hmac() -> bool:
        return hmac.compare_digest(hmac.digest(key, seed_cookie.encode(), "sha1"), key)

    decode = interleaved(
        {
            "seed": lambda: seed_codec.decode(seed_cookie),
            "big": lambda: big_codec.decode(big_cookie),
            "itsdangerous": lambda: serializer.loads(token),
            "unsign": lambda: signer.unsign(signed),
            "34 allows": all_allows,
            "hmac": one_hmac,
        },
        rounds=rounds,
        number=number,
    )

    small = ConsentState.accept_all(registries[40])
    big = ConsentState.accept_all(registries[1000])
    # Optional vendors (a required one is answered before the bit-planes are read), same category.
    optional = [v.id for v in registries[1000].optional_vendors()]
    first, last = optional[0], optional[-1]
    last40 = [v.id for v in registries[40].optional_vendors()][-1]
    assert small.allows(last40) and big.allows(first) and big.allows(last)
    allows = interleaved(
        {
            "first of 1000": lambda: big.allows(first),
            "last of 1000": lambda: big.allows(last),
            "40 vendors": lambda: small.allows(last40),
            "1000 vendors": lambda: big.allows(last),
        },
        rounds=rounds,
        number=number * 4,
    )

    rows = [
        _ratio_row(
            f"(a) read seed cookie / itsdangerous loads, {len(token)} chars "
            f"({micros(median(decode, 'seed'))} vs {micros(median(decode, 'itsdangerous'))})",
            ratio(decode, "seed", "itsdangerous"),
            LOADS_TARGET,
        ),
        _ratio_row(
            f"(a) read seed cookie / bare Signer.unsign "
            f"({micros(median(decode, 'seed'))} vs {micros(median(decode, 'unsign'))})",
            ratio(decode, "seed", "unsign"),
            RATIO_TARGET,
        ),
        _ratio_row(
            f"(b) decode 1000 vendors / seed's {len(seed_registry.vendors)} "
            f"({micros(median(decode, 'big'))} vs {micros(median(decode, 'seed'))})",
            ratio(decode, "big", "seed"),
            RATIO_TARGET,
        ),
        _ratio_row(
            f"(c) allows: last / first vendor of 1000 "
            f"({micros(median(allows, 'last of 1000'))} vs {micros(median(allows, 'first of 1000'))})",
            ratio(allows, "last of 1000", "first of 1000"),
            O1_TARGET,
        ),
        _ratio_row(
            f"(c) allows: 1000 / 40 vendors "
            f"({micros(median(allows, '1000 vendors'))} vs {micros(median(allows, '40 vendors'))})",
            ratio(allows, "1000 vendors", "40 vendors"),
            O1_TARGET,
        ),
    ]
    every = median(decode, "34 allows")
    rows.append(
        Row(
            f"(e) all {len(seed_ids)} allows() from the raw cookie / one HMAC verification "
            f"({micros(every)} vs {micros(median(decode, 'hmac'))}; "
            f"{ratio(decode, '34 allows', 'hmac'):.1f}x)",
            f"{every * 1e6:.1f} us",
            f"<= {ALL_ALLOWS_TARGET_US:.0f} us",
            every * 1e6 <= ALL_ALLOWS_TARGET_US,
        )
    )
    sizes: dict[str | int, tuple[Registry, int]] = {"seed": (seed_registry, len(seed_registry.vendors))}
    sizes.update({n: (registries[n], n) for n in registries})
    for key, (registry, count) in sizes.items():
        codec = CookieCodec(registry, [KEY])
        size = max(whole_cookie(codec, codec.encode(random_state(registry, rng))) for _ in range(5))
        label = f"(d) cookie size, {count} vendors" + (" (seed registry)" if key == "seed" else "")
        limit = SIZE_LIMITS[key]
        rows.append(Row(label, f"{size} B", f"<= {limit}", size <= limit))
    return rows


def _ratio_row(label: str, value: float, target: float) -> Row:
    return Row(label, f"{value:.2f}x", f"<= {target:.1f}x", value <= target)


def report(rows: Sequence[Row], *, rounds: int, number: int) -> str:
    width = max(len(r.label) for r in rows)
    lines = [
        f"consent codec benchmark: {rounds} interleaved rounds of {number} calls, ratios are medians of per-round ratios",
        f"{'measure':<{width}}  {'value':>8}  {'target':>8}  result",
    ]
    lines += [f"{r.label:<{width}}  {r.value:>8}  {r.target:>8}  {'PASS' if r.ok else 'FAIL'}" for r in rows]
    failed = [r for r in rows if not r.ok]
    lines.append(f"{len(rows) - len(failed)} of {len(rows)} targets met" + (": FAILED" if failed else ""))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.bench_codec", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--rounds", type=int, default=31, help="interleaved rounds (median taken)")
    parser.add_argument("--number", type=int, default=500, help="calls per case per round")
    args = parser.parse_args(argv)
    started = datetime.now(UTC)
    rows = run(rounds=args.rounds, number=args.number)
    print(report(rows, rounds=args.rounds, number=args.number))
    print(f"took {(datetime.now(UTC) - started).total_seconds():.1f} s")
    return 1 if any(not r.ok for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
