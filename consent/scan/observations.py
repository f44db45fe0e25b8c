"""What the scanner saw in one browser context: cookies, storage keys and requests, each with a time.

Times are seconds since the context opened. ``after_choice`` tells whether the item appeared (or was
written again) after the scanner made the state's consent choice; for the "before any choice" state
every item counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass(frozen=True)
class SeenCookie:
    """A cookie in the browser's jar at the end of a visit, with what set it where the browser told."""

    name: str
    domain: str
    path: str
    expires: float | None  # seconds since the epoch; None for a session cookie
    http_only: bool
    secure: bool
    same_site: str
    time: float  # when it first appeared
    after_choice: bool
    set_by: str | None = None  # the response URL (Set-Cookie) or script URL (document.cookie)
    set_via: str = "unknown"  # "header", "script" or "unknown"
    written_at: float | None = None  # wall-clock seconds since the epoch of the last write seen
    #: Why the browser refused to store it (its third-party cookie block), or None when it is in the jar.
    #: Desktop Chrome stores third-party cookies by default; Playwright's contexts do not.
    blocked: str | None = None

    @property
    def host(self) -> str:
        return self.domain.lstrip(".").lower()

    @property
    def lifetime_seconds(self) -> float | None:
        """How long it lives from its last write; None for a session cookie."""
        if self.expires is None:
            return None
        if self.written_at is None:
            return None
        return self.expires - self.written_at


@dataclass(frozen=True)
class SeenStorage:
    """A localStorage or sessionStorage key."""

    area: str  # "local" or "session"
    key: str
    origin: str
    time: float
    after_choice: bool
    set_by: str | None = None

    @property
    def host(self) -> str:
        return urlsplit(self.origin).hostname or ""


@dataclass(frozen=True)
class SeenRequest:
    """One request the page made."""

    url: str
    resource_type: str
    time: float
    after_choice: bool
    initiator: str | None = None  # the URL of the script or document that caused it

    @property
    def host(self) -> str:
        return (urlsplit(self.url).hostname or "").lower()


@dataclass
class StateVisit:
    """One page in one consent state, visited in a fresh browser context."""

    page: str
    state: str
    cookies: list[SeenCookie] = field(default_factory=list)
    storage: list[SeenStorage] = field(default_factory=list)
    requests: list[SeenRequest] = field(default_factory=list)
    screenshot: bytes | None = None  # PNG of the consent controls the scanner used
    links: list[str] = field(default_factory=list)
    problem: str | None = None  # why the state could not be reached, if it could not
    duration: float = 0.0


@dataclass
class ScanRun:
    """Every visit of a scan, in page then state order, and how long it took."""

    start_url: str
    origin: str
    pages: list[str]
    states: list[str]
    visits: list[StateVisit]
    duration: float
    widget: bool  # whether this package's banner was found (and so single categories could be tried)

    def visit(self, page: str, state: str) -> StateVisit | None:
        return next((v for v in self.visits if v.page == page and v.state == state), None)
