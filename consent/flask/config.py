"""The extension's settings: one table of defaults, checked once when the app starts.

Precedence: an argument to ``Consent(...)`` > ``app.config["CONSENT_*"]`` > :data:`DEFAULTS`. Every
mistake that can be seen at start-up fails :meth:`Consent.init_app` with a
:class:`~consent.errors.ConfigurationError` naming the key, never a visitor's request.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..banner import POSITIONS, THEMES
from ..codec import MAX_COOKIE_AGE
from ..errors import CmpSettingsError, ConfigurationError
from ..state import DEFAULT_LIFETIME, MAX_LIFETIME

#: Every setting with its default and its one-line meaning (the README's table is tested against it).
SETTINGS: dict[str, tuple[Any, str]] = {
    "CONSENT_REGISTRY": (None, "path of the registry file (relative to the app's root path) or a `Registry`"),
    "CONSENT_SECRET_KEY": (None, "signs the cookie; default `SECRET_KEY`"),
    "CONSENT_SECRET_KEY_FALLBACKS": (None, "older keys still accepted; default `SECRET_KEY_FALLBACKS`"),
    "CONSENT_COOKIE_NAME": ("consent", "prefixed `__Host-` when secure (`__Secure-` with a domain)"),
    "CONSENT_COOKIE_SECURE": (True, "`False` only for plain-http development"),
    "CONSENT_COOKIE_DOMAIN": (None, "host-only by default; a domain shares consent across subdomains"),
    "CONSENT_DECLINED_COOKIE_DOMAINS": (
        (),
        "domains on which declined vendors' first-party cookies are also deleted (your registrable domain)",
    ),
    "CONSENT_COOKIE_MAX_AGE": (MAX_COOKIE_AGE.days, "cookie lifetime in days, at most 400"),
    "CONSENT_LIFETIME": (DEFAULT_LIFETIME.days, "days before visitors are asked again, at most 395"),
    "CONSENT_URL_PREFIX": ("/consent", "where the blueprint's views live"),
    "CONSENT_POLICY_URL": (None, "the site's privacy policy link; default the registry's"),
    "CONSENT_LOCALES": (None, "locales offered; default every locale of the registry"),
    "CONSENT_LOCALE": (None, "a fixed locale, or a callable `(request) -> str`; default negotiated"),
    "CONSENT_POSITION": ("bar", "`bar`, `modal` or `corner`"),
    "CONSENT_THEME": ("auto", "`auto` (follows the OS), `light` or `dark`"),
    "CONSENT_FLOATING_BUTTON": (False, "also show a small floating settings button"),
    "CONSENT_CSP": (None, '`None` (off), `"enforce"` or `"report-only"`'),
    "CONSENT_CSP_EXTRA": ({}, "extra sources per directive"),
    "CONSENT_CSP_REPORT_URI": (None, "where browsers report violations"),
    "CONSENT_CSP_STRICT_DYNAMIC": (
        False,
        "`script-src` trusts the nonce and `'strict-dynamic'`; host lists only for pre-CSP 3 browsers",
    ),
    "CONSENT_FRAME_ANCESTORS": (
        ("'self'",),
        "who may frame consent pages (`frame-ancestors`, and `X-Frame-Options` when only `'self'`); `None`: anyone",
    ),
    "CONSENT_MAX_FORM_BYTES": (16 * 1024, "larger consent posts get a 413"),
    "CONSENT_REGION_HEADER": (
        None,
        "a header the site's CDN sets to the visitor's region, trusted only when set",
    ),
    "CONSENT_SUBDIVISION_HEADER": (None, "a second header with the subdivision, joined to the first"),
    "CONSENT_REGION_RESOLVER": (
        None,
        'a callable taking the request, returning a code such as `"US-CA"` or `None`, instead of the header',
    ),
    "CONSENT_CONSENT_MODE": (None, "emit Google Consent Mode v2; default: when the registry maps any type"),
    "CONSENT_CONSENT_MODE_WAIT": (None, "`wait_for_update` in milliseconds"),
    "CONSENT_GPC_JSON": (True, "serve `/.well-known/gpc.json`"),
    "CONSENT_GPC_UPDATED": (None, "its `lastUpdate` date"),
    "CONSENT_LEDGER_URL": (None, "the consent ledger's database; `None`: off"),
    "CONSENT_LEDGER_KEY": (None, "the ledger's HMAC key; default derived from the cookie's key"),
    "CONSENT_LEDGER_SPOOL": (None, "where records wait while the database is down"),
    "CONSENT_LEDGER_TIMEOUT": (0.5, "seconds a decision may wait for the database, then it is spooled"),
    "CONSENT_INSIGHTS": (
        True,
        "count first-layer impressions (aggregates only) in the ledger's database, when the ledger is on",
    ),
    "CONSENT_INSIGHTS_INTERVAL": (2.0, "seconds between flushes of the impression counters"),
    "CONSENT_VARIANTS": (None, "a wording test of the first layer's texts: a TOML or JSON file, or `None`"),
    "CONSENT_LEDGER_SUBJECT": (
        None,
        "a callable taking the request, returning the site's own subject id or `None`",
    ),
    "CONSENT_TCF_CMP_ID": (None, "the CMP id IAB Europe assigned to you (2 to 4095); `None`: IAB TCF off"),
    "CONSENT_TCF_CMP_VERSION": (1, "your CMP's version as registered with IAB (1 to 4095)"),
    "CONSENT_TCF_CONSENT_LANGUAGE": (None, "two letters for the TC string; default the visitor's locale"),
    "CONSENT_TCF_GVL": (
        None,
        "the Global Vendor List (`vendor-list.json`) whose texts the second layer shows",
    ),
    "CONSENT_TCF_GVL_TRANSLATIONS": ({}, "locale -> a GVL translation file such as `purposes-de.json`"),
    "CONSENT_TCF_GDPR_COUNTRIES": (
        None,
        "countries where the GDPR applies to the TCF; default the EEA and the UK (an unknown region counts)",
    ),
    "CONSENT_TCF_COOKIE": (False, "also write the TC string to an `euconsent-v2` cookie"),
    "CONSENT_GPP": (False, "emit the `__gpp` stub and GPP strings"),
    "CONSENT_GPP_CMP_ID": (None, "the `cmpId` GPP reports; default the TCF CMP id, else 1 (unregistered)"),
    "CONSENT_GPP_APPROACH": ("state", "`state` (a state's own section where there is one) or `national`"),
    "CONSENT_GPP_MSPA": ("none", "`none`, `opt_out_option` or `service_provider` (MSPA signatories)"),
}
DEFAULTS: dict[str, Any] = {key: default for key, (default, _) in SETTINGS.items()}
CSP_MODES = (None, "enforce", "report-only")


def resolve(options: Mapping[str, Any], app_config: Mapping[str, Any]) -> dict[str, Any]:
    """The extension's settings for one app, checked; raises ConfigurationError on any mistake."""
    config = {key: options.get(key, app_config.get(key, default)) for key, default in DEFAULTS.items()}
    check(config, app_config)
    return config


