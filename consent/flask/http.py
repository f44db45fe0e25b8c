"""The HTTP policy around consent: CSP, framing, Vary and Cache-Control, safe redirects, the Origin and
fetch-metadata checks, and deleting declined vendors' cookies."""

from __future__ import annotations

import logging
import secrets
from urllib.parse import quote, urlsplit

from flask import Request, Response, current_app, request
from werkzeug.exceptions import BadRequest, Forbidden
from werkzeug.wrappers import Response as BaseResponse

from ..cookies import declared_cookies
from ..csp import build_policy
from ..state import ConsentState
from .current import per_request, request_consent_if_any
from .settings import EXTENSION_KEY, ConsentSettings

#: At most this many declined cookies are expired by one response: a request may carry any number of
#: cookies, and the work (and the headers) of one response must stay small.
MAX_EXPIRED_COOKIES = 32
_QUERY_SAFE = "!$'()*,/:;?@"  # what url_for leaves unquoted in a query value


def new_nonce() -> str:
    return secrets.token_urlsafe(18)


def safe_next(value: str | None) -> str:
    """A same-site path to return to; anything that could leave the site becomes ``/``."""
    if not value or len(value) > 2048 or not value.startswith("/"):
        return "/"
    # isprintable() refuses control characters (CR, LF, tab, NUL...); a backslash is read as a slash.
    if value.startswith("//") or "\\" in value or not value.isprintable():
        return "/"
    return value


def quote_next(path: str) -> str:
    return quote(path, safe=_QUERY_SAFE)


def current_path(req: Request | None = None) -> str:
    """This page's path (under the app's script root), to come back to after a choice."""
    if req is None:
        req = request._get_current_object()  # type: ignore[attr-defined]
    path = req.full_path.rstrip("?") if req.query_string else req.path
    return safe_next(req.script_root + path)


def referring_path() -> str | None:
    """The path of the page that linked here, when it is this very site (for the settings link)."""
    referrer = request.headers.get("Referer")
    if not referrer:
        return None
    parts = urlsplit(referrer)
    if f"{parts.scheme}://{parts.netloc}".lower() != request.host_url.rstrip("/").lower():
        return None
    return safe_next(parts.path + (f"?{parts.query}" if parts.query else ""))


_LOCAL_NAMES = ("localhost", "::1")
_log = logging.getLogger("consent")
_insecure_warned = False


def insecure_cookie_problem(secure: bool) -> str | None:
    """Why a ``Secure`` (``__Host-``) consent cookie set on this request will not be stored, if it won't.

    Browsers drop a Secure cookie sent over plain http, except on localhost (a secure context): the
    banner then hides but nothing is kept. ``None`` when the cookie can be stored.
    """
    if not secure or request.is_secure:
        return None
    host = urlsplit(request.host_url).hostname or ""
    if host in _LOCAL_NAMES or host.endswith(".localhost") or host.startswith("127."):
        return None
    return (
        f"the consent cookie is Secure but this request to {request.host!r} came over plain http, so "
        "browsers will not store it: serve the site over https (behind a proxy that ends TLS, wrap the app "
        "in werkzeug's ProxyFix so Flask sees https), or set CONSENT_COOKIE_SECURE = False for local "
        "plain-http development"
    )


def warn_insecure_cookie_once(problem: str) -> None:
    """Say it loudly, once per process: every visitor's choice is being lost."""
    global _insecure_warned
    if not _insecure_warned:
        _insecure_warned = True
        _log.error("consent: %s", problem)


def check_origin() -> None:
    """Refuse a cross-site POST: the Origin (or Referer) must be this very site."""
    source = request.headers.get("Origin") or request.headers.get("Referer")
    if not source or source == "null":
        raise BadRequest("The consent form must be sent from this site (no Origin or Referer header).")
    parts = urlsplit(source)
    if f"{parts.scheme}://{parts.netloc}".lower() != request.host_url.rstrip("/").lower():
        raise BadRequest("The consent form must be sent from this site.")


#: Request destinations that mean "a document inside a frame" (fetch metadata, ``Sec-Fetch-Dest``).
FRAME_DESTINATIONS = frozenset({"iframe", "frame", "embed", "object", "fencedframe"})


