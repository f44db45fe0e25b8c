"""The Flask extension: ``Consent(app=None)`` + ``init_app``, ``current_consent`` and the Jinja helpers.

Configuration (argument > ``app.config`` > default):

=============================== ======================================================================
``CONSENT_REGISTRY``            path of the vendor registry file, or a :class:`Registry` (required)
``CONSENT_SECRET_KEY``          key that signs the cookie; default ``SECRET_KEY``
``CONSENT_SECRET_KEY_FALLBACKS`` older keys still accepted; default ``SECRET_KEY_FALLBACKS``
``CONSENT_COOKIE_NAME``         ``"consent"`` (prefixed ``__Host-``/``__Secure-`` when secure)
``CONSENT_COOKIE_SECURE``       ``True``; set ``False`` only for local plain-http development
``CONSENT_COOKIE_DOMAIN``       ``None`` (host-only); a domain shares consent across subdomains
``CONSENT_COOKIE_MAX_AGE``      cookie lifetime in days, at most 400 (default 400)
``CONSENT_LIFETIME``            days before visitors are asked again, at most 395 (default 182)
``CONSENT_URL_PREFIX``          where the blueprint lives, default ``"/consent"``
``CONSENT_POLICY_URL``          the site's privacy policy; default the registry's
``CONSENT_LOCALES``             locales offered; default every locale of the registry
``CONSENT_LOCALE``              a fixed locale, or a callable ``(request) -> str``; default negotiated
``CONSENT_POSITION``            ``"bar"``, ``"modal"`` or ``"corner"``
``CONSENT_FLOATING_BUTTON``     also show a small floating settings button (default ``False``)
``CONSENT_CSP``                 ``None`` (off), ``"enforce"`` or ``"report-only"``
``CONSENT_CSP_EXTRA``           extra sources per directive, e.g. ``{"img-src": ["https://cdn.example"]}``
``CONSENT_CSP_REPORT_URI``      where browsers report violations
``CONSENT_MAX_FORM_BYTES``      largest consent form accepted (default 16384)
``CONSENT_REGION_HEADER``       a request header the site's CDN or proxy sets to the visitor's region
                                ("DE", "US-CA"); trusted only when configured (default ``None``)
``CONSENT_SUBDIVISION_HEADER``  a second header with the subdivision ("CA"), joined to the first
``CONSENT_REGION_RESOLVER``     a callable ``(request) -> str | None`` instead (e.g. a GeoIP lookup)
``CONSENT_CONSENT_MODE``        emit Google Consent Mode v2 defaults; default: when the registry maps any
``CONSENT_CONSENT_MODE_WAIT``   ``wait_for_update`` in milliseconds for the Consent Mode default
``CONSENT_GPC_JSON``            serve ``/.well-known/gpc.json`` (default ``True``)
``CONSENT_GPC_UPDATED``         its ``lastUpdate`` date (``"2026-11-25"``), optional
``CONSENT_LEDGER_URL``          the consent ledger's database (``sqlite:///...``, ``postgresql://...``); ``None``: off
``CONSENT_LEDGER_KEY``          the ledger's HMAC key; default derived from the cookie's key (own salt)
``CONSENT_LEDGER_SPOOL``        where records wait while the database is down (``<instance>/consent-ledger.spool``)
``CONSENT_LEDGER_TIMEOUT``      seconds a decision may wait for the database (default 0.5), then it is spooled
``CONSENT_LEDGER_SUBJECT``      ``(request) -> str | None``: the site's own subject id (makes records personal data)
=============================== ======================================================================
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import cached_property, wraps
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar, cast
from urllib.parse import quote, urlsplit

from blinker import Namespace
from flask import Flask, Response, abort, current_app, g, jsonify, request, url_for
from markupsafe import Markup
from werkzeug.local import LocalProxy

from .banner import Widget, WidgetContext
from .codec import MAX_COOKIE_AGE, CookieCodec
from .consent_mode import consent_mode_values, registry_uses_consent_mode, render_consent_mode_default
from .csp import build_policy, new_nonce
from .gate import Gate, decide, render_scripts
from .i18n import negotiate
from .loader import load_registry
from .regions import default_vendors, policy_of, suppressed_vendors
from .registry import RegionPolicy, Registry
from .state import DEFAULT_LIFETIME, MAX_LIFETIME, ConsentState, Signal

if TYPE_CHECKING:
    from .ledger import Ledger

EXTENSION_KEY = "consent"
#: Stands for the page to return to in the cached settings link (URL-safe, so it survives escaping).
NEXT_SLOT = "consent-next-slot-7f3a"
#: Stands for the response's nonce in cached script markup (a nonce is never shared between responses).
NONCE_SLOT = "\x00consent-nonce\x00"

_signals = Namespace()
#: The visitor decided for the first time. Sent with ``state`` and ``previous``.
consent_given = _signals.signal("consent-given")
#: A visitor who had decided changed their choices.
consent_changed = _signals.signal("consent-changed")
#: A visitor withdrew every optional consent.
consent_withdrawn = _signals.signal("consent-withdrawn")

DEFAULTS: dict[str, Any] = {
    "CONSENT_REGISTRY": None,
    "CONSENT_SECRET_KEY": None,
    "CONSENT_SECRET_KEY_FALLBACKS": None,
    "CONSENT_COOKIE_NAME": "consent",
    "CONSENT_COOKIE_SECURE": True,
    "CONSENT_COOKIE_DOMAIN": None,
    "CONSENT_COOKIE_MAX_AGE": MAX_COOKIE_AGE.days,
    "CONSENT_LIFETIME": DEFAULT_LIFETIME.days,
    "CONSENT_URL_PREFIX": "/consent",
    "CONSENT_POLICY_URL": None,
    "CONSENT_LOCALES": None,
    "CONSENT_LOCALE": None,
    "CONSENT_POSITION": "bar",
    "CONSENT_FLOATING_BUTTON": False,
    "CONSENT_CSP": None,
    "CONSENT_CSP_EXTRA": {},
    "CONSENT_CSP_REPORT_URI": None,
    "CONSENT_MAX_FORM_BYTES": 16 * 1024,
    "CONSENT_REGION_HEADER": None,
    "CONSENT_SUBDIVISION_HEADER": None,
    "CONSENT_REGION_RESOLVER": None,
    "CONSENT_CONSENT_MODE": None,
    "CONSENT_CONSENT_MODE_WAIT": None,
    "CONSENT_GPC_JSON": True,
    "CONSENT_GPC_UPDATED": None,
    "CONSENT_LEDGER_URL": None,
    "CONSENT_LEDGER_KEY": None,
    "CONSENT_LEDGER_SPOOL": None,
    "CONSENT_LEDGER_TIMEOUT": 0.5,
    "CONSENT_LEDGER_SUBJECT": None,
}
log = logging.getLogger("consent")
ledger_log = logging.getLogger("consent.ledger")
_ledger_lock = threading.Lock()

_WIDGET = files("consent.widget")


def _asset_version() -> str:
    digest = hashlib.sha256()
    for name in ("consent.css", "consent.js"):
        digest.update((_WIDGET / "static" / name).read_bytes())
    return digest.hexdigest()[:10]


@dataclass
class ConsentSettings:
    """Per-app state, kept in ``app.extensions["consent"]``."""

    registry: Registry
    config: Mapping[str, Any]
    widget: Widget
    asset_version: str
    _codec: CookieCodec | None = field(default=None, repr=False)
    urls: dict[str, Any] = field(default_factory=dict, repr=False)
    scripts_cache: dict[tuple[Any, ...], Markup] = field(default_factory=dict, repr=False)
    consent_mode_cache: dict[Any, dict[str, str]] = field(default_factory=dict, repr=False)
    verified: dict[str, ConsentState] = field(default_factory=dict, repr=False)
    links: dict[tuple[Any, ...], Markup] = field(default_factory=dict, repr=False)
    _defaults: dict[tuple[RegionPolicy, bool], frozenset[str]] = field(default_factory=dict, repr=False)
    gate_cache: dict[Any, Any] = field(default_factory=dict, repr=False)
    negotiated: dict[str, str] = field(default_factory=dict, repr=False)
    _ledger: Any = field(default=None, repr=False)

    @property
    def codec(self) -> CookieCodec:
        if self._codec is None:  # built on first use, so SECRET_KEY may be set after init_app
            self._codec = self._make_codec()
        return self._codec

    def _make_codec(self) -> CookieCodec:
        config = self.config
        app_config = current_app.config
        # Read when the first cookie is, so keys set on the app after init_app count too.
        key = (
            config["CONSENT_SECRET_KEY"]
            or app_config.get("CONSENT_SECRET_KEY")
            or app_config.get("SECRET_KEY")
        )
        if not key:
            raise RuntimeError("consent needs CONSENT_SECRET_KEY or SECRET_KEY to sign its cookie")
        fallbacks = config["CONSENT_SECRET_KEY_FALLBACKS"] or app_config.get("CONSENT_SECRET_KEY_FALLBACKS")
        if fallbacks is None:
            fallbacks = app_config.get("SECRET_KEY_FALLBACKS") or []
        return CookieCodec(
            self.registry,
            [*fallbacks, key],
            name=config["CONSENT_COOKIE_NAME"],
            secure=bool(config["CONSENT_COOKIE_SECURE"]),
            domain=config["CONSENT_COOKIE_DOMAIN"],
            lifetime=timedelta(days=int(config["CONSENT_LIFETIME"])),
            max_age=timedelta(days=int(config["CONSENT_COOKIE_MAX_AGE"])),
        )

    def read_cookie(self, value: str | None) -> ConsentState:
        """The state a consent cookie holds, verifying each distinct cookie once per process.

        A returning visitor sends the same cookie with every page: its signature was checked the first
        time, so later requests only re-check its expiry. Only authentic, decided cookies are kept.
        """
        if value:
            known = self.verified.get(value)
            if known is not None and known.expires_at is not None and datetime.now(UTC) < known.expires_at:
                return known
        state = self.codec.decode(value)
        if value and state.is_decided:
            if len(self.verified) >= 4096:
                self.verified.clear()
            self.verified[value] = state
        return state

    def defaults_for(self, region: RegionPolicy, gpc: bool) -> frozenset[str]:
        key = (region, gpc)
        found = self._defaults.get(key)
        if found is None:
            found = self._defaults[key] = default_vendors(self.registry, region, gpc)
        return found

    @cached_property
    def unknown_region(self) -> RegionPolicy:
        return self.registry.policy_for(None)

    def remember_script(self, key: tuple[Any, ...], markup: Markup) -> None:
        # Bounded: distinct sets of choices are few in practice, but visitors choose freely.
        if len(self.scripts_cache) >= 1024:
            self.scripts_cache.clear()
        self.scripts_cache[key] = markup

    @cached_property
    def consent_mode(self) -> bool:
        """Whether pages emit Google Consent Mode: as configured, else when the registry maps any type."""
        configured = self.config["CONSENT_CONSENT_MODE"]
        return bool(configured) if configured is not None else registry_uses_consent_mode(self.registry)

    @property
    def locales(self) -> tuple[str, ...]:
        return tuple(self.config["CONSENT_LOCALES"] or self.registry.all_locales)

    @property
    def ledger(self) -> Ledger | None:
        """The consent ledger when ``CONSENT_LEDGER_URL`` is set (built on first use, connects on a decision)."""
        if self._ledger is None and self.config["CONSENT_LEDGER_URL"]:
            with _ledger_lock:
                if self._ledger is None:
                    self._ledger = self._make_ledger()
        return cast("Ledger | None", self._ledger)

    def _make_ledger(self) -> Ledger:
        from .ledger import Ledger, derive_key

        config = self.config
        key = config["CONSENT_LEDGER_KEY"]
        if not key:
            secret = config["CONSENT_SECRET_KEY"] or current_app.config.get("SECRET_KEY")
            if not secret:
                raise RuntimeError("the consent ledger needs CONSENT_LEDGER_KEY or SECRET_KEY")
            key = derive_key(secret)
        spool = config["CONSENT_LEDGER_SPOOL"] or Path(current_app.instance_path) / "consent-ledger.spool"
        return Ledger(
            config["CONSENT_LEDGER_URL"],
            key,
            spool=spool,
            timeout=float(config["CONSENT_LEDGER_TIMEOUT"]),
            registry=self.registry,
        )


class Consent:
    """Cookie consent for a Flask app, driven by a vendor registry.

    ``Consent(app, registry="vendors.toml")`` or, with an app factory, ``consent = Consent()`` then
    ``consent.init_app(app)``. Keyword arguments override the matching ``CONSENT_*`` config keys.
    """

    def __init__(
        self, app: Flask | None = None, *, registry: Registry | str | Path | None = None, **options: Any
    ) -> None:
        unknown = [k for k in options if f"CONSENT_{k.upper()}" not in DEFAULTS]
        if unknown:
            raise TypeError(f"unknown Consent options: {', '.join(unknown)}")
        self.options = {f"CONSENT_{k.upper()}": v for k, v in options.items()}
        if registry is not None:
            self.options["CONSENT_REGISTRY"] = registry
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        for key, value in DEFAULTS.items():
            app.config.setdefault(key, value)
        config = {key: self.options.get(key, app.config[key]) for key in DEFAULTS}
        if config["CONSENT_MAX_FORM_BYTES"] <= 0:
            raise ValueError("CONSENT_MAX_FORM_BYTES must be positive")
        if not 0 < int(config["CONSENT_LIFETIME"]) <= MAX_LIFETIME.days:
            raise ValueError(f"CONSENT_LIFETIME must be 1 to {MAX_LIFETIME.days} days")
        if config["CONSENT_LEDGER_URL"]:
            _check_ledger(config)
        registry = _resolve_registry(config["CONSENT_REGISTRY"], app)
        settings = ConsentSettings(
            registry=registry,
            config=config,
            widget=Widget(app.jinja_env),
            asset_version=_asset_version(),
        )
        app.extensions[EXTENSION_KEY] = settings

        from .views import create_blueprint

        app.register_blueprint(create_blueprint(), url_prefix=config["CONSENT_URL_PREFIX"])
        app.jinja_env.globals.update(
            consent=_TemplateConsent(),
            consent_head=consent_head,
            consent_scripts=consent_scripts,
            consent_banner=consent_banner,
            consent_settings_link=consent_settings_link,
            consent_embed=consent_embed,
            consent_placeholder=consent_placeholder,
            consent_nonce=consent_nonce,
        )
        app.after_request(_after_request)
        if config["CONSENT_GPC_JSON"]:
            app.add_url_rule("/.well-known/gpc.json", "consent_gpc", _gpc_json)


def _check_ledger(config: Mapping[str, Any]) -> None:
    try:
        from .ledger import normalize_url
    except ImportError as exc:
        raise RuntimeError(
            "CONSENT_LEDGER_URL is set, but the consent ledger needs SQLAlchemy: "
            "pip install 'consent-gate[ledger]'"
        ) from exc
    normalize_url(config["CONSENT_LEDGER_URL"])  # no connection: just a usable URL
    if not float(config["CONSENT_LEDGER_TIMEOUT"]) > 0:
        raise ValueError("CONSENT_LEDGER_TIMEOUT must be a positive number of seconds")


def _resolve_registry(value: Registry | str | Path | None, app: Flask) -> Registry:
    if isinstance(value, Registry):
        return value
    if value is None:
        raise RuntimeError("consent needs a vendor registry: pass registry=... or set CONSENT_REGISTRY")
    path = Path(value)
    if not path.is_absolute():
        path = Path(app.root_path) / path
    return load_registry(path)


# -- per request ------------------------------------------------------------------------------------


def get_settings() -> ConsentSettings:
    """This app's consent settings (looked up once per request or app context)."""
    return _per_request().settings


