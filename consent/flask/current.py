"""What one request has worked out about consent, kept on ``g`` so that it is worked out once.

The region, the stored and effective state, the gate, the locale and the nonce are computed on first
use and then read by every helper of the page; ``current_consent`` is this request's state.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import cast

from flask import Request, current_app, g, request
from werkzeug.local import LocalProxy

from ..consent_mode import ConsentModeTable, granted_types
from ..errors import ConfigurationError
from ..gate import Gate, decide
from ..i18n import negotiate, preferred_languages
from ..regions import Region, resolve_region
from ..state import ConsentState
from .settings import EXTENSION_KEY, ConsentSettings, Urls

log = logging.getLogger("consent")
_KEY = "_consent"


class RequestConsent:
    """Consent as this request sees it (one per request, on ``g``)."""

    __slots__ = (
        "adtech",
        "consent_mode",
        "gate",
        "locale",
        "nonce",
        "region",
        "region_code",
        "request",
        "settings",
        "shows_controls",
        "state",
        "urls",
        "varies",
        "varies_language",
    )

    def __init__(self, settings: ConsentSettings, request: Request) -> None:
        self.settings = settings
        #: The request itself (each read through Flask's ``request`` proxy costs a context look-up).
        self.request = request
        self.state: ConsentState | None = None
        self.region: Region | None = None
        self.region_code: str | None = None
        self.adtech: object | None = None  # consent.flask.adtech.AdSignals, when TCF or GPP is on
        self.gate: Gate | None = None
        self.locale: str | None = None
        self.nonce: str | None = None
        self.urls: Urls | None = None
        self.consent_mode: int | None = None
        self.varies = False  # the response depends on the consent cookie (and Sec-GPC, the region)
        self.varies_language = False  # ... and on Accept-Language
        self.shows_controls = False  # the page has consent buttons (the banner): no foreign frame may draw it

    def get_region(self) -> Region:
        region = self.region
        if region is None:
            self.region_code = region_code(self.settings, self.request)
            region = self.region = resolve_region(
                self.settings.registry,
                self.region_code,
                self.request.environ.get("HTTP_SEC_GPC", "").strip() == "1",
            )
        return region

    def get_region_code(self) -> str | None:
        """The visitor's region code as the configured source gave it (``None``: unknown)."""
        self.get_region()
        return self.region_code

    def get_state(self) -> ConsentState:
        state = self.state
        if state is None:
            codec = self.settings.codec
            # Only the consent cookie is looked for: parsing every cookie the visitor has costs more
            # than verifying ours.
            stored = codec.decode(codec.value_in(self.request.environ.get("HTTP_COOKIE")))
            state = self.state = self.get_region().read(stored)
            self.varies = True
        return state

    def set_state(self, state: ConsentState) -> None:
        """Make ``state`` this request's consent (after a decision, so the response reflects it)."""
        self.state = state
        self.varies = True
        self.gate = None
        self.consent_mode = None
        self.adtech = None

    def get_gate(self) -> Gate:
        gate = self.gate
        if gate is None:
            settings = self.settings
            gate = self.gate = decide(settings.registry, self.get_state(), consent_mode=settings.consent_mode)
        return gate

    def get_urls(self) -> Urls:
        urls = self.urls
        if urls is None:
            urls = self.urls = self.settings.urls_for(self.request.script_root)
        return urls

    def get_consent_mode(self) -> int:
        """The Google Consent Mode types this visitor grants, as bits (``consent_mode.granted_types``)."""
        granted = self.consent_mode
        if granted is None:
            granted = self.consent_mode = granted_types(self.settings.registry, self.get_state())
        return granted

    def get_consent_mode_values(self) -> Mapping[str, str]:
        """This visitor's Google Consent Mode values (what the Microsoft signals derive from too)."""
        return self.settings.registry.derived(ConsentModeTable).values(self.get_consent_mode())

    def get_locale(self) -> str:
        locale = self.locale
        if locale is None:
            locale = self.locale = _negotiate_locale(self)
        return locale


def per_request() -> RequestConsent:
    """This request's :class:`RequestConsent` (created on first use)."""
    store = g._get_current_object().__dict__  # one proxy resolution: helpers run many times per page
    data: RequestConsent | None = store.get(_KEY)
    if data is None:
        data = store[_KEY] = RequestConsent(app_settings(), request._get_current_object())  # type: ignore[attr-defined]
    return data


def forget_request(exc: BaseException | None = None) -> None:
    """Drop this request's consent when the request ends (``teardown_request``): ``g`` belongs to the
    app context, which may serve several requests (a test client inside ``app.app_context()``)."""
    g._get_current_object().__dict__.pop(_KEY, None)


def request_consent_if_any() -> RequestConsent | None:
    return g._get_current_object().__dict__.get(_KEY)  # type: ignore[no-any-return]


def app_settings() -> ConsentSettings:
    try:
        return cast(ConsentSettings, current_app.extensions[EXTENSION_KEY])
    except KeyError:
        raise ConfigurationError(
            "Consent is not initialised on this app: call Consent(app) or init_app"
        ) from None


def region_code(settings: ConsentSettings, request: Request) -> str | None:
    """The visitor's region code from the configured source; ``None`` when there is none or it fails."""
    config = settings.config
    resolver = config["CONSENT_REGION_RESOLVER"]
    if resolver is not None:
        try:
            return cast("str | None", resolver(request))
        except Exception:  # a failing lookup must not fail the page: the region is then unknown
            log.warning("the consent region resolver failed; treating the region as unknown", exc_info=True)
            return None
    header = config["CONSENT_REGION_HEADER"]
    if not header:  # visitors can send any header: none is trusted unless configured
        return None
    code = request.headers.get(header)
    subdivision = config["CONSENT_SUBDIVISION_HEADER"]
    if code and subdivision and request.headers.get(subdivision):
        code = f"{code}-{request.headers[subdivision]}"
    return code or None


def _negotiate_locale(data: RequestConsent) -> str:
    settings = data.settings
    chosen = settings.config["CONSENT_LOCALE"]
    if callable(chosen) or chosen:
        # The site's choice, if it names a locale this site offers: it becomes a lang attribute and a
        # catalog lookup, so nothing else gets through.
        wanted = str(chosen(data.request) if callable(chosen) else chosen)
        return negotiate([wanted], settings.locales, settings.registry.default_locale)
    data.varies_language = True
    header = data.request.environ.get("HTTP_ACCEPT_LANGUAGE", "")
    return negotiate(preferred_languages(header), settings.locales, settings.registry.default_locale)


def get_settings() -> ConsentSettings:
    """This app's consent settings."""
    return per_request().settings


def get_consent() -> ConsentState:
    """This request's consent, read from the cookie once and kept on ``g``."""
    return per_request().get_state()


def get_gate() -> Gate:
    """What may load for this request's visitor."""
    return per_request().get_gate()


#: The current visitor's :class:`~consent.state.ConsentState`, e.g. ``current_consent.allows("vimeo")``.
current_consent: ConsentState = cast(ConsentState, LocalProxy(get_consent))
