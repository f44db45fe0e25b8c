"""A Content-Security-Policy that lists only what the vendors the visitor approved load, each in its place.

Even a template that hard-codes an unapproved tag then cannot load it. Per registry, :class:`CspTable`
works out once which sources each vendor needs in which directive, from what it actually loads there:

- ``script-src``: its scripts' ``src``, as host and folder (never its other hosts: a beacon or image
  host in ``script-src`` would let any script on it run);
- ``img-src``: the hosts of its pixels, and its other declared hosts;
- ``frame-src``: the hosts of its embeds; a vendor with scripts also frames its declared hosts (reCAPTCHA,
  PayPal and ad slots open their frames from script);
- ``connect-src``: its other declared hosts (beacons, APIs).

A vendor that loads nothing in the browser (server-side only, such as a spam filter) adds nothing. A
response joins the sources of the vendors its gate loads. With ``strict_dynamic``, ``script-src`` trusts
the nonce and what nonced scripts load (``'strict-dynamic'``); its host list is kept for browsers that
predate CSP 3 only.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

from .gate import Gate
from .registry import Registry, Vendor
from .registry_rules import host_matches

#: The directives whose sources grow with the approved vendors, in the order they appear in the policy.
GATED_DIRECTIVES = ("script-src", "img-src", "frame-src", "connect-src")

#: Script hosts where anyone can publish code (public library CDNs, cloud storage and CDN domains shared
#: by every customer): allowing one in ``script-src`` allows any script served from it (a folder in the
#: source does not help: browsers ignore it after a redirect), which defeats the policy. The audit warns when a vendor loads scripts from one
#: (``csp-arbitrary-code-host``); Google's CSP Evaluator flags the same kind of host. Kept here, in one
#: place, for the audit and the tests.
ARBITRARY_CODE_HOSTS = (
    "*.amazonaws.com",  # S3 buckets of any AWS customer
    "*.cloudfront.net",  # CloudFront distributions of any AWS customer
    "*.googleusercontent.com",  # anyone's uploads and App Engine/Cloud Storage content
    "*.appspot.com",  # any App Engine app
    "*.firebaseapp.com",  # any Firebase app
    "*.web.app",  # any Firebase Hosting site
    "*.azureedge.net",  # any Azure CDN customer
    "*.blob.core.windows.net",  # any Azure storage account
    "*.herokuapp.com",  # any Heroku app
    "*.github.io",  # any GitHub Pages site
    "*.netlify.app",  # any Netlify site
    "*.vercel.app",  # any Vercel deployment
    "raw.githubusercontent.com",  # any file in any public repository
    "cdnjs.cloudflare.com",  # every version of thousands of libraries, old AngularJS among them
    "ajax.googleapis.com",  # the same (AngularJS, JSONP-friendly libraries)
    "cdn.jsdelivr.net",  # any npm package or GitHub file
    "unpkg.com",  # any npm package
    "code.jquery.com",  # every jQuery release, old ones with known gadgets
    "stackpath.bootstrapcdn.com",  # old AngularJS/Bootstrap gadgets
)
# Hosts with JSONP endpoints (www.google.com, cse.google.com...) are not listed: a script's source keeps
# its folder (script_source), which leaves those endpoints out.

#: Where a consent page may be framed unless ``CONSENT_FRAME_ANCESTORS`` says otherwise.
DEFAULT_FRAME_ANCESTORS = ("'self'",)


def new_nonce() -> str:
    return secrets.token_urlsafe(18)


def host_source(host: str) -> str:
    # "*.example.com" is already a valid host-source; plain hosts are pinned to https.
    return host if host.startswith("*.") else f"https://{host}"


def url_host(url: str) -> str | None:
    """The host (with its port, if any) of a registry URL; ``{field}`` slots are ignored."""
    parts = urlsplit(url.replace("{", "").replace("}", ""))
    if not parts.hostname:
        return None
    return parts.hostname if parts.port is None else f"{parts.hostname}:{parts.port}"


def serves_arbitrary_code(host: str) -> str | None:
    """The entry of :data:`ARBITRARY_CODE_HOSTS` that ``host`` falls under, if any."""
    host = host.lower().removeprefix("*.")
    for pattern in ARBITRARY_CODE_HOSTS:
        if host_matches(pattern, host):
            return pattern
    return None


_PLAIN_PATH = re.compile(r"^/[A-Za-z0-9/._~%-]*$")


def script_source(src: str) -> str:
    """The ``script-src`` source for a script URL: its host and folder (``https://h/recaptcha/``), or the
    file itself when it sits at the root (``https://h/cse.js``).

    A path keeps a shared host's other scripts out (JSONP endpoints on ``www.google.com``, old AngularJS
    on ``www.gstatic.com``) while the vendor's loader may still fetch its siblings; browsers match only
    the host after a redirect. A path a policy could not carry as written falls back to the host.
    """
    parts = urlsplit(src)
    host = url_host(src) or ""
    path = parts.path
    if not _PLAIN_PATH.match(path):
        return host_source(host)
    folder = path[: path.rindex("/") + 1]
    return f"https://{host}{folder if folder != '/' else path}"


def vendor_sources(vendor: Vendor) -> dict[str, tuple[str, ...]]:
    """The sources ``vendor`` needs, per gated directive (empty directives left out)."""

    def hosts(urls: Iterable[str]) -> list[str]:
        return list(dict.fromkeys(h for h in (url_host(u) for u in urls) if h))

    script_hosts = hosts(s.src for s in vendor.scripts if s.src)
    pixel_hosts = hosts(p.src for p in vendor.pixels)
    embed_hosts = hosts(e.src for e in vendor.embeds)
    loads_anything = bool(vendor.scripts or vendor.pixels or vendor.embeds)
    used = set(script_hosts) | set(pixel_hosts) | set(embed_hosts)
    other = [h for h in vendor.hosts if h not in used] if loads_anything else []
    framed = [*embed_hosts, *(vendor.hosts if vendor.scripts else ())]
    table = {
        "script-src": [script_source(s.src) for s in vendor.scripts if s.src],
        "img-src": [*pixel_hosts, *other],
        "frame-src": framed,
        "connect-src": other,
    }
    sources = {name: [host_source(h) for h in found] for name, found in table.items()}
    sources["script-src"] = table["script-src"]  # already sources, with their paths
    return {name: tuple(dict.fromkeys(found)) for name, found in sources.items() if found}


class CspTable:
    """Per registry: each vendor's sources per directive, and the mask of vendors that add any."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        #: Vendor id to its (directive, sources) pairs, directives in :data:`GATED_DIRECTIVES` order.
        self.sources: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {}
        self.mask = 0
        bits = registry.vendor_bits
        for vendor in registry.vendors:
            found = vendor_sources(vendor)
            if found:
                self.sources[vendor.id] = tuple(
                    (name, found[name]) for name in GATED_DIRECTIVES if name in found
                )
                self.mask |= bits[vendor.id]

    def join(self, mask: int) -> dict[str, list[str]]:
        """Per directive, the sources of the vendors in ``mask``, each once, in registry order."""
        joined: dict[str, list[str]] = {name: [] for name in GATED_DIRECTIVES}
        sources = self.sources
        for vendor in self.registry.vendors_in_mask(mask & self.mask):
            for name, found in sources[vendor.id]:
                joined[name] += found
        return {name: list(dict.fromkeys(found)) for name, found in joined.items()}


def csp_table(registry: Registry) -> CspTable:
    """The registry's CSP table, built on first use and kept with the registry."""
    return registry.derived(CspTable)


def build_policy(
    gate: Gate,
    nonce: str,
    extra: Mapping[str, Iterable[str]] | None = None,
    report_uri: str | None = None,
    *,
    strict_dynamic: bool = False,
    frame_ancestors: Iterable[str] | None = None,
) -> str:
    """The header value for one response: ``'self'``, the nonce and the loaded vendors' sources, ``extra``.

    ``frame_ancestors`` (e.g. ``("'self'",)``) says who may frame the page; ``None`` leaves it out.
    """
    joined = csp_table(gate.registry).join(gate.loaded_mask)
    scripts = joined["script-src"]
    script_src = ["'self'", f"'nonce-{nonce}'", *scripts]
    if strict_dynamic:
        # CSP 3 browsers ignore 'self' and the hosts next to 'strict-dynamic'; older ones fall back to them.
        script_src = [f"'nonce-{nonce}'", "'strict-dynamic'", "'self'", *scripts]
    directives: dict[str, list[str]] = {
        "default-src": ["'self'"],
        "script-src": script_src,
        "style-src": ["'self'", f"'nonce-{nonce}'"],
        "img-src": ["'self'", "data:", *joined["img-src"]],
        "frame-src": ["'self'", *joined["frame-src"]],
        "connect-src": ["'self'", *joined["connect-src"]],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
    }
    if frame_ancestors is not None:
        directives["frame-ancestors"] = list(frame_ancestors)
    for name, sources in (extra or {}).items():
        directives.setdefault(name, []).extend(s for s in sources if s not in directives.get(name, []))
    if report_uri:
        directives["report-uri"] = [report_uri]
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())