def _app_settings() -> ConsentSettings:
    try:
        return cast(ConsentSettings, current_app.extensions[EXTENSION_KEY])
    except KeyError:
        raise RuntimeError("Consent is not initialised on this app: call Consent(app) or init_app") from None


class _PerRequest:
    """What one request has worked out about consent, kept on ``g`` so that it is worked out once."""

    __slots__ = (
        "context",
        "gate",
        "gpc",
        "locale",
        "nonce",
        "path",
        "region",
        "settings",
        "state",
        "varies",
        "varies_language",
    )

    def __init__(self, settings: ConsentSettings) -> None:
        self.settings = settings
        self.state: ConsentState | None = None
        self.gate: Gate | None = None
        self.context: WidgetContext | None = None
        self.locale: str | None = None
        self.nonce: str | None = None
        self.varies = False  # the response depends on the consent cookie (and Sec-GPC, the region)
        self.gpc = False
        self.path: str | None = None
        self.region: RegionPolicy | None = None
        self.varies_language = False  # ... and on Accept-Language


def _per_request() -> _PerRequest:
    # One LocalProxy resolution, then plain attribute reads: helpers run many times on every page.
    store = g._get_current_object().__dict__
    data: _PerRequest | None = store.get("_consent")
    if data is None:
        data = store["_consent"] = _PerRequest(_app_settings())
    return data


