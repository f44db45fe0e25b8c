"""Which pages the scanner visits: links, sitemaps, robots.txt and the pace."""

from __future__ import annotations

import asyncio
import time

import pytest

from consent.scan.crawl import Frontier, Pace, Robots, normalise, origin_of, sitemap_urls
from consent.scan.runner import run_coroutine

ORIGIN = "https://shop.example"
ROBOTS = """\
User-agent: *
Disallow: /admin
Crawl-delay: 2
Sitemap: https://shop.example/sitemap.xml

User-agent: consent-gate-scanner
Disallow: /cart
"""


@pytest.mark.parametrize(
    ("url", "base", "expected"),
    [
        ("/a#top", "https://shop.example/x", "https://shop.example/a"),
        ("b?q=1", "https://shop.example/dir/", "https://shop.example/dir/b?q=1"),
        ("https://other.example/", None, "https://other.example/"),
    ],
)
def test_normalise(url: str, base: str | None, expected: str) -> None:
    assert normalise(url, base) == expected


def test_origin_of_keeps_the_port() -> None:
    assert origin_of("http://127.0.0.1:8000/a?b") == "http://127.0.0.1:8000"


def test_sitemap_urls_reads_every_loc() -> None:
    text = """<?xml version="1.0"?><urlset><url><loc> https://shop.example/a </loc></url>
    <url><loc>https://shop.example/b?x=1&amp;y=2</loc></url></urlset>"""
    assert sitemap_urls(text) == ["https://shop.example/a", "https://shop.example/b?x=1&y=2"]


def test_robots_rules_for_the_scanner() -> None:
    robots = Robots.parse("consent-gate-scanner", ROBOTS)
    assert not robots.allows(f"{ORIGIN}/cart")
    assert robots.allows(f"{ORIGIN}/admin")  # the scanner's own group replaces the "*" group
    assert robots.sitemaps == ["https://shop.example/sitemap.xml"]
    general = Robots.parse("other-bot", ROBOTS)
    assert not general.allows(f"{ORIGIN}/admin") and general.delay == 2.0


def test_no_robots_txt_allows_everything() -> None:
    robots = Robots.parse("consent-gate-scanner", None)
    assert robots.allows(f"{ORIGIN}/anything") and robots.delay == 0.0 and robots.sitemaps == []


def test_frontier_prefers_new_paths_and_respects_the_budget() -> None:
    frontier = Frontier(ORIGIN, 4, Robots.parse("consent-gate-scanner", ROBOTS))
    frontier.add(
        [
            f"{ORIGIN}/",
            f"{ORIGIN}/?topic=a",
            f"{ORIGIN}/?topic=b",
            f"{ORIGIN}/cart",
            "https://elsewhere.example/",
            f"{ORIGIN}/file.pdf",
            f"{ORIGIN}/about#team",
            f"{ORIGIN}/about",
        ]
    )
    frontier.add([f"{ORIGIN}/contact"])
    taken = []
    while (url := frontier.next()) is not None:
        taken.append(url)
    assert taken == [f"{ORIGIN}/", f"{ORIGIN}/about", f"{ORIGIN}/contact", f"{ORIGIN}/?topic=a"]
    assert frontier.refused == [f"{ORIGIN}/cart"]


def test_pace_spaces_page_loads() -> None:
    async def three_loads() -> float:
        pace = Pace(concurrency=2, delay=0.05)
        start = time.monotonic()
        await asyncio.gather(*(pace.wait_turn() for _ in range(3)))
        return time.monotonic() - start

    assert run_coroutine(three_loads) >= 0.09  # asyncio.run, even beside another test's running loop


def test_a_scan_starts_even_where_an_event_loop_already_runs() -> None:
    async def inner() -> int:
        await asyncio.sleep(0)
        return 7

    async def outer() -> int:
        return run_coroutine(inner)  # asyncio.run would refuse: this thread runs a loop

    assert run_coroutine(outer) == 7
