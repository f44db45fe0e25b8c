"""IAB TCF v2.3 and GPP in the Flask extension: off unless configured, derived from the signed cookie.

``CONSENT_TCF_CMP_ID`` turns the TCF on (the registry then needs a ``[tcf]`` table), ``CONSENT_GPP``
the GPP. Per request, once and only when a page asks (:func:`signals_for`): whether the GDPR applies,
the TCData and TC string derived from the visitor's stored state, the GPP string and its section ids.

When the GDPR applies (the rule): the TCF is on, and the visitor's country is in
``CONSENT_TCF_GDPR_COUNTRIES`` (default :data:`GDPR_COUNTRIES`, the EEA and the UK) or their region is
unknown, which the registry treats as the strictest case (opt-in) too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

from flask import request
from markupsafe import Markup
from werkzeug.wrappers import Response

from ..banner import FIRST_LAYERS, WidgetContext
from ..errors import ConfigurationError, GVLError
from ..gpp import GppSignal, derive_gpp, gpp_data, gpp_url_params, render_gpp_stub
from ..gpp.cmpapi import UNREGISTERED_CMP_ID
from ..registry import Registry
from ..state import ConsentState
from ..tcf import GVL, CmpSettings, build_tcdata, load_gvl, load_gvl_texts, render_tcf_stub, tcf_url_params
from ..tcf.derive import tcf_needs_prompt
from .current import RequestConsent

#: The EEA (EU-27, Iceland, Liechtenstein, Norway) and the United Kingdom.
GDPR_COUNTRIES = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "HR",
        "CY",
        "CZ",
        "DK",
        "EE",
        "FI",
        "FR",
        "DE",
        "GR",
        "HU",
        "IE",
        "IT",
        "LV",
        "LT",
        "LU",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SK",
        "SI",
        "ES",
        "SE",
        "IS",
        "LI",
        "NO",
        "GB",
    ]
)
TC_COOKIE = "euconsent-v2"


@dataclass(frozen=True)
class AdTechSettings:
    """Per app: the CMP registration, where the GDPR applies, the GVL texts, the GPP choices."""

    cmp_id: int | None
    cmp_version: int
    consent_language: str | None
    gdpr_countries: frozenset[str]
    cookie: bool
    gpp: bool
    gpp_cmp_id: int
    gpp_approach: Any
    gpp_mspa: Any
    gvl: GVL | None = None
    gvl_by_locale: Mapping[str, GVL] = field(default_factory=dict)

    @property
    def tcf(self) -> bool:
        return self.cmp_id is not None

    def cmp_for(self, locale: str) -> CmpSettings:
        language = self.consent_language or locale.split("-")[0].split("_")[0]
        if not (len(language) == 2 and language.isascii() and language.isalpha()):
            language = "EN"
        assert self.cmp_id is not None
        return _cmp(self.cmp_id, self.cmp_version, language.upper())

    def gvl_for(self, locale: str) -> GVL | None:
        """The GVL with its texts in ``locale`` when a translation is configured, else in English."""
        lower = locale.lower()
        return self.gvl_by_locale.get(lower) or self.gvl_by_locale.get(lower.split("-")[0]) or self.gvl


@lru_cache(maxsize=64)
def _cmp(cmp_id: int, cmp_version: int, language: str) -> CmpSettings:
    return CmpSettings(cmp_id, cmp_version, language)


def build_adtech(config: Mapping[str, Any], registry: Registry, root: Path) -> AdTechSettings | None:
    """The app's TCF and GPP settings, checked against the registry; ``None`` when both are off."""
    cmp_id = config["CONSENT_TCF_CMP_ID"]
    if cmp_id is None and not config["CONSENT_GPP"]:
        return None
    gvl: GVL | None = None
    by_locale: dict[str, GVL] = {}
    if cmp_id is not None:
        if registry.tcf is None:
            raise ConfigurationError(
                "CONSENT_TCF_CMP_ID: the registry has no [tcf] table; add one (consent tcf import fills "
                "it in) or leave CONSENT_TCF_CMP_ID unset",
                "CONSENT_TCF_CMP_ID",
            )
        gvl = _load(config["CONSENT_TCF_GVL"], root, registry)
        for locale, path in config["CONSENT_TCF_GVL_TRANSLATIONS"].items():
            if gvl is None:
                raise ConfigurationError(
                    "CONSENT_TCF_GVL_TRANSLATIONS: translations need CONSENT_TCF_GVL", "CONSENT_TCF_GVL"
                )
            try:
                by_locale[str(locale).lower()] = gvl.translated(load_gvl_texts(_path(path, root)))
            except GVLError as error:
                raise ConfigurationError(
                    f"CONSENT_TCF_GVL_TRANSLATIONS: {error}", "CONSENT_TCF_GVL"
                ) from None
    countries = config["CONSENT_TCF_GDPR_COUNTRIES"]
    gpp_cmp_id = config["CONSENT_GPP_CMP_ID"]
    return AdTechSettings(
        cmp_id=None if cmp_id is None else int(cmp_id),
        cmp_version=int(config["CONSENT_TCF_CMP_VERSION"]),
        consent_language=config["CONSENT_TCF_CONSENT_LANGUAGE"],
        gdpr_countries=GDPR_COUNTRIES if countries is None else frozenset(c.upper() for c in countries),
        cookie=bool(config["CONSENT_TCF_COOKIE"]),
        gpp=bool(config["CONSENT_GPP"]),
        gpp_cmp_id=int(gpp_cmp_id if gpp_cmp_id is not None else cmp_id or UNREGISTERED_CMP_ID),
        gpp_approach=config["CONSENT_GPP_APPROACH"],
        gpp_mspa=config["CONSENT_GPP_MSPA"],
        gvl=gvl,
        gvl_by_locale=by_locale,
    )