def get_consent() -> ConsentState:
    """This request's consent, read from the cookie once and cached on ``g``."""
    return _state(_per_request())


# The helpers below take the request's _PerRequest: every page calls them dozens of times, and each
# lookup of it through ``g`` costs more than the rest of a cached answer.


def _state(data: _PerRequest) -> ConsentState:
    state = data.state
    if state is None:
        settings = data.settings
        stored = settings.read_cookie(request.cookies.get(settings.codec.name))
        state = data.state = _in_region(data, stored)
        data.varies = True
    return state


def read_in_region(stored: ConsentState) -> ConsentState:
    """A stored state read where this request comes from: its region's policy, defaults and signals."""
    return _in_region(_per_request(), stored)


def _in_region(data: _PerRequest, stored: ConsentState) -> ConsentState:
    settings = data.settings
    region = _region(data)
    return stored.in_region(
        policy_of(region),
        settings.defaults_for(region, data.gpc),
        suppressed_vendors(settings.registry, region, data.gpc, stored.signals),
    )


def current_region() -> RegionPolicy:
    """The policy for this visitor's region, and whether their browser sent Global Privacy Control."""
    return _region(_per_request())


def _region(data: _PerRequest) -> RegionPolicy:
    if data.region is None:
        settings = data.settings
        config = settings.config
        data.gpc = (
            request.headers.get("Sec-GPC", "").strip() == "1"
        )  # exactly "1"; anything else is no signal
        code: str | None = None
        resolver = config["CONSENT_REGION_RESOLVER"]
        if resolver is None and not config["CONSENT_REGION_HEADER"]:
            data.region = settings.unknown_region  # no trusted source: every visitor is "unknown"
            return data.region
        if resolver is not None:
            try:
                code = resolver(request)
            except Exception:  # a failing lookup must not fail the page: the region is then unknown
                log.warning(
                    "the consent region resolver failed; treating the region as unknown", exc_info=True
                )
                code = None
        elif config["CONSENT_REGION_HEADER"]:  # visitors can send any header: trusted only when configured
            code = request.headers.get(config["CONSENT_REGION_HEADER"]) or None
            subdivision = config["CONSENT_SUBDIVISION_HEADER"]
            if code and subdivision and request.headers.get(subdivision):
                code = f"{code}-{request.headers[subdivision]}"
        data.region = settings.registry.policy_for(code)
    return data.region