def _fail(key: str, message: str) -> ConfigurationError:
    return ConfigurationError(f"{key}: {message}", key)


def check(config: Mapping[str, Any], app_config: Mapping[str, Any]) -> None:
    if config["CONSENT_REGISTRY"] is None:
        raise _fail("CONSENT_REGISTRY", "consent needs a vendor registry: pass registry=... or set it")
    if not (config["CONSENT_SECRET_KEY"] or app_config.get("SECRET_KEY")):
        raise _fail(
            "SECRET_KEY",
            "consent signs its cookie with CONSENT_SECRET_KEY or SECRET_KEY, and neither is set; "
            "set SECRET_KEY before init_app (e.g. from an environment variable)",
        )
    if not isinstance(config["CONSENT_MAX_FORM_BYTES"], int) or config["CONSENT_MAX_FORM_BYTES"] <= 0:
        raise _fail("CONSENT_MAX_FORM_BYTES", "must be a positive number of bytes")
    if not 0 < int(config["CONSENT_LIFETIME"]) <= MAX_LIFETIME.days:
        raise _fail("CONSENT_LIFETIME", f"must be 1 to {MAX_LIFETIME.days} days")
    if not 0 < int(config["CONSENT_COOKIE_MAX_AGE"]) <= MAX_COOKIE_AGE.days:
        raise _fail("CONSENT_COOKIE_MAX_AGE", f"must be 1 to {MAX_COOKIE_AGE.days} days")
    if config["CONSENT_POSITION"] not in POSITIONS:
        raise _fail("CONSENT_POSITION", f"must be one of {', '.join(POSITIONS)}")
    if config["CONSENT_THEME"] not in THEMES:
        raise _fail("CONSENT_THEME", f"must be one of {', '.join(THEMES)}")
    if config["CONSENT_CSP"] not in CSP_MODES:
        raise _fail("CONSENT_CSP", "must be None, 'enforce' or 'report-only'")
    ancestors = config["CONSENT_FRAME_ANCESTORS"]
    if ancestors is not None and (
        isinstance(ancestors, str)
        or not all(isinstance(a, str) and a and not set(a) & set(";,\r\n ") for a in ancestors)
    ):
        raise _fail("CONSENT_FRAME_ANCESTORS", "must be None or a list of sources such as [\"'self'\"]")
    prefix = config["CONSENT_URL_PREFIX"]
    if not isinstance(prefix, str) or not prefix.startswith("/") or prefix.endswith("/"):
        raise _fail("CONSENT_URL_PREFIX", "must start with '/' and not end with one, e.g. '/consent'")
    for key in ("CONSENT_REGION_RESOLVER", "CONSENT_LEDGER_SUBJECT"):
        if config[key] is not None and not callable(config[key]):
            raise _fail(key, "must be a callable taking the request")
    locale = config["CONSENT_LOCALE"]
    if locale is not None and not callable(locale) and not isinstance(locale, str):
        raise _fail("CONSENT_LOCALE", "must be a locale such as 'de' or a callable taking the request")
    check_adtech(config)
    if config["CONSENT_LEDGER_URL"]:
        try:
            from ..ledger import normalize_url
        except ImportError as exc:
            raise _fail(
                "CONSENT_LEDGER_URL",
                "the consent ledger needs SQLAlchemy: pip install 'consent-gate[ledger]'",
            ) from exc
        normalize_url(config["CONSENT_LEDGER_URL"])  # no connection: just a usable URL
        if not float(config["CONSENT_LEDGER_TIMEOUT"]) > 0:
            raise _fail("CONSENT_LEDGER_TIMEOUT", "must be a positive number of seconds")
        if not float(config["CONSENT_INSIGHTS_INTERVAL"]) > 0:
            raise _fail("CONSENT_INSIGHTS_INTERVAL", "must be a positive number of seconds")


