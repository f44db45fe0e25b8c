"""Running a scan: crawl the pages, then visit each one in every consent state, politely and in parallel."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Coroutine, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from playwright.async_api import Browser, Page, async_playwright
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeout

from .._version import __version__
from ..errors import ScanError
from .browser import AGENT, executable, launch_args, user_agent
from .capture import Recorder
from .controls import BANNER, ChoiceUnavailable, Controls
from .crawl import Frontier, Pace, Robots, normalise, origin_of, sitemap_urls
from .observations import ScanRun, StateVisit
from .states import BEFORE, ConsentState, plan_states

T = TypeVar("T")

#: How long a page may keep the network busy after its load event before the scanner reads it anyway.
QUIET_TIMEOUT = 5.0

# Links inside the consent UI lead to the preferences page, which is scanned as a state, not a page.
_LINKS = """(anchors) => anchors
  .filter((a) => !a.closest("[data-consent-banner], [data-consent-panel], dialog, .consent-settings-link"))
  .filter((a) => !a.hasAttribute("download") && !/\\bnofollow\\b/.test(a.rel || ""))
  .map((a) => a.href)"""


@dataclass(frozen=True)
class Progress:
    """One finished visit: ``done`` of ``total`` so far (the total grows while pages are discovered)."""

    done: int
    total: int
    page: str
    state: str
    problem: str | None


@dataclass(frozen=True)
class ScanOptions:
    pages: int = 10
    sitemap: bool = False
    robots: bool = True
    concurrency: int = 2
    delay: float = 0.25
    accept_selector: str | None = None
    reject_selector: str | None = None
    #: Optional categories to accept one at a time; None: the ones the site's preferences page offers.
    categories: Sequence[str] | None = None
    host_map: Mapping[str, str] = field(default_factory=dict)
    timeout: float = 20.0
    screenshots: bool = True


def scan_site(
    url: str, options: ScanOptions = ScanOptions(), progress: Callable[[Progress], None] | None = None
) -> ScanRun:
    """Visit ``url`` and up to ``options.pages - 1`` more same-origin pages in every consent state.

    Works from any caller: where an event loop already runs in this thread (a notebook, a synchronous
    Playwright session), the scan runs on a loop of its own in a worker thread.
    """
    return run_coroutine(lambda: _Scan(normalise(url), options, progress).run())


def run_coroutine(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """``asyncio.run`` of what ``make`` returns, in a worker thread when this one already runs a loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make())
    with ThreadPoolExecutor(1, thread_name_prefix="consent-scan") as pool:
        return pool.submit(lambda: asyncio.run(make())).result()


