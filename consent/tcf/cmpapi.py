"""The TCF CMP API v2 in the page: TCData built on the server, and the inline ``__tcfapi`` stub.

:func:`build_tcdata` is what ``getTCData``/``addEventListener`` callers receive (CMP API v2.3 field
names); :func:`render_tcf_stub` puts it in ``<head>`` with the stub (``widget/static/tcf-stub.js``)
so that ad tags get their answer with no request. Nothing here imports Flask.
"""

from __future__ import annotations

import json
from datetime import datetime
from importlib.resources import files
from typing import Any, Final

from markupsafe import Markup, escape

from ..registry import Registry
from ..state import ConsentState
from .additional_consent import additional_consent
from .derive import CmpSettings, tc_model_for, tcf_table
from .idset import IdSet
from .model import PublisherTC
from .tcstring import encode_tc_string

API_VERSION: Final = "2.3"
#: Purposes and special features the TCF v2.3 policy defines (the keys TCData always lists).
PURPOSE_COUNT: Final = 11
SPECIAL_FEATURE_COUNT: Final = 2
_STUB_JS: Final = files("consent.widget").joinpath("static/tcf-stub.js").read_text(encoding="utf-8").strip()
# Characters that could end the inline script or confuse an HTML parser, escaped inside the JSON.
_COMPACT_JSON: Final = json.JSONEncoder(separators=(",", ":"))  # made once: json.dumps builds one per call
_SCRIPT_SAFE_PAIRS: Final = (
    ("<", "\\u003c"),
    (">", "\\u003e"),
    ("&", "\\u0026"),
    ("\u2028", "\\u2028"),
    ("\u2029", "\\u2029"),
)


def build_tcdata(
    registry: Registry,
    state: ConsentState,
    cmp: CmpSettings,
    *,
    gdpr_applies: bool = True,
    banner_shown: bool = False,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The TCData object for this visitor (without ``listenerId``, which the stub adds per listener).

    ``eventStatus`` is ``"cmpuishown"`` when the page shows the banner, else ``"tcloaded"``; an
    undecided visitor has an empty ``tcString``.
    """
    settings = registry.tcf
    base: dict[str, Any] = {
        "tcString": "",
        "tcfPolicyVersion": settings.tcf_policy_version if settings else 5,
        "cmpId": cmp.cmp_id,
        "cmpVersion": cmp.cmp_version,
        "gdprApplies": gdpr_applies,
        "eventStatus": "cmpuishown" if banner_shown else "tcloaded",
        "cmpStatus": "loaded",
    }
    if not gdpr_applies:
        return base
    table = tcf_table(registry)
    model = tc_model_for(registry, state, cmp, now=now)
    purposes = frozenset[int]() if model is None else model.purpose_consents
    purposes_li = frozenset[int]() if model is None else model.purpose_legitimate_interests
    features = frozenset[int]() if model is None else model.special_feature_optins
    vendor_consents = IdSet() if model is None else model.vendor_consents
    vendor_li = IdSet() if model is None else model.vendor_legitimate_interests
    publisher = (model.publisher_tc if model else None) or PublisherTC()
    keys, consent_mask, li_mask = table.disclosed_keys, vendor_consents.mask, vendor_li.mask
    base |= {
        "tcString": ""
        if model is None
        else encode_tc_string(model, disclosed_segment=table.disclosed_segment),
        "isServiceSpecific": cmp.is_service_specific,
        "useNonStandardTexts": table.settings.use_non_standard_texts,
        "publisherCC": table.settings.publisher_country,
        "purposeOneTreatment": table.settings.purpose_one_treatment,
        "purpose": {
            "consents": _flags(purposes, PURPOSE_COUNT),
            "legitimateInterests": _flags(purposes_li, PURPOSE_COUNT),
        },
        "vendor": {
            "consents": {key: bool(consent_mask & bit) for key, bit in keys},
            "legitimateInterests": {key: bool(li_mask & bit) for key, bit in keys},
            "disclosedVendors": dict.fromkeys((key for key, _ in keys), True),
        },
        "specialFeatureOptins": _flags(features, SPECIAL_FEATURE_COUNT),
        "publisher": {
            "consents": _flags(publisher.purpose_consents, PURPOSE_COUNT),
            "legitimateInterests": _flags(publisher.purpose_legitimate_interests, PURPOSE_COUNT),
            "customPurpose": {
                "consents": _flags(publisher.custom_purpose_consents, publisher.num_custom_purposes),
                "legitimateInterests": _flags(
                    publisher.custom_purpose_legitimate_interests, publisher.num_custom_purposes
                ),
            },
            "restrictions": {},
        },
    }
    ac_string = additional_consent(registry, state)
    if ac_string is not None:
        base["addtlConsent"] = ac_string
    return base


_KEYS: Final = tuple((str(i), i) for i in range(1, 65))  # TCData's map keys, made once


def _flags(ids: frozenset[int], count: int) -> dict[str, bool]:
    top = max(count, max(ids, default=0))
    if top < len(_KEYS):
        return {key: i in ids for key, i in _KEYS[:top]}
    return {str(i): i in ids for i in range(1, top + 1)}


def render_tcf_stub(tcdata: dict[str, Any], nonce: str | None, *, gvl_version: int | None = None) -> Markup:
    """The ``<script>`` that defines ``__tcfapi``: put it in ``<head>`` before any ad tag.

    ``gvl_version`` is what ``ping`` reports as ``gvlVersion`` (the registry's ``vendor_list_version``).
    """
    return wrap_script(tcf_stub_code(tcdata, gvl_version=gvl_version), nonce)


def wrap_script(code: str, nonce: str | None) -> Markup:
    """``code`` (from :func:`tcf_stub_code`) in a ``<script>`` carrying the CSP ``nonce``."""
    nonce_attribute = f' nonce="{escape(nonce)}"' if nonce else ""
    return Markup(f"<script{nonce_attribute}>{code}</script>")


def tcf_stub_code(tcdata: dict[str, Any], *, gvl_version: int | None = None) -> str:
    """The stub's code with its data, safe to inline (what visitors in the same situation share)."""
    ping = {
        "gdprApplies": tcdata.get("gdprApplies", True),
        "cmpLoaded": True,
        "cmpStatus": tcdata.get("cmpStatus", "loaded"),
        "displayStatus": "hidden",
        "apiVersion": API_VERSION,
        "cmpVersion": tcdata.get("cmpVersion"),
        "cmpId": tcdata.get("cmpId"),
        "gvlVersion": gvl_version,
        "tcfPolicyVersion": tcdata.get("tcfPolicyVersion"),
    }
    arguments = _script_safe(_COMPACT_JSON.encode([tcdata, ping]))[1:-1]
    # The JSON is escaped for a script context above, and the stub is our own static file.
    return f"{_STUB_JS}({arguments});"


def _script_safe(text: str) -> str:
    """``text`` (JSON) with what could end an inline script or confuse an HTML parser escaped."""
    for char, replacement in _SCRIPT_SAFE_PAIRS:
        if char in text:  # replace() copies the string: skip the (usual) absent characters
            text = text.replace(char, replacement)
    return text


def tcf_url_params(tc_string: str | None, gdpr_applies: bool, ac_string: str | None = None) -> dict[str, str]:
    """The ``gdpr`` and ``gdpr_consent`` macros (and ``addtl_consent``) for ad calls and embeds."""
    params = {"gdpr": "1" if gdpr_applies else "0", "gdpr_consent": (tc_string or "") if gdpr_applies else ""}
    if gdpr_applies and ac_string:
        params["addtl_consent"] = ac_string
    return params