def request_signals() -> frozenset[Signal]:
    """The privacy signals this request carries."""
    data = _per_request()
    _region(data)
    return frozenset({Signal.GPC}) if data.gpc else frozenset()


def set_request_consent(state: ConsentState) -> None:
    """Make ``state`` this request's consent (after a decision, so the response reflects it)."""
    data = _per_request()
    data.state = state
    data.varies = True
    data.gate = None
    data.context = None


def record_decision(state: ConsentState, *, control: str, layer: str, next_url: str | None = None) -> None:
    """Write this request's decision to the consent ledger, when one is configured.

    Never raises, and waits for the database at most ``CONSENT_LEDGER_TIMEOUT``: the visitor's choice
    stands (its cookie is set) whatever the database does, and a record it cannot take is spooled.
    Stores the page path without its query string, the locale, the GPC signal and, through
    ``CONSENT_LEDGER_SUBJECT``, the site's own subject id; never an IP address or a user agent.
    """
    settings = get_settings()
    if not settings.config["CONSENT_LEDGER_URL"]:
        return
    try:
        ledger = settings.ledger
        assert ledger is not None
        subject = None
        hook = settings.config["CONSENT_LEDGER_SUBJECT"]
        if hook is not None:
            try:
                value = hook(request)
                subject = None if value is None else str(value)
            except Exception:
                ledger_log.exception(
                    "CONSENT_LEDGER_SUBJECT failed: the decision is recorded without a subject id"
                )
        gpc = Signal.GPC in request_signals()
        ledger.record_decision(
            state,
            control=control,
            layer=layer,
            locale=current_locale(),
            path=urlsplit(next_url or request.path).path or "/",
            signals=("gpc",) if gpc else (),
            subject=subject,
            policy_url=settings.config["CONSENT_POLICY_URL"],
        )
    except Exception:
        ledger_log.exception("consent ledger: the decision of %s was NOT recorded", state.consent_id)


