"""What the extension keeps per app: settings, the registry and what is compiled from it, the codec,
the ledger."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property, lru_cache, partial
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app
from markupsafe import escape

from ..banner import Widget
from ..codec import CookieCodec
from ..consent_mode import registry_uses_consent_mode
from ..errors import ConfigurationError
from ..gate import GateTable
from ..loader import load_registry
from ..microsoft_consent import uses_clarity, uses_uet
from ..own_cookie import consent_cookie
from ..registry import Cookie, Registry

if TYPE_CHECKING:
    from ..insights.counters import ImpressionCounter
    from ..insights.variants import Experiment
    from ..ledger import Ledger
    from .adtech_settings import AdTechSettings

EXTENSION_KEY = "consent"
_WIDGET = files("consent.widget")


def asset_version() -> str:
    digest = hashlib.sha256()
    for name in ("consent.css", "consent.js"):
        digest.update((_WIDGET / "static" / name).read_bytes())
    return digest.hexdigest()[:10]


@dataclass
class ConsentSettings:
    """Per-app state, kept in ``app.extensions["consent"]``: settings, the registry and what is compiled
    from it once (the gate's table, the widget), the cookie codec for the current keys, the ledger."""

    registry: Registry
    config: Mapping[str, Any]
    widget: Widget
    asset_version: str
    gate_table: GateTable
    #: The app's own config, read for the signing keys on every request (as Flask reads its key).
    app_config: Mapping[str, Any] = field(default_factory=dict, repr=False)
    #: What was passed to ``Consent(...)`` itself (it outranks the app's config, and never changes).
    arguments: Mapping[str, Any] = field(default_factory=dict, repr=False)
    #: IAB TCF and GPP (``consent.flask.adtech``); ``None`` when neither is configured.
    adtech: AdTechSettings | None = None
    #: The app's extensions (the same dict: flask-wtf's CSRFProtect may register after this one).
    app_extensions: Mapping[str, Any] = field(default_factory=dict, repr=False)
    _codec: CookieCodec | None = field(default=None, repr=False)
    _ledger: Any = field(default=None, repr=False)
    _impressions: Any = field(default=None, repr=False)
    #: The wording test (``CONSENT_VARIANTS``), loaded and checked at start-up; ``None`` without one.
    experiment: Experiment | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        #: The blueprint's URLs and tags under a script root (a site has one or two: bounded anyway).
        self.urls_for: Callable[[str], Urls] = lru_cache(maxsize=8)(partial(Urls, self))

    def keys(self) -> tuple[str | bytes, ...]:
        """The signing keys now, oldest first: read from the app's config as Flask reads its own."""
        key = self._live("CONSENT_SECRET_KEY") or self.app_config.get("SECRET_KEY")
        if not key:
            raise ConfigurationError(
                "consent needs CONSENT_SECRET_KEY or SECRET_KEY to sign its cookie", "SECRET_KEY"
            )
        fallbacks: Sequence[str | bytes] | None = self._live("CONSENT_SECRET_KEY_FALLBACKS")
        if fallbacks is None:
            fallbacks = self.app_config.get("SECRET_KEY_FALLBACKS") or ()
        return (*fallbacks, key)

    def _live(self, name: str) -> Any:
        # An argument to Consent(...) is fixed; a config key is read now, so a change counts at once.
        if name in self.arguments:
            return self.arguments[name]
        return self.app_config.get(name, self.config[name])

    @property
    def codec(self) -> CookieCodec:
        """The codec for the keys configured now: a changed or dropped key counts from the next request
        on, as with Flask's own session (the codec is rebuilt only when the keys change)."""
        keys = self.keys()
        codec = self._codec
        if codec is None or codec.keys != keys:
            codec = self._codec = self._make_codec(keys)
        return codec

    def _make_codec(self, keys: tuple[str | bytes, ...]) -> CookieCodec:
        config = self.config
        return CookieCodec(
            self.registry,
            keys,
            name=config["CONSENT_COOKIE_NAME"],
            secure=bool(config["CONSENT_COOKIE_SECURE"]),
            domain=config["CONSENT_COOKIE_DOMAIN"],
            lifetime=timedelta(days=int(config["CONSENT_LIFETIME"])),
            max_age=timedelta(days=int(config["CONSENT_COOKIE_MAX_AGE"])),
        )

    @cached_property
    def consent_cookie(self) -> Cookie:
        """The consent cookie's own declaration, for the panel's strictly necessary cookies."""
        config = self.config
        return consent_cookie(
            config["CONSENT_COOKIE_NAME"],
            secure=bool(config["CONSENT_COOKIE_SECURE"]),
            domain=config["CONSENT_COOKIE_DOMAIN"],
            max_age_days=int(config["CONSENT_COOKIE_MAX_AGE"]),
        )

    @cached_property
    def consent_mode(self) -> bool:
        """Whether pages emit Google Consent Mode: as configured, else when the registry maps any type."""
        configured = self.config["CONSENT_CONSENT_MODE"]
        return bool(configured) if configured is not None else registry_uses_consent_mode(self.registry)

    @cached_property
    def microsoft_consent(self) -> bool:
        """Whether pages emit Microsoft UET and Clarity consent: when the registry has either vendor."""
        return uses_uet(self.registry) or uses_clarity(self.registry)

    @cached_property
    def framing_headers(self) -> tuple[tuple[str, str], ...]:
        """The headers that keep a page with consent controls out of foreign frames (from
        ``CONSENT_FRAME_ANCESTORS``; empty when it is ``None``)."""
        ancestors = self.config["CONSENT_FRAME_ANCESTORS"]
        if ancestors is None:
            return ()
        sources = " ".join(ancestors) or "'none'"
        headers = [("Content-Security-Policy", f"frame-ancestors {sources}")]
        if list(ancestors) in (["'self'"], []):
            headers.append(("X-Frame-Options", "SAMEORIGIN" if ancestors else "DENY"))
        return tuple(headers)

    @cached_property
    def vary(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The request headers a consent-dependent response varies on: without and with
        ``Accept-Language`` (when the language was negotiated from it)."""
        config = self.config
        varies = ["Cookie", "Sec-GPC"]
        region_header = config["CONSENT_REGION_HEADER"]
        if region_header and config["CONSENT_REGION_RESOLVER"] is None:
            varies.append(region_header)
            if config["CONSENT_SUBDIVISION_HEADER"]:
                varies.append(config["CONSENT_SUBDIVISION_HEADER"])
        with_language = [*varies[:2], "Accept-Language", *varies[2:]]
        return tuple(varies), tuple(with_language)

    @cached_property
    def locales(self) -> tuple[str, ...]:
        return tuple(self.config["CONSENT_LOCALES"] or self.registry.all_locales)

    @property
    def ledger(self) -> Ledger | None:
        """The consent ledger when ``CONSENT_LEDGER_URL`` is set (built on first use, connects on a decision)."""
        if self._ledger is None and self.config["CONSENT_LEDGER_URL"]:
            with self._lock:
                if self._ledger is None:
                    self._ledger = self._make_ledger()
        return self._ledger  # type: ignore[no-any-return]

    @property
    def impressions(self) -> ImpressionCounter | None:
        """The first layer's impression counters, in the ledger's database (built on first use)."""
        config = self.config
        if self._impressions is None and config["CONSENT_LEDGER_URL"] and config["CONSENT_INSIGHTS"]:
            with self._lock:
                if self._impressions is None:
                    from ..insights.counters import ImpressionCounter
                    from ..insights.schema import open_engine

                    engine = open_engine(
                        config["CONSENT_LEDGER_URL"], timeout=float(config["CONSENT_LEDGER_TIMEOUT"])
                    )
                    self._impressions = ImpressionCounter(
                        engine, interval=float(config["CONSENT_INSIGHTS_INTERVAL"])
                    )
        return self._impressions  # type: ignore[no-any-return]

    def close(self) -> None:
        """Flush and release what the app holds open: the impression counters and the ledger (for an app
        factory's teardown and for tests; both also flush at interpreter exit)."""
        impressions, self._impressions = self._impressions, None
        if impressions is not None:
            impressions.close()
            impressions.engine.dispose()
        ledger, self._ledger = self._ledger, None
        if ledger is not None:
            ledger.close()

    def _make_ledger(self) -> Ledger:
        from ..ledger import Ledger, derive_key

        config = self.config
        key = config["CONSENT_LEDGER_KEY"]
        if not key:
            secret = config["CONSENT_SECRET_KEY"] or current_app.config.get("SECRET_KEY")
            if not secret:
                raise ConfigurationError(
                    "the consent ledger needs CONSENT_LEDGER_KEY or SECRET_KEY", "CONSENT_LEDGER_KEY"
                )
            key = derive_key(secret)
        spool = config["CONSENT_LEDGER_SPOOL"] or Path(current_app.instance_path) / "consent-ledger.spool"
        return Ledger(
            config["CONSENT_LEDGER_URL"],
            key,
            spool=spool,
            timeout=float(config["CONSENT_LEDGER_TIMEOUT"]),
            registry=self.registry,
        )


class Urls:
    """The blueprint's URLs under one script root (plain joins: the rules are fixed), and the widget's
    tags that carry them, escaped once."""

    __slots__ = ("action", "preferences", "script", "script_tag", "stylesheet", "stylesheet_link")

    def __init__(self, settings: ConsentSettings, script_root: str) -> None:
        base = script_root + settings.config["CONSENT_URL_PREFIX"]
        version = settings.asset_version
        self.action = base + "/"
        self.preferences = base + "/preferences"
        self.stylesheet = f"{base}/static/consent.css?v={version}"
        self.script = f"{base}/static/consent.js?v={version}"
        theme = settings.config["CONSENT_THEME"]
        # CONSENT_THEME reaches the stylesheet through its own link: consent.css reads data-consent-theme.
        forced = f' data-consent-theme="{escape(theme)}"' if theme != "auto" else ""
        self.stylesheet_link = f'<link rel="stylesheet" href="{escape(self.stylesheet)}"{forced}>'
        #: The widget's script tag: without a nonce, and split where a CSP nonce goes.
        self.script_tag = (
            f'<script type="module" src="{escape(self.script)}" data-consent-script></script>',
            f'<script type="module" src="{escape(self.script)}" nonce="',
            '" data-consent-script data-consent-reload></script>',
        )


def resolve_registry(value: Registry | str | Path, app: Flask) -> Registry:
    if isinstance(value, Registry):
        return value
    path = Path(value)
    if not path.is_absolute():
        path = Path(app.root_path) / path
    return load_registry(path)
