"""Recording one browser context: every request, cookie write and storage write, with who made it.

Three sources are joined. Playwright's request events see every request (frames in other processes
too). The DevTools protocol adds what Playwright does not expose: each request's initiator (the script
or document that caused it) and the raw ``Set-Cookie`` headers of each response
(``Network.responseReceivedExtraInfo``). An init script wraps ``document.cookie`` and
``Storage.setItem`` so that writes from scripts are reported with the URL of the script on the stack.
The cookie jar itself (``context.cookies()``) gives the final attributes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from playwright.async_api import BrowserContext, CDPSession, Page, Request

from .observations import SeenCookie, SeenRequest, SeenStorage

BINDING = "__consentScanRecord"
# Reasons for which Chromium refuses a cookie only because it is third-party (the cookie is well-formed).
_THIRD_PARTY_BLOCKS = {"UserPreferences", "ThirdPartyPhaseout", "ThirdPartyBlockedInFirstPartySet"}

# Runs in every frame before the page's own scripts. The stack's first URL is the writer: the init
# script itself has none, an inline script has the document's URL.
HOOKS = """
(() => {
  const report = (kind, detail) => {
    try { if (window.__BINDING__) window.__BINDING__(kind, detail); } catch (e) {}
  };
  const writer = () => {
    const found = ((new Error()).stack || "").match(/(?:https?|file):\\/\\/[^\\s)]+?(?=:\\d+:\\d+)/g);
    return found && found.length ? found[0] : location.href;
  };
  const cookie = Object.getOwnPropertyDescriptor(Document.prototype, "cookie");
  if (cookie && cookie.set) {
    Object.defineProperty(Document.prototype, "cookie", {
      configurable: true,
      enumerable: cookie.enumerable,
      get() { return cookie.get.call(this); },
      set(value) {
        const text = String(value);
        report("cookie", { name: text.split(";")[0].split("=")[0].trim(), source: writer(), origin: location.origin });
        cookie.set.call(this, value);
      },
    });
  }
  const setItem = Storage.prototype.setItem;
  Storage.prototype.setItem = function (key, value) {
    let area = "session";
    try { if (this === window.localStorage) area = "local"; } catch (e) {}
    report("storage", { area, key: String(key), source: writer(), origin: location.origin });
    return setItem.call(this, key, value);
  };
})();
""".replace("__BINDING__", BINDING)

# Every key in every storage area of a frame (writes that bypass setItem, such as localStorage.x = 1).
STORAGE_KEYS = """() => {
  const keys = (area) => { try { return Object.keys(window[area + "Storage"]); } catch (e) { return []; } };
  return { origin: location.origin, local: keys("local"), session: keys("session") };
}"""


@dataclass
class _Write:
    time: float
    wall: float
    source: str | None
    via: str


@dataclass
class Recorder:
    """Attached to one context before its first page; :meth:`result` turns the record into observations."""

    context: BrowserContext
    started: float = field(default_factory=time.monotonic)
    choice_at: float | None = None
    _requests: list[tuple[float, Request]] = field(default_factory=list)
    _initiators: dict[str, str] = field(default_factory=dict)
    _urls: dict[str, str] = field(default_factory=dict)
    _cookie_writes: dict[str, list[_Write]] = field(default_factory=dict)
    _refused: dict[tuple[str, str, str], tuple[float, dict[str, Any], str, str]] = field(default_factory=dict)
    _storage_writes: list[tuple[float, str, str, str, str | None]] = field(default_factory=list)
    _jar_before_choice: dict[tuple[str, str, str], float | None] = field(default_factory=dict)
    _storage_before_choice: set[tuple[str, str, str]] = field(default_factory=set)

    async def attach(self) -> None:
        await self.context.expose_binding(BINDING, self._on_binding)
        await self.context.add_init_script(HOOKS)
        self.context.on("request", self._on_request)

    async def watch(self, page: Page) -> None:
        """Listen to the DevTools protocol of ``page`` for initiators and Set-Cookie headers."""
        session: CDPSession = await self.context.new_cdp_session(page)
        session.on("Network.requestWillBeSent", self._on_will_be_sent)
        session.on("Network.responseReceivedExtraInfo", self._on_extra_info)
        await session.send("Network.enable")

    def now(self) -> float:
        return time.monotonic() - self.started

    async def mark_choice(self, pages: list[Page]) -> None:
        """Remember the jar and storage as they are just before the choice."""
        self.choice_at = self.now()
        for cookie in await self.context.cookies():
            key = (cookie.get("name", ""), cookie.get("domain", ""), cookie.get("path", "/"))
            self._jar_before_choice[key] = cookie.get("expires")
        for page in pages:
            self._storage_before_choice |= await _storage_keys(page)

    # -- event handlers -----------------------------------------------------------------------------

    def _on_binding(self, _source: Any, kind: str, detail: dict[str, str]) -> None:
        now, wall = self.now(), time.time()
        if kind == "cookie":
            host = urlsplit(detail.get("origin", "")).hostname or ""
            self._cookie_writes.setdefault(detail.get("name", ""), []).append(
                _Write(now, wall, detail.get("source"), "script:" + host)
            )
        elif kind == "storage":
            self._storage_writes.append(
                (
                    now,
                    detail.get("origin", ""),
                    detail.get("area", ""),
                    detail.get("key", ""),
                    detail.get("source"),
                )
            )

    def _on_request(self, request: Request) -> None:
        self._requests.append((self.now(), request))

    def _on_will_be_sent(self, event: dict[str, Any]) -> None:
        url = event.get("request", {}).get("url", "")
        self._urls[event.get("requestId", "")] = url
        initiator = _initiator_url(event.get("initiator") or {}, event.get("documentURL"))
        if initiator and url not in self._initiators:
            self._initiators[url] = initiator

    def _on_extra_info(self, event: dict[str, Any]) -> None:
        headers = event.get("headers") or {}
        raw = next((v for k, v in headers.items() if k.lower() == "set-cookie"), None)
        if not raw:
            return
        url = self._urls.get(event.get("requestId", ""), "")
        host = urlsplit(url).hostname or ""
        now, wall = self.now(), time.time()
        blocked = set()
        for entry in event.get("blockedCookies") or ():
            reasons = entry.get("blockedReasons") or ()
            if not reasons:
                continue
            blocked.add(str(entry.get("cookieLine", "")))
            cookie = entry.get("cookie")
            if cookie and set(reasons) <= _THIRD_PARTY_BLOCKS:
                key = (cookie.get("name", ""), cookie.get("domain", ""), cookie.get("path", "/"))
                first = self._refused.get(key, (now, {}, "", ""))[0]
                self._refused[key] = (
                    first,
                    {**cookie, "written_wall": wall, "last": now},
                    url,
                    ", ".join(reasons),
                )
        for line in str(raw).split("\n"):
            if line and line not in blocked:
                name = line.split(";")[0].split("=")[0].strip()
                self._cookie_writes.setdefault(name, []).append(_Write(now, wall, url, "header:" + host))

    # -- the result --------------------------------------------------------------------------------

    async def result(
        self, pages: list[Page]
    ) -> tuple[list[SeenCookie], list[SeenStorage], list[SeenRequest]]:
        choice = self.choice_at
        requests = [
            SeenRequest(
                url=request.url,
                resource_type=request.resource_type,
                time=round(at, 3),
                after_choice=choice is None or at >= choice,
                initiator=self._initiators.get(request.url) or _frame_url(request),
            )
            for at, request in self._requests
            if urlsplit(request.url).scheme in ("http", "https")
        ]
        jar = await self.context.cookies()
        cookies = [self._cookie(c) for c in jar]
        stored = {(c.get("name", ""), c.get("domain", ""), c.get("path", "/")) for c in jar}
        cookies += [self._refused_cookie(*entry) for key, entry in self._refused.items() if key not in stored]
        storage = self._storage(await _storage_keys_all(pages))
        return cookies, storage, requests

    def _cookie(self, jar: Any) -> SeenCookie:
        name, domain, path = jar.get("name", ""), jar.get("domain", ""), jar.get("path", "/")
        expires = jar.get("expires")
        expires = None if expires is None or expires < 0 else float(expires)
        host = domain.lstrip(".")
        writes = [w for w in self._cookie_writes.get(name, []) if _domain_fits(w.via.split(":", 1)[1], host)]
        first = min((w.time for w in writes), default=None)
        last = max(writes, key=lambda w: w.time, default=None)
        choice = self.choice_at
        key = (name, domain, path)
        if choice is None:
            after = True
        elif last is not None:
            after = last.time >= choice
        else:  # no write seen (a frame the protocol session does not cover): compare with the jar before
            after = key not in self._jar_before_choice or self._jar_before_choice[key] != jar.get("expires")
        return SeenCookie(
            name=name,
            domain=domain,
            path=path,
            expires=expires,
            http_only=bool(jar.get("httpOnly")),
            secure=bool(jar.get("secure")),
            same_site=str(jar.get("sameSite", "")),
            time=round(first if first is not None else self.now(), 3),
            after_choice=after,
            set_by=last.source if last else None,
            set_via=last.via.split(":")[0] if last else "unknown",
            written_at=last.wall if last else time.time(),
        )

    def _refused_cookie(self, first: float, cookie: dict[str, Any], url: str, reasons: str) -> SeenCookie:
        """A third-party cookie the scanning browser refused; Chrome with default settings keeps it."""
        expires = cookie.get("expires")
        return SeenCookie(
            name=cookie.get("name", ""),
            domain=cookie.get("domain", ""),
            path=cookie.get("path", "/"),
            expires=None if cookie.get("session") or expires is None or expires < 0 else float(expires),
            http_only=bool(cookie.get("httpOnly")),
            secure=bool(cookie.get("secure")),
            same_site=str(cookie.get("sameSite", "")),
            time=round(first, 3),
            after_choice=self.choice_at is None or cookie["last"] >= self.choice_at,
            set_by=url,
            set_via="header",
            written_at=cookie["written_wall"],
            blocked=reasons,
        )

    def _storage(self, present: set[tuple[str, str, str]]) -> list[SeenStorage]:
        choice = self.choice_at
        writes: dict[tuple[str, str, str], list[tuple[float, str | None]]] = {}
        for at, origin, area, key, source in self._storage_writes:
            writes.setdefault((origin, area, key), []).append((at, source))
        seen = []
        for ident in present:
            origin, area, key = ident
            done = writes.get(ident, [])
            if done:
                after = choice is None or any(at >= choice for at, _ in done)
                seen.append(SeenStorage(area, key, origin, round(done[0][0], 3), after, done[-1][1]))
            else:  # written without setItem: compare with the storage before the choice
                after = choice is None or ident not in self._storage_before_choice
                seen.append(SeenStorage(area, key, origin, round(self.now(), 3), after))
        return sorted(seen, key=lambda s: (s.time, s.origin, s.key))


def _initiator_url(initiator: dict[str, Any], document: str | None) -> str | None:
    if initiator.get("url"):
        return str(initiator["url"])
    stack = initiator.get("stack")
    while stack:
        for frame in stack.get("callFrames") or ():
            if frame.get("url"):
                return str(frame["url"])
        stack = stack.get("parent")
    return document if initiator.get("type") == "parser" else None


def _frame_url(request: Request) -> str | None:
    try:
        return request.frame.url or None
    except Exception:  # service-worker requests have no frame
        return None


def _domain_fits(writer_host: str, cookie_host: str) -> bool:
    """Whether a write from ``writer_host`` can have produced a cookie on ``cookie_host``."""
    return writer_host == cookie_host or writer_host.endswith("." + cookie_host)


async def _storage_keys(page: Page) -> set[tuple[str, str, str]]:
    found: set[tuple[str, str, str]] = set()
    for frame in page.frames:
        try:
            data = await frame.evaluate(STORAGE_KEYS)
        except Exception:  # a frame that navigated or closed meanwhile
            continue
        origin = str(data.get("origin", ""))
        if not origin.startswith("http"):
            continue
        for area in ("local", "session"):
            found.update((origin, area, key) for key in data.get(area, ()))
    return found


async def _storage_keys_all(pages: list[Page]) -> set[tuple[str, str, str]]:
    found: set[tuple[str, str, str]] = set()
    for page in pages:
        found |= await _storage_keys(page)
    return found