@dataclass
class _Scan:
    url: str
    options: ScanOptions
    progress: Callable[[Progress], None] | None
    done: int = 0
    total: int = 0
    _context_options: dict[str, Any] = field(default_factory=dict)

    async def run(self) -> ScanRun:
        started = time.monotonic()
        origin = origin_of(self.url)
        opts = self.options
        controls = Controls(opts.accept_selector, opts.reject_selector)
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=executable(), args=launch_args(opts.host_map)
            )
            try:
                self._context_options = {
                    "user_agent": user_agent(browser.version, __version__),
                    "ignore_https_errors": bool(opts.host_map),
                    "viewport": {"width": 1280, "height": 800},
                    "locale": "en-US",
                }
                robots = Robots(AGENT)
                if opts.robots:
                    robots = Robots.parse(AGENT, await self._fetch(browser, origin + "/robots.txt"))
                if not robots.allows(self.url):
                    raise ScanError(self.url, "robots.txt does not allow this page (use --no-robots)")
                pace = Pace(opts.concurrency, max(opts.delay, robots.delay))
                frontier = Frontier(origin, max(1, opts.pages), robots)
                frontier.add([self.url])
                if opts.sitemap:
                    for sitemap in robots.sitemaps or [origin + "/sitemap.xml"]:
                        frontier.add(sitemap_urls(await self._fetch(browser, sitemap) or ""))

                first = await self._discover(browser, frontier, pace, controls)
                widget, categories = await self._widget(browser, first)
                choices = widget or bool(opts.accept_selector or opts.reject_selector)
                if opts.categories is not None:
                    categories = list(opts.categories)
                states = plan_states(categories if widget else (), choices=choices)
                later = [ConsentState(s.name) for s in states if s.name != BEFORE]
                self.total = len(first) * len(states)
                pages = [v.page for v in first]
                visits = await asyncio.gather(
                    *(
                        self._visit(browser, page, state, pace, controls, i == 0)
                        for i, page in enumerate(pages)
                        for state in later
                    )
                )
            finally:
                await browser.close()
        ordered = {s.name: n for n, s in enumerate(states)}
        everything = sorted([*first, *visits], key=lambda v: (pages.index(v.page), ordered[v.state]))
        return ScanRun(
            start_url=self.url,
            origin=origin,
            pages=pages,
            states=[s.name for s in states],
            visits=everything,
            duration=time.monotonic() - started,
            widget=widget,
        )

    async def _discover(
        self, browser: Browser, frontier: Frontier, pace: Pace, controls: Controls
    ) -> list[StateVisit]:
        """Visit pages before any choice, breadth first, adding their links until the budget is spent."""
        visits: list[StateVisit] = []
        before = ConsentState(BEFORE)
        while True:
            batch: list[str] = []
            while len(batch) < max(1, self.options.concurrency) and (url := frontier.next()) is not None:
                batch.append(url)
            if not batch:
                return visits
            self.total += len(batch)
            found = await asyncio.gather(
                *(
                    self._visit(browser, url, before, pace, controls, not visits and i == 0)
                    for i, url in enumerate(batch)
                )
            )
            for visit in found:
                if visit.problem and not visits and visit.page == self.url:
                    raise ScanError(self.url, visit.problem)
                visits.append(visit)
                frontier.add(visit.links)

    async def _widget(self, browser: Browser, first: list[StateVisit]) -> tuple[bool, list[str]]:
        """Whether the site shows this package's banner, and the optional categories it offers."""
        context = await browser.new_context(**self._context_options)
        try:
            page = await context.new_page()
            await page.goto(first[0].page, wait_until="domcontentloaded", timeout=self.options.timeout * 1000)
            controls = Controls()
            if not await controls.has_widget(page):
                return False, []
            return True, await controls.categories(page)
        finally:
            await context.close()

    async def _fetch(self, browser: Browser, url: str) -> str | None:
        """A text file of the site (robots.txt, a sitemap), through the browser so host maps apply."""
        context = await browser.new_context(**self._context_options)
        try:
            page = await context.new_page()
            response = await page.goto(url, timeout=self.options.timeout * 1000)
            if response is None or not response.ok:
                return None
            return await response.text()
        except PlaywrightError:
            return None
        finally:
            await context.close()

    async def _visit(
        self, browser: Browser, url: str, state: ConsentState, pace: Pace, controls: Controls, shoot: bool
    ) -> StateVisit:
        async with pace.slots:
            began = time.monotonic()
            visit = StateVisit(url, state.name)
            context = await browser.new_context(**self._context_options)
            context.set_default_timeout(self.options.timeout * 1000)
            try:
                recorder = Recorder(context)
                await recorder.attach()
                page = await context.new_page()
                await recorder.watch(page)
                try:
                    await self._load(page, url, pace)
                    if state.name == BEFORE:
                        visit.links = await page.eval_on_selector_all("a[href]", _LINKS)
                        if shoot and self.options.screenshots:
                            visit.screenshot = await _banner_shot(page)
                    else:
                        await recorder.mark_choice([page])
                        shot = await controls.choose(page, state)
                        visit.screenshot = shot if shoot and self.options.screenshots else None
                        await _settle(page)
                        await self._load(page, url, pace)
                except ChoiceUnavailable as exc:
                    visit.problem = str(exc)
                except PlaywrightError as exc:
                    visit.problem = str(exc).splitlines()[0]
                visit.cookies, visit.storage, visit.requests = await recorder.result(context.pages)
            finally:
                await context.close()
            visit.duration = time.monotonic() - began
        self.done += 1
        if self.progress is not None:
            self.progress(Progress(self.done, self.total, url, state.name, visit.problem))
        return visit

    async def _load(self, page: Page, url: str, pace: Pace) -> None:
        await pace.wait_turn()
        await page.goto(url, wait_until="load", timeout=self.options.timeout * 1000)
        await _quiet(page, QUIET_TIMEOUT)


async def _settle(page: Page, quiet_timeout: float = 5.0) -> None:
    """Let a choice take effect: the fetch and reload of the widget's script, or a form's redirect."""
    await page.wait_for_timeout(250)
    await _quiet(page, quiet_timeout)


async def _quiet(page: Page, timeout: float) -> None:
    """Wait for the network to be idle, but not forever: a page that polls must not stop the scan."""
    with contextlib.suppress(PlaywrightTimeout):
        await page.wait_for_load_state("networkidle", timeout=timeout * 1000)


async def _banner_shot(page: Page) -> bytes | None:
    banner = page.locator(BANNER).first
    target = banner if await banner.count() else None
    try:
        if target is not None:
            return await target.screenshot(timeout=3000, animations="disabled")
        return await page.screenshot(timeout=3000, animations="disabled")
    except PlaywrightError:
        return None