def check_adtech(config: Mapping[str, Any]) -> None:
    """The IAB TCF and GPP settings (what needs the registry is checked in ``consent.flask.adtech``)."""
    from ..tcf.derive import CmpSettings

    cmp_id = config["CONSENT_TCF_CMP_ID"]
    if cmp_id is not None:
        language = config["CONSENT_TCF_CONSENT_LANGUAGE"] or "EN"
        try:
            CmpSettings(
                _whole(cmp_id, "CONSENT_TCF_CMP_ID"),
                _whole(config["CONSENT_TCF_CMP_VERSION"], "CONSENT_TCF_CMP_VERSION"),
                str(language).upper(),
            )
        except CmpSettingsError as error:
            key = {"cmp_id": "CONSENT_TCF_CMP_ID", "cmp_version": "CONSENT_TCF_CMP_VERSION"}.get(
                error.field, "CONSENT_TCF_CONSENT_LANGUAGE"
            )
            raise _fail(key, str(error)) from None
    elif config["CONSENT_TCF_COOKIE"]:
        raise _fail("CONSENT_TCF_COOKIE", "the euconsent-v2 cookie needs CONSENT_TCF_CMP_ID")
    countries = config["CONSENT_TCF_GDPR_COUNTRIES"]
    if countries is not None and (
        isinstance(countries, str) or not all(isinstance(c, str) and len(c) == 2 for c in countries)
    ):
        raise _fail(
            "CONSENT_TCF_GDPR_COUNTRIES", "must be a list of two-letter country codes such as ['DE', 'FR']"
        )
    if not isinstance(config["CONSENT_TCF_GVL_TRANSLATIONS"], Mapping):
        raise _fail("CONSENT_TCF_GVL_TRANSLATIONS", "must map a locale to a GVL translation file")
    gpp_cmp_id = config["CONSENT_GPP_CMP_ID"]
    if gpp_cmp_id is not None and not 1 <= _whole(gpp_cmp_id, "CONSENT_GPP_CMP_ID") <= 4095:
        raise _fail("CONSENT_GPP_CMP_ID", "must be your IAB CMP id, or 1 for an unregistered CMP")
    if config["CONSENT_GPP_APPROACH"] not in ("state", "national"):
        raise _fail("CONSENT_GPP_APPROACH", "must be 'state' or 'national'")
    if config["CONSENT_GPP_MSPA"] not in ("none", "opt_out_option", "service_provider"):
        raise _fail("CONSENT_GPP_MSPA", "must be 'none', 'opt_out_option' or 'service_provider'")


def _whole(value: Any, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).strip().isdigit():
        raise _fail(key, f"must be a whole number, not {value!r}")
    return int(value)
