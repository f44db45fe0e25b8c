"""IAB TCF v2.3 and GPP in the Flask extension: off unless configured, derived from the signed cookie.

``CONSENT_TCF_CMP_ID`` turns the TCF on (the registry then needs a ``[tcf]`` table), ``CONSENT_GPP``
the GPP. Per request, once and only when a page asks (:func:`signals_for`): whether the GDPR applies,
the TCData and TC string derived from the visitor's stored state, the GPP string and its section ids.
The per-app settings, and when the GDPR applies, are in ``consent.flask.adtech_settings``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from flask import request
from markupsafe import Markup
from werkzeug.wrappers import Response

from ..banner import FIRST_LAYERS, WidgetContext
from ..gpp import GppSignal, derive_gpp, gpp_data, gpp_url_params
from ..gpp.cmpapi import gpp_stub_attribute, wrap_gpp_stub
from ..registry import Registry
from ..state import ConsentState
from ..tcf import build_tcdata, tcf_url_params
from ..tcf.cmpapi import tcf_stub_code, wrap_script
from ..tcf.derive import tcf_needs_prompt
from .adtech_settings import AdTechSettings, gdpr_applies
from .current import RequestConsent

TC_COOKIE = "euconsent-v2"


@dataclass(frozen=True, slots=True)
class AdSignals:
    """What ad tech reads for this request's visitor."""

    gdpr_applies: bool
    #: The first layer shows on this page (undecided, something new, or a new TCF policy version).
    prompt: bool
    tcdata: dict[str, Any] | None  # None: TCF off; shared by visitors alike (never mutate it)
    tc_string: str | None
    gpp: GppSignal | None  # None: GPP off
    gpp_data: dict[str, Any] | None
    #: The stubs' rendered data, when shared with every visitor in the same situation (else None).
    tcf_code: str | None = None
    gpp_attribute: Markup | None = None


#: At most this many shared renders per registry (visitors without a TC string of their own: the
#: undecided, and those where the GDPR does not apply); the keys are few in practice.
SHARED_LIMIT = 512


def _shared(registry: Registry) -> dict[tuple[Any, ...], Any]:
    return {}


def _remember(registry: Registry, key: tuple[Any, ...], build: Callable[[], Any]) -> Any:
    """What visitors sharing ``key`` get, built once per registry: a TCData and a GPP string without
    a TC string depend only on the registry, the CMP and the region's signals, never on a visitor."""
    shared = registry.derived(_shared)
    value = shared.get(key)
    if value is None:
        if len(shared) >= SHARED_LIMIT:
            shared.clear()
        value = shared[key] = build()
    return value


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
    gvl_version = registry.tcf.vendor_list_version if registry.tcf else None
    tcdata: dict[str, Any] | None = None
    tc_string = tcf_code = None
    if adtech.tcf:
        cmp = adtech.cmp_for(data.get_locale())
        banner = prompt and applies
        if state.is_decided and applies:
            tcdata = build_tcdata(registry, state, cmp, gdpr_applies=True, banner_shown=banner)
            tc_string = tcdata["tcString"] or None
        else:
            tcdata, tcf_code = _remember(
                registry,
                ("tcf", cmp, applies, banner),
                lambda: _with_code(
                    build_tcdata(registry, state, cmp, gdpr_applies=applies, banner_shown=banner), gvl_version
                ),
            )
    gpp = gpp_json = gpp_attribute = None
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
        signal = gpp

        def ping() -> tuple[dict[str, Any], Markup]:
            ping_data = gpp_data(signal.gpp, signal.sids, cmp_id=adtech.gpp_cmp_id, banner_visible=prompt)
            return ping_data, gpp_stub_attribute(ping_data)

        if tc_string is None:
            key: tuple[Any, ...] = ("gpp", gpp.gpp, gpp.sids, adtech.gpp_cmp_id, prompt)
            gpp_json, gpp_attribute = _remember(registry, key, ping)
        elif len(gpp.sections) == 1:
            # Only the TC string (section 2), which the stub never parses: the ping is shared but for
            # its gppString (kept empty in the shared copy, the visitor's own set here).
            key = ("gpp-tcf", gpp.sids, adtech.gpp_cmp_id, prompt)
            shared = _remember(registry, key, lambda: {**ping()[0], "gppString": ""})
            gpp_json = {**shared, "gppString": gpp.gpp}
        else:
            gpp_json = ping()[0]
    return AdSignals(applies, prompt, tcdata, tc_string, gpp, gpp_json, tcf_code, gpp_attribute)


def _with_code(tcdata: dict[str, Any], gvl_version: int | None) -> tuple[dict[str, Any], str]:
    return tcdata, tcf_stub_code(tcdata, gvl_version=gvl_version)


def head_stubs(data: RequestConsent, nonce: str | None) -> Markup:
    """The ``__tcfapi`` and ``__gpp`` stubs for ``<head>`` (nothing when both are off)."""
    signals = signals_for(data)
    if signals is None:
        return Markup("")
    # Joined as text: each piece is a Markup built from escaped parts (no re-escaping per piece).
    out = ""
    if signals.tcdata is not None:
        code = signals.tcf_code
        if code is None:
            registry_tcf = data.settings.registry.tcf
            gvl_version = registry_tcf.vendor_list_version if registry_tcf else None
            code = tcf_stub_code(signals.tcdata, gvl_version=gvl_version)
        out = str(wrap_script(code, nonce))
    if signals.gpp_data is not None:
        attribute = signals.gpp_attribute
        if attribute is None:
            attribute = gpp_stub_attribute(signals.gpp_data)
        out += str(wrap_gpp_stub(attribute, nonce))
    return Markup(out)


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