#: The current visitor's :class:`~consent.state.ConsentState`, e.g. ``current_consent.allows("vimeo")``.
current_consent: ConsentState = cast(ConsentState, LocalProxy(get_consent))


class _TemplateConsent:
    """``consent`` in templates: the current visitor's state, with a fast path for ``allows``."""

    __slots__ = ()

    def allows(self, vendor_id: str) -> bool:
        return vendor_id in _gate(_per_request()).allowed_ids  # the same answer, once per set of choices

    def allows_category(self, category_id: str) -> bool:
        return get_consent().allows_category(category_id)

    def __getattr__(self, name: str) -> Any:
        return getattr(get_consent(), name)


def get_gate() -> Gate:
    """What may load for this request's visitor."""
    return _gate(_per_request())


def _gate(data: _PerRequest) -> Gate:
    if data.gate is None:
        settings = data.settings
        data.gate = decide(
            settings.registry, _state(data), settings.gate_cache, consent_mode=settings.consent_mode
        )
    return data.gate


def consent_nonce() -> str:
    """This response's CSP nonce (use it on the site's own inline scripts when ``CONSENT_CSP`` is on)."""
    return _nonce(_per_request())


def _nonce(data: _PerRequest) -> str:
    if data.nonce is None:
        data.nonce = new_nonce()
    return data.nonce