def _path(value: Any, root: Path) -> Path:
    path = Path(value)
    return path if path.is_absolute() else root / path


def _load(value: Any, root: Path, registry: Registry) -> GVL | None:
    if value is None:
        return None
    try:
        gvl = value if isinstance(value, GVL) else load_gvl(_path(value, root))
    except GVLError as error:
        raise ConfigurationError(f"CONSENT_TCF_GVL: {error}", "CONSENT_TCF_GVL") from None
    assert registry.tcf is not None
    if gvl.tcf_policy_version != registry.tcf.tcf_policy_version:
        raise ConfigurationError(
            f"CONSENT_TCF_GVL: the vendor list is under tcfPolicyVersion {gvl.tcf_policy_version}, the "
            f"registry under {registry.tcf.tcf_policy_version}: run `consent tcf import` so that visitors "
            "are asked again under the new policy",
            "CONSENT_TCF_GVL",
        )
    return gvl


# -- per request ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AdSignals:
    """What ad tech reads for this request's visitor."""

    gdpr_applies: bool
    #: The first layer shows on this page (undecided, something new, or a new TCF policy version).
    prompt: bool
    tcdata: dict[str, Any] | None  # None: TCF off
    tc_string: str | None
    gpp: GppSignal | None  # None: GPP off
    gpp_data: dict[str, Any] | None


def settings_of(data: RequestConsent) -> AdTechSettings | None:
    return data.settings.adtech


def gdpr_applies(adtech: AdTechSettings, region_code: str | None) -> bool:
    if not adtech.tcf:
        return False
    country = (region_code or "").strip().upper().split("-")[0]
    return not country or country in adtech.gdpr_countries


def first_layer_due(data: RequestConsent) -> bool:
    """Whether this page shows the first layer: the store asks, or the TCF policy version moved on."""
    settings = data.settings
    state = data.get_state()
    if state.needs_prompt(settings.registry):
        return True
    adtech = settings.adtech
    return bool(
        adtech
        and adtech.tcf
        and gdpr_applies(adtech, data.get_region_code())
        and tcf_needs_prompt(settings.registry, state)
    )


def first_layer(data: RequestConsent, ctx: WidgetContext) -> Markup:
    """The first layer when :func:`first_layer_due`, else nothing."""
    if not first_layer_due(data):
        return Markup("")
    return data.settings.widget.render(FIRST_LAYERS[ctx.policy], ctx)


def signals_for(data: RequestConsent) -> AdSignals | None:
    """This request's :class:`AdSignals` (worked out once; ``None`` when TCF and GPP are off)."""
    adtech = data.settings.adtech
    if adtech is None:
        return None
    signals = data.adtech
    if signals is None:
        signals = data.adtech = _derive(data, adtech, data.get_state(), first_layer_due(data))
    return cast(AdSignals, signals)


