"""Which pages to visit: same-origin links (and sitemap.xml), robots.txt, and a polite pace.

Links that only change the query of a path already queued wait behind links to new paths, so that a
small page budget covers different pages rather than twenty variants of the home page.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urldefrag, urljoin, urlsplit
from urllib.robotparser import RobotFileParser

_LOC_RE = re.compile(r"<loc>\s*([^<\s]+)\s*</loc>", re.IGNORECASE)
_SKIPPED_SUFFIXES = (".pdf", ".zip", ".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".mp4", ".xml")


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def normalise(url: str, base: str | None = None) -> str:
    """``url`` made absolute, without its fragment."""
    return urldefrag(urljoin(base or url, url.strip()))[0]


def sitemap_urls(text: str) -> list[str]:
    """The ``<loc>`` entries of a sitemap (or sitemap index) document."""
    return [m.group(1).replace("&amp;", "&") for m in _LOC_RE.finditer(text)]


@dataclass
class Robots:
    """robots.txt rules for the scanner's user agent token; everything is allowed when there are none."""

    agent: str
    parser: RobotFileParser | None = None

    @classmethod
    def parse(cls, agent: str, text: str | None) -> Robots:
        if text is None:
            return cls(agent)
        parser = RobotFileParser()
        parser.parse(text.splitlines())
        return cls(agent, parser)

    def allows(self, url: str) -> bool:
        return self.parser is None or self.parser.can_fetch(self.agent, url)

    @property
    def delay(self) -> float:
        if self.parser is None:
            return 0.0
        value = self.parser.crawl_delay(self.agent)
        return float(value) if value else 0.0

    @property
    def sitemaps(self) -> list[str]:
        return list(self.parser.site_maps() or ()) if self.parser else []


@dataclass
class Frontier:
    """The pages still to visit, in discovery order, new paths before query variants."""

    origin: str
    limit: int
    robots: Robots
    _queued: list[str] = field(default_factory=list)
    _later: list[str] = field(default_factory=list)
    _known: set[str] = field(default_factory=set)
    _paths: set[str] = field(default_factory=set)
    taken: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    def add(self, urls: Iterable[str]) -> None:
        for raw in urls:
            url = normalise(raw)
            parts = urlsplit(url)
            if origin_of(url) != self.origin or url in self._known:
                continue
            if parts.path.lower().endswith(_SKIPPED_SUFFIXES):
                continue
            self._known.add(url)
            if not self.robots.allows(url):
                self.refused.append(url)
                continue
            if parts.path in self._paths:
                self._later.append(url)
            else:
                self._paths.add(parts.path)
                self._queued.append(url)

    def next(self) -> str | None:
        if len(self.taken) >= self.limit:
            return None
        pool = self._queued or self._later
        if not pool:
            return None
        url = pool.pop(0)
        self.taken.append(url)
        return url


@dataclass
class Pace:
    """At most ``concurrency`` visits at once, and at least ``delay`` seconds between two page loads."""

    concurrency: int
    delay: float
    _slots: asyncio.Semaphore = field(init=False)
    _lock: asyncio.Lock = field(init=False, default_factory=asyncio.Lock)
    _next_start: float = 0.0

    def __post_init__(self) -> None:
        self._slots = asyncio.Semaphore(max(1, self.concurrency))

    @property
    def slots(self) -> asyncio.Semaphore:
        return self._slots

    async def wait_turn(self) -> None:
        """Call before every page load."""
        async with self._lock:
            now = time.monotonic()
            if now < self._next_start:
                await asyncio.sleep(self._next_start - now)
            self._next_start = max(now, self._next_start) + self.delay