def _nonce_if_csp(data: _PerRequest) -> str | None:
    return _nonce(data) if data.settings.config["CONSENT_CSP"] else None


def current_locale() -> str:
    """The visitor's locale, negotiated once per request."""
    return _locale(_per_request())


def _locale(data: _PerRequest) -> str:
    if data.locale is not None:
        return data.locale
    settings = data.settings
    chosen = settings.config["CONSENT_LOCALE"]
    if callable(chosen) or chosen:
        # The site's choice, if it names a locale this site offers: it becomes a lang attribute, a
        # catalog lookup and a cache key, so nothing else gets through.
        wanted = str(chosen(request) if callable(chosen) else chosen)
        locale = negotiate([wanted], settings.locales, settings.registry.default_locale)
    else:
        data.varies_language = True
        header = request.headers.get("Accept-Language", "")
        known = settings.negotiated.get(header)
        if known is None:
            preferred = [lang for lang, _ in request.accept_languages]
            known = negotiate(preferred, settings.locales, settings.registry.default_locale)
            if len(settings.negotiated) >= 1024:
                settings.negotiated.clear()
            settings.negotiated[header] = known
        locale = known
    data.locale = locale
    return locale


def safe_next(value: str | None) -> str:
    """A same-site path to return to; anything that could leave the site becomes ``/``."""
    if not value or len(value) > 2048 or not value.startswith("/"):
        return "/"
    if value.startswith(("//", "/\\")) or any(c in value for c in "\\\r\n\t\0") or not value.isprintable():
        return "/"
    return value


def current_path() -> str:
    """This page's path (under the app's script root), to come back to after a choice."""
    return _path(_per_request())


def _path(data: _PerRequest) -> str:
    if data.path is None:
        path = request.full_path.rstrip("?") if request.query_string else request.path
        data.path = safe_next(request.script_root + path)
    return data.path


_QUERY_SAFE = "!$'()*,/:;?@"  # what url_for leaves unquoted in a query value


@dataclass
class _Urls:
    """The blueprint's URLs for one script root, built once (``url_for`` is slow on every page)."""

    action: str
    preferences: str
    stylesheet: str
    script: str

    @cached_property
    def head(self) -> Markup:
        return Markup('<link rel="stylesheet" href="{}">').format(self.stylesheet)

    @cached_property
    def script_tag(self) -> Markup:
        return Markup('<script type="module" src="{}" data-consent-script></script>').format(self.script)


def _urls(data: _PerRequest | None = None) -> _Urls:
    settings = (data or _per_request()).settings
    root = request.script_root
    urls = settings.urls.get(root)
    if urls is None:
        version = settings.asset_version
        urls = _Urls(
            action=url_for("consent.decide"),
            preferences=url_for("consent.preferences"),
            stylesheet=url_for("consent.static", filename="consent.css", v=version),
            script=url_for("consent.static", filename="consent.js", v=version),
        )
        settings.urls[root] = urls
    return urls


def widget_context(state: ConsentState | None = None, next_url: str | None = None) -> WidgetContext:
    """What the widget templates need for this request (built once per request for the current page)."""
    data = _per_request()
    if state is None and next_url is None and data.context is not None:
        return data.context
    settings = data.settings
    config = settings.config
    urls = _urls(data)
    target = safe_next(next_url) if next_url is not None else _path(data)
    ctx = WidgetContext(
        registry=settings.registry,
        state=state or _state(data),
        locale=_locale(data),
        action_url=urls.action,
        preferences_url=f"{urls.preferences}?next={quote(target, safe=_QUERY_SAFE)}",
        stylesheet_url=urls.stylesheet,
        policy_url=config["CONSENT_POLICY_URL"],
        next=target,
        csrf_field=_csrf_field(),
        position=config["CONSENT_POSITION"],
        floating=bool(config["CONSENT_FLOATING_BUTTON"]),
        gpc=Signal.GPC in request_signals(),
    )
    if state is None and next_url is None:
        data.context = ctx
    return ctx


