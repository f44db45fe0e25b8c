"""#13.7: visitors' headers leave no state behind, and a huge header costs what a short one does.

The attack: a locale cache keyed by the whole ``Accept-Language`` value grew with every distinct header
(one entry per visitor's value, forever), and an uncached 100 KB header cost 43-71 ms to parse. The
header is now read to a bounded length and number of languages before anything else looks at it, and
nothing is cached by a raw header value: per-language memos are keyed by the negotiated locale, one of
the few the site offers.
"""

from __future__ import annotations

import functools
import gc
import random
import time
from collections.abc import Iterator, Mapping
from typing import Any

from flask import Flask
from flask_helpers import example_app

from consent.i18n import MAX_ACCEPT_LANGUAGE, MAX_LANGUAGES, preferred_languages

PATH = "/consent/preferences"  # negotiates the locale and renders the panel in it
LANGUAGES = ("en", "de", "fr", "es", "it", "nl", "pt-BR", "zh-Hant-TW", "x-klingon")


def random_header(rng: random.Random) -> str:
    """A distinct, plausible Accept-Language value."""
    parts = [f"{rng.choice(LANGUAGES)}-{rng.randrange(10**6):x}"]
    parts += [f"{rng.choice(LANGUAGES)};q=0.{rng.randrange(1, 10)}" for _ in range(rng.randrange(4))]
    return ", ".join(parts)


def consent_caches() -> dict[str, int]:
    """Every functools cache of the consent package, with its size."""
    return {
        f"{obj.__module__}.{obj.__qualname__}": obj.cache_info().currsize
        for obj in gc.get_objects()
        if isinstance(obj, functools._lru_cache_wrapper)
        and (getattr(obj, "__module__", "") or "").startswith("consent")
    }


def sizes(
    obj: object, path: str = "", depth: int = 3, seen: set[int] | None = None
) -> Iterator[tuple[str, int]]:
    """The size of every container reachable from ``obj`` through attributes and mapping values."""
    seen = set() if seen is None else seen
    if id(obj) in seen or depth < 0:
        return
    seen.add(id(obj))
    if isinstance(obj, Mapping | list | set | tuple | frozenset):
        yield path, len(obj)
        children: list[tuple[str, Any]] = (
            [(f"{path}[{k!r}]", v) for k, v in list(obj.items())[:200]] if isinstance(obj, Mapping) else []
        )
    else:
        names = list(getattr(obj, "__dict__", {})) + [
            s for cls in type(obj).__mro__ for s in getattr(cls, "__slots__", ()) if isinstance(s, str)
        ]
        children = [(f"{path}.{n}", getattr(obj, n, None)) for n in names]
    for child_path, child in children:
        if child is None or isinstance(child, str | bytes | int | float | bool):
            continue
        yield from sizes(child, child_path, depth - 1, seen)


def app_state(app: Flask) -> dict[str, int]:
    settings = app.extensions["consent"]
    return {
        **dict(sizes(settings, "settings")),
        **dict(sizes(settings.registry.__dict__, "registry")),
        **dict(sizes(app.extensions, "extensions", depth=1)),
        **{f"cache {k}": v for k, v in consent_caches().items()},
    }


def test_ten_thousand_distinct_headers_leave_no_state_behind() -> None:
    app = example_app()
    client = app.test_client(use_cookies=False)
    rng = random.Random(13)
    # Warm up: every locale the site offers, through a few headers, so that per-locale memos are filled.
    for header in ("de", "fr", "en", "es", *(random_header(rng) for _ in range(50))):
        assert client.get(PATH, headers={"Accept-Language": header}).status_code == 200
    before = app_state(app)
    assert any(key.startswith("cache ") for key in before), "found no consent caches to watch"
    for _ in range(10_000):
        response = client.get(PATH, headers={"Accept-Language": random_header(rng)})
        assert response.status_code == 200
    after = app_state(app)
    grown = {k: (before.get(k), v) for k, v in after.items() if v > before.get(k, 0)}
    assert grown == {}


def test_the_header_is_bounded_before_it_is_read() -> None:
    huge = ",".join(f"l{i}-x{i};q=0.5" for i in range(20_000))
    languages = preferred_languages(huge)
    assert len(languages) <= MAX_LANGUAGES
    assert sum(len(tag) for tag in languages) <= MAX_ACCEPT_LANGUAGE


def best_time(client: Any, header: str, rounds: int = 30) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        client.get(PATH, headers={"Accept-Language": header})
        best = min(best, time.perf_counter() - start)
    return best


def test_a_100_kb_header_costs_about_what_a_short_one_does() -> None:
    """A ratio in one run (never an absolute time): the 100 KB header must not multiply the work."""
    client = example_app().test_client(use_cookies=False)
    short = "de-CH, de;q=0.9, en;q=0.8"
    huge = ", ".join(f"x{i:05d}-private;q=0.{i % 9 + 1}" for i in range(100 * 1024 // 20))
    assert len(huge) > 100 * 1024 - 200
    best_time(client, short, 5)  # warm up
    assert best_time(client, huge) < 2 * best_time(client, short)  # it once cost 20-30 pages