def check_fetch_metadata() -> None:
    """Refuse a decision that a browser says comes from another site, or from a frame another site drew.

    Browsers send ``Sec-Fetch-*`` headers (old ones send none, then the Origin check alone applies): a
    decision must be same-origin (or typed by the visitor, ``none``), and a framed one same-origin too.
    """
    site = request.headers.get("Sec-Fetch-Site")
    dest = request.headers.get("Sec-Fetch-Dest")
    if site is not None and site not in ("same-origin", "none"):
        raise Forbidden("A consent decision must be made on this site, not from another one.")
    if dest in FRAME_DESTINATIONS and site != "same-origin":
        raise Forbidden("A consent decision cannot be made in a frame drawn by another site.")


def expire_declined_cookies(response: BaseResponse, state: ConsentState, settings: ConsentSettings) -> None:
    """Delete the first-party cookies that declined vendors left on this site.

    Each cookie is expired once, and only when no vendor that may still run declares it (``_ga`` is
    declared by two Analytics properties: granting one keeps it). A browser deletes a cookie only with
    the domain it was set for, which the request does not tell: it is expired host-only and on each
    configured domain (``CONSENT_COOKIE_DOMAIN`` and ``CONSENT_DECLINED_COOKIE_DOMAINS``), never on
    domains taken from the request's Host header.
    """
    table = declared_cookies(state.registry)
    allowed = state.allowed
    codec = settings.codec
    domains = list(
        dict.fromkeys(
            [*settings.config["CONSENT_DECLINED_COOKIE_DOMAINS"], *([codec.domain] if codec.domain else [])]
        )
    )
    expired = 0
    for name in request.cookies:
        if name == codec.name:
            continue
        owners = table.owners(name)
        if owners and not owners & allowed:
            response.delete_cookie(name, path="/")
            for domain in domains:
                response.delete_cookie(name, path="/", domain=domain)
            expired += 1
            if expired >= MAX_EXPIRED_COOKIES:
                break


def after_request(response: Response) -> Response:
    data = request_consent_if_any()
    settings: ConsentSettings | None = (
        data.settings if data is not None else current_app.extensions.get(EXTENSION_KEY)
    )
    if settings is None:
        return response
    config = settings.config
    mode = config["CONSENT_CSP"]
    ancestors = config["CONSENT_FRAME_ANCESTORS"]
    html = response.mimetype == "text/html"
    if mode and html:
        # Every HTML page gets the policy, whether or not its template asked about consent, so even a
        # hard-coded tag of an unapproved vendor cannot load. (Reading the gate marks the page private.)
        data = per_request()
        header = "Content-Security-Policy-Report-Only" if mode == "report-only" else "Content-Security-Policy"
        if data.nonce is None:
            data.nonce = new_nonce()
        response.headers[header] = build_policy(
            data.get_gate(),
            data.nonce,
            config["CONSENT_CSP_EXTRA"],
            config["CONSENT_CSP_REPORT_URI"],
            strict_dynamic=bool(config["CONSENT_CSP_STRICT_DYNAMIC"]),
            frame_ancestors=ancestors,
        )
    framed = ancestors is not None and (
        (html and data is not None and data.shows_controls)
        or (data.request if data is not None else request).blueprint == "consent"
    )
    private = data is not None and data.varies
    if not (framed or private):
        return response
    # The response's header names, read once: each look-up of an absent header costs an exception.
    present = {name.lower() for name, _ in response.headers}
    if framed:
        _refuse_framing(response, settings.framing_headers, present)
    if private:
        assert data is not None
        _mark_private(response, settings.vary[data.varies_language], present)
    return response


def _refuse_framing(response: Response, framing: tuple[tuple[str, str], ...], present: set[str]) -> None:
    """Consent pages and endpoints may be framed only by ``CONSENT_FRAME_ANCESTORS``: a foreign page must
    not put the visitor's click on Accept all (clickjacking). ``frame-ancestors`` is enforced even when the
    page's own policy is report-only; ``X-Frame-Options`` covers browsers without it (it can say only
    SAMEORIGIN). ``framing``: the headers to add (see ``ConsentSettings.framing_headers``)."""
    headers = response.headers
    for name, value in framing:
        if name == "Content-Security-Policy":
            if "content-security-policy" in present and "frame-ancestors" in headers.get(name, ""):
                continue
            headers.add(name, value)
        elif name.lower() not in present:
            headers.add(name, value)


def _mark_private(response: Response, vary: tuple[str, ...], present: set[str]) -> None:
    """Output that depends on consent must never be served to someone else from a shared cache."""
    headers = response.headers
    if "vary" in present:
        response.vary.update(vary)
    else:
        headers.add("Vary", ", ".join(vary))
    if "cache-control" not in present:
        headers.add("Cache-Control", "private")
    elif not response.cache_control.no_store:
        response.cache_control.public = False
        response.cache_control.private = True