def _csrf_field() -> Markup:
    # With flask-wtf's CSRFProtect on the app, its token rides along; the view also checks Origin.
    if "csrf" not in current_app.extensions:
        return Markup("")
    from flask_wtf.csrf import generate_csrf  # type: ignore[import-untyped, import-not-found, unused-ignore]

    return Markup('<input type="hidden" name="csrf_token" value="{}">').format(generate_csrf())


# -- Jinja helpers ----------------------------------------------------------------------------------


def consent_head() -> Markup:
    """For ``<head>``: the widget's stylesheet and, when configured, the Consent Mode default.

    The default comes from the visitor's stored choices, so a returning visitor never starts as denied;
    put this before any Google tag.
    """
    data = _per_request()
    settings = data.settings
    if not settings.consent_mode:
        return _urls(data).head
    nonce = _nonce_if_csp(data)
    # The same choices give the same default: render it once per set of choices, nonce added after.
    key = ("head", request.script_root, _state(data).choice_key, nonce is None)
    markup = settings.scripts_cache.get(key)
    if markup is None:
        values = current_consent_mode()
        wait = settings.config["CONSENT_CONSENT_MODE_WAIT"]
        default = render_consent_mode_default(values, None if nonce is None else NONCE_SLOT, wait)
        markup = _urls(data).head + default
        settings.remember_script(key, markup)
    return _with_nonce(markup, nonce)


def current_consent_mode() -> dict[str, str]:
    """This visitor's Google Consent Mode values (cached per set of choices)."""
    settings = get_settings()
    state = get_consent()
    key = state.choice_key
    values: dict[str, str] | None = settings.consent_mode_cache.get(key)
    if values is None:
        values = consent_mode_values(settings.registry, state)
        if len(settings.consent_mode_cache) >= 1024:
            settings.consent_mode_cache.clear()
        settings.consent_mode_cache[key] = values
    return dict(values)


def _gpc_json() -> Response:
    """``/.well-known/gpc.json``: this site honours Global Privacy Control."""
    body: dict[str, Any] = {"gpc": True}
    updated = get_settings().config["CONSENT_GPC_UPDATED"]
    if updated:
        body["lastUpdate"] = str(updated)
    response = jsonify(body)
    response.cache_control.public = True
    response.cache_control.max_age = 86400
    return response


def consent_scripts(placement: str = "body") -> Markup:
    """The scripts and pixels of approved vendors only, each with the CSP nonce."""
    if placement not in ("head", "body"):
        raise ValueError("placement is 'head' or 'body'")
    data = _per_request()
    settings = data.settings
    gate = _gate(data)
    # Many visitors share the same choices: render each set of allowed vendors once, nonce added after.
    nonce = _nonce_if_csp(data)
    key = (placement, gate.allowed_ids, nonce is None)  # with the app's Consent Mode setting, fixes `loaded`
    markup = settings.scripts_cache.get(key)
    if markup is None:
        markup = render_scripts(gate, placement, None if nonce is None else NONCE_SLOT)  # type: ignore[arg-type]
        settings.remember_script(key, markup)
    return _with_nonce(markup, nonce)


def _with_nonce(markup: Markup, nonce: str | None) -> Markup:
    if nonce is None:
        return markup
    # str() first: Markup.replace would escape the replacement's quotes.
    return Markup(str(markup).replace(f' nonce="{NONCE_SLOT}"', f' nonce="{nonce}"'))


def consent_banner() -> Markup:
    """The first layer when the visitor must be asked, the preferences dialog, and the widget script."""
    data = _per_request()
    settings = data.settings
    if settings.config["CONSENT_CSP"]:
        script = Markup(
            '<script type="module" src="{}" nonce="{}" data-consent-script data-consent-reload></script>'
        ).format(_urls(data).script, _nonce(data))
    else:
        script = _urls(data).script_tag
    if not _state(data).needs_prompt(settings.registry):  # the common case: no context needed, all cached
        return settings.widget.dialog(settings.registry, _locale(data), widget_context) + script
    return settings.widget.banner(widget_context()) + script