def _derive(data: RequestConsent, adtech: AdTechSettings, state: ConsentState, prompt: bool) -> AdSignals:
    registry = data.settings.registry
    code = data.get_region_code()
    applies = gdpr_applies(adtech, code)
    tcdata: dict[str, Any] | None = None
    tc_string = None
    if adtech.tcf:
        tcdata = build_tcdata(
            registry,
            state,
            adtech.cmp_for(data.get_locale()),
            gdpr_applies=applies,
            banner_shown=prompt and applies,
        )
        tc_string = tcdata["tcString"] or None
    gpp = gpp_json = None
    if adtech.gpp:
        gpp = derive_gpp(
            registry,
            state,
            code,
            data.get_region().gpc,
            tc_string,
            approach=adtech.gpp_approach,
            mspa=adtech.gpp_mspa,
        )
        gpp_json = gpp_data(gpp.gpp, gpp.sids, cmp_id=adtech.gpp_cmp_id, banner_visible=prompt)
    return AdSignals(applies, prompt, tcdata, tc_string, gpp, gpp_json)


def head_stubs(data: RequestConsent, nonce: str | None) -> Markup:
    """The ``__tcfapi`` and ``__gpp`` stubs for ``<head>`` (nothing when both are off)."""
    signals = signals_for(data)
    if signals is None:
        return Markup("")
    out = Markup("")
    if signals.tcdata is not None:
        registry_tcf = data.settings.registry.tcf
        out += render_tcf_stub(
            signals.tcdata, nonce, gvl_version=registry_tcf.vendor_list_version if registry_tcf else None
        )
    if signals.gpp_data is not None:
        out += render_gpp_stub(signals.gpp_data, nonce)
    return out


def json_members(data: RequestConsent) -> dict[str, Any]:
    """``tcf`` (TCData) and ``gpp`` (PingReturn) for the decision JSON and ``/consent/status``: the
    stubs fire ``useractioncomplete`` and ``sectionChange`` from them on ``consent:change``."""
    signals = signals_for(data)
    members: dict[str, Any] = {}
    if signals is not None:
        if signals.tcdata is not None:
            members["tcf"] = signals.tcdata
        if signals.gpp_data is not None:
            members["gpp"] = signals.gpp_data
    return members


def ledger_signals(data: RequestConsent) -> tuple[str, ...]:
    """``tcf:<TC string>`` and ``gpp:<GPP string>`` for the ledger record's signals."""
    signals = signals_for(data)
    if signals is None:
        return ()
    out: list[str] = []
    if signals.tc_string:
        out.append(f"tcf:{signals.tc_string}")
    if signals.gpp is not None:
        out.append(f"gpp:{signals.gpp.gpp}")
    return tuple(out)


def set_tc_cookie(response: Response, data: RequestConsent) -> None:
    """Write (or clear) the ``euconsent-v2`` cookie when ``CONSENT_TCF_COOKIE`` asks for it."""
    adtech = data.settings.adtech
    if adtech is None or not adtech.cookie:
        return
    signals = signals_for(data)
    codec = data.settings.codec
    options = codec.cookie_options() | {"httponly": False}  # ad tags read it: that is its purpose
    if signals is not None and signals.tc_string:
        response.set_cookie(TC_COOKIE, signals.tc_string, **options)
    elif TC_COOKIE in request.cookies:
        response.delete_cookie(TC_COOKIE, path=options["path"], domain=options["domain"])


def url_params(data: RequestConsent, kind: str) -> dict[str, str]:
    """The ``tcf`` (``gdpr``, ``gdpr_consent``, ``addtl_consent``) or ``gpp`` (``gpp``, ``gpp_sid``) URL
    macros; empty when that part is off."""
    signals = signals_for(data)
    if signals is None:
        return {}
    if kind == "tcf":
        if signals.tcdata is None:
            return {}
        return tcf_url_params(signals.tc_string, signals.gdpr_applies, signals.tcdata.get("addtlConsent"))
    if signals.gpp is None:
        return {}
    return gpp_url_params(signals.gpp.gpp, signals.gpp.sids)
