"""IAB TCF v2.3 and GPP in the Flask extension: off unless configured, derived from the signed cookie.

``CONSENT_TCF_CMP_ID`` turns the TCF on (the registry then needs a ``[tcf]`` table), ``CONSENT_GPP``
the GPP. Per request, once and only when a page asks (:func:`signals_for`): whether the GDPR applies,
the TCData and TC string derived from the visitor's stored state, the GPP string and its section ids.
The per-app settings, and when the GDPR applies, are in ``consent.flask.adtech_settings``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from flask import request
from markupsafe import Markup, escape
from werkzeug.wrappers import Response

from ..banner import FIRST_LAYERS, WidgetContext
from ..gpp import GppSignal, derive_gpp, gpp_url_params
from ..gpp.cmpapi import gpp_signal_json, gpp_stub_pieces
from ..registry import Registry
from ..state import ConsentState
from ..tcf import tcf_url_params
from ..tcf.cmpapi import nonce_attribute, signal_stub_pieces
from ..tcf.derive import tcf_needs_prompt
from ..tcf.signal import TcfSignal, tcf_signal
from .adtech_settings import AdTechSettings, gdpr_applies
from .current import RequestConsent

TC_COOKIE = "euconsent-v2"


@dataclass(frozen=True, slots=True)
class AdSignals:
    """What ad tech reads for this request's visitor."""

    gdpr_applies: bool
    #: The first layer shows on this page (undecided, something new, or a new TCF policy version).
    prompt: bool
    tcf: TcfSignal | None  # None: TCF off
    gpp: GppSignal | None  # None: GPP off
    #: The GPP PingReturn object as JSON text (``None``: GPP off).
    gpp_json: str | None


def first_layer_due(data: RequestConsent) -> bool:
    """Whether this page shows the first layer: the store asks, or the TCF policy version moved on."""
    signals = data.adtech
    if isinstance(signals, AdSignals):  # this request's signals, worked out already
        return signals.prompt
    settings = data.settings
    adtech = settings.adtech
    applies = adtech is not None and gdpr_applies(adtech, data.get_region_code())
    return _prompt(settings.registry, data.get_state(), applies)


def _prompt(registry: Registry, state: ConsentState, gdpr_applies: bool) -> bool:
    """The store asks, or (where the GDPR applies) the TCF policy version moved on since the decision."""
    return state.needs_prompt(registry) or (gdpr_applies and tcf_needs_prompt(registry, state))


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
    if not isinstance(signals, AdSignals):
        signals = data.adtech = _derive(data, adtech)
    return signals


def _derive(data: RequestConsent, adtech: AdTechSettings) -> AdSignals:
    # Everything here is derived afresh for each request from the visitor's state; the speed comes
    # from the per-registry tables and memoised pieces in consent.tcf.signal and consent.gpp.cmpapi.
    registry = data.settings.registry
    state = data.get_state()
    code = data.get_region_code()
    applies = gdpr_applies(adtech, code)
    prompt = _prompt(registry, state, applies)
    tcf = None
    if adtech.tcf:
        tcf = tcf_signal(
            registry,
            state,
            adtech.cmp_for(data.get_locale()),
            gdpr_applies=applies,
            banner_shown=prompt and applies,
            gvl_version=registry.tcf.vendor_list_version if registry.tcf else None,
        )
    gpp = gpp_json = None
    if adtech.gpp:
        gpp = derive_gpp(
            registry,
            state,
            code,
            data.get_region().gpc,
            tcf.tc_string if tcf else None,
            approach=adtech.gpp_approach,
            mspa=adtech.gpp_mspa,
        )
        gpp_json = gpp_signal_json(gpp, cmp_id=adtech.gpp_cmp_id, banner_visible=prompt)
    return AdSignals(applies, prompt, tcf, gpp, gpp_json)


def head_stubs(data: RequestConsent, nonce: str | None) -> Markup:
    """The ``__tcfapi`` and ``__gpp`` stubs for ``<head>`` (nothing when both are off)."""
    signals = signals_for(data)
    if signals is None:
        return Markup("")
    # One join of pieces each escaped for its place (the stubs are 11 kB: copied once, not per step).
    nonce_attr = nonce_attribute(nonce)
    pieces: tuple[str, ...] = ()
    if signals.tcf is not None:
        pieces = signal_stub_pieces(signals.tcf, nonce_attr)
    if signals.gpp_json is not None:
        pieces += gpp_stub_pieces(escape(signals.gpp_json), nonce_attr)
    return Markup("".join(pieces))


def json_members(data: RequestConsent) -> dict[str, Any]:
    """``tcf`` (TCData) and ``gpp`` (PingReturn) for the decision JSON and ``/consent/status``: the
    stubs fire ``useractioncomplete`` and ``sectionChange`` from them on ``consent:change``."""
    signals = signals_for(data)
    members: dict[str, Any] = {}
    if signals is not None:
        if signals.tcf is not None:
            members["tcf"] = json.loads(signals.tcf.tcdata_json)
        if signals.gpp_json is not None:
            members["gpp"] = json.loads(signals.gpp_json)
    return members


def ledger_signals(data: RequestConsent) -> tuple[str, ...]:
    """``tcf:<TC string>`` and ``gpp:<GPP string>`` for the ledger record's signals."""
    signals = signals_for(data)
    if signals is None:
        return ()
    out: list[str] = []
    if signals.tcf is not None and signals.tcf.tc_string:
        out.append(f"tcf:{signals.tcf.tc_string}")
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
    tc_string = signals.tcf.tc_string if signals is not None and signals.tcf is not None else None
    if tc_string:
        response.set_cookie(TC_COOKIE, tc_string, **options)
    elif TC_COOKIE in request.cookies:
        response.delete_cookie(TC_COOKIE, path=options["path"], domain=options["domain"])


def url_params(data: RequestConsent, kind: str) -> dict[str, str]:
    """The ``tcf`` (``gdpr``, ``gdpr_consent``, ``addtl_consent``) or ``gpp`` (``gpp``, ``gpp_sid``) URL
    macros; empty when that part is off."""
    signals = signals_for(data)
    if signals is None:
        return {}
    if kind == "tcf":
        if signals.tcf is None:
            return {}
        return tcf_url_params(signals.tcf.tc_string, signals.gdpr_applies, signals.tcf.ac_string)
    if signals.gpp is None:
        return {}
    return gpp_url_params(signals.gpp.gpp, signals.gpp.sids)