def consent_settings_link(floating: bool | None = None) -> Markup:
    """The persistent "Cookie settings" link that reopens the preferences."""
    data = _per_request()
    settings = data.settings
    show_floating = bool(settings.config["CONSENT_FLOATING_BUTTON"]) if floating is None else floating
    # The same for everyone on this page in this language: look it up before building a context.
    state = _state(data)
    urls = _urls(data)
    key = (
        "settings",
        _locale(data),
        show_floating,
        state.current_policy or state.policy,
        request.script_root,
    )
    path = _path(data)
    link = settings.links.get((key, path))
    if link is None:
        # Rendered once per language with a stand-in for the page to return to, filled in per page.
        markup = settings.widget.cached(
            key,
            lambda: settings.widget.settings_link(
                replace(
                    widget_context(),
                    floating=show_floating,
                    preferences_url=f"{urls.preferences}?next={NEXT_SLOT}",
                )
            ),
        )
        link = Markup(str(markup).replace(NEXT_SLOT, quote(path, safe=_QUERY_SAFE)))
        if len(settings.links) >= 2048:  # many pages, many query strings: bounded
            settings.links.clear()
        settings.links[(key, path)] = link
    return link


def consent_embed(
    vendor_id: str, name: str | None = None, title: str | None = None, **params: object
) -> Markup:
    """The vendor's iframe when approved, else a click-to-load placeholder that grants just it."""
    data = _per_request()
    settings = data.settings
    if vendor_id in _gate(data).allowed_ids:
        return settings.widget.iframe(settings.registry, vendor_id, name, title, **params)
    return settings.widget.embed(widget_context(), vendor_id, name, title, **params)


def consent_placeholder(vendor_id: str) -> Markup:
    """A click-to-load placeholder for a script-based vendor (login button, captcha...), until allowed."""
    data = _per_request()
    if vendor_id in _gate(data).allowed_ids:
        return Markup("")
    return data.settings.widget.placeholder(widget_context(), vendor_id)


# -- decorators -------------------------------------------------------------------------------------

P = ParamSpec("P")
R = TypeVar("R")


def consent_required(vendor_or_category: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Refuse a view (403) unless the visitor allowed this vendor or category."""

    def decorator(view: Callable[P, R]) -> Callable[P, R]:
        @wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            settings = get_settings()
            state = get_consent()
            if settings.registry.get_vendor(vendor_or_category) is not None:
                allowed = state.allows(vendor_or_category)
            elif settings.registry.get_category(vendor_or_category) is not None:
                allowed = state.allows_category(vendor_or_category)
            else:
                raise LookupError(
                    f"{vendor_or_category!r} is neither a vendor nor a category of the registry"
                )
            if not allowed:
                abort(403, description=f"This page needs your consent to {vendor_or_category!r}.")
            return view(*args, **kwargs)

        return wrapper

    return decorator


# -- responses --------------------------------------------------------------------------------------


def _after_request(response: Response) -> Response:
    data: _PerRequest | None = g._get_current_object().__dict__.get("_consent")
    settings = data.settings if data is not None else current_app.extensions.get(EXTENSION_KEY)
    if settings is None:
        return response
    mode = settings.config["CONSENT_CSP"]
    if mode and response.mimetype == "text/html":
        # Every HTML page gets the policy, whether or not its template asked about consent, so even a
        # hard-coded tag of an unapproved vendor cannot load. (Reading the gate marks the page private.)
        header = "Content-Security-Policy-Report-Only" if mode == "report-only" else "Content-Security-Policy"
        response.headers[header] = build_policy(
            get_gate(),
            consent_nonce(),
            settings.config["CONSENT_CSP_EXTRA"],
            settings.config["CONSENT_CSP_REPORT_URI"],
        )
        data = _per_request()
    if data is None or not data.varies:
        return response
    headers = response.headers
    # Output that depends on consent must never be served to someone else from a shared cache.
    varies = ["Cookie", "Sec-GPC"]
    if data.varies_language:
        varies.append("Accept-Language")
    region_header = settings.config["CONSENT_REGION_HEADER"]
    if region_header and settings.config["CONSENT_REGION_RESOLVER"] is None:
        varies.append(region_header)
        if settings.config["CONSENT_SUBDIVISION_HEADER"]:
            varies.append(settings.config["CONSENT_SUBDIVISION_HEADER"])
    if "Vary" in headers:
        response.vary.update(varies)
    else:
        headers["Vary"] = ", ".join(varies)
    if "Cache-Control" not in headers:
        headers["Cache-Control"] = "private"
    elif not response.cache_control.no_store:
        response.cache_control.public = False
        response.cache_control.private = True
    return response
