"""The TCF CMP API v2 in the page: TCData built on the server, and the inline ``__tcfapi`` stub.

:func:`build_tcdata` is what ``getTCData``/``addEventListener`` callers receive (CMP API v2.3 field
names); :func:`render_tcf_stub` puts it in ``<head>`` with the stub (``widget/static/tcf-stub.js``)
so that ad tags get their answer with no request. Nothing here imports Flask.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from importlib.resources import files
from typing import Any, Final

from markupsafe import Markup, escape

from ..registry import Registry
from ..state import ConsentState
from .additional_consent import additional_consent
from .derive import CmpSettings, tc_model_for, tcf_table
from .gather import ByteFragments
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


@dataclass(frozen=True, slots=True)
class TcfSignal:
    """What the TCF tells ad tech about one visitor: the TC string, the AC string and TCData (as JSON)."""

    tc_string: str | None  # None: undecided, or the GDPR does not apply
    ac_string: str | None
    #: The TCData object (:func:`build_tcdata`) as compact JSON text, without ``listenerId``.
    tcdata_json: str
    #: The ``ping`` answer (PingReturn) as compact JSON text.
    ping_json: str

    def stub_code(self) -> str:
        """The ``__tcfapi`` stub's code with this data, safe to inline (see :func:`wrap_script`)."""
        return _stub_code(self.tcdata_json, self.ping_json)


@dataclass(frozen=True, slots=True)
class TcDataTable:
    """TCData's JSON pieces that depend on the registry only, built once per registry."""

    #: ``useNonStandardTexts``, ``publisherCC`` and ``purposeOneTreatment`` (the registry's TCF table).
    settings_json: str
    #: A GVL id mask as the members of TCData's vendor maps: ``"10":true,"13":false,...`` over every
    #: disclosed vendor.
    vendor_members: ByteFragments
    disclosed_json: str

    @classmethod
    def build(cls, registry: Registry) -> TcDataTable:
        table = tcf_table(registry)
        settings = table.settings
        members = ByteFragments(table.disclosed, lambda i, on: f'"{i}":{"true" if on else "false"}')
        return cls(
            _members_json(
                {
                    "useNonStandardTexts": settings.use_non_standard_texts,
                    "publisherCC": settings.publisher_country,
                    "purposeOneTreatment": settings.purpose_one_treatment,
                }
            ),
            members,
            "{" + members(table.disclosed.mask) + "}",
        )


def tcf_signal(
    registry: Registry,
    state: ConsentState,
    cmp: CmpSettings,
    *,
    gdpr_applies: bool = True,
    banner_shown: bool = False,
    gvl_version: int | None = None,
    now: datetime | None = None,
) -> TcfSignal:
    """The visitor's TC string, AC string, TCData and ping answer, derived from the stored state.

    TCData is joined from pieces: what the registry and the CMP fix is written once (per registry, or
    memoised by its few small inputs); per visitor only the masks and the purpose sets are spelled out.
    ``eventStatus`` is ``"cmpuishown"`` when the page shows the banner, else ``"tcloaded"``; an
    undecided visitor has an empty ``tcString``. ``gvl_version`` is what ``ping`` reports as ``gvlVersion``.
    """
    settings = registry.tcf
    policy_version = settings.tcf_policy_version if settings else 5
    head = _head_json(policy_version, cmp.cmp_id, cmp.cmp_version, gdpr_applies, banner_shown)
    ping = _ping_json(gdpr_applies, cmp.cmp_version, cmp.cmp_id, gvl_version, policy_version)
    if not gdpr_applies:
        return TcfSignal(None, None, '{"tcString":""' + head + "}", ping)
    table = registry.derived(TcDataTable.build)
    model = tc_model_for(registry, state, cmp, now=now)
    if model is None:
        tc_string = None
        purposes = purposes_li = features = frozenset[int]()
        consent_mask = li_mask = 0
        publisher = PublisherTC()
    else:
        tcf = tcf_table(registry)
        tc_string = encode_tc_string(
            model, disclosed_segment=tcf.disclosed_segment, vendor_sections=tcf.vendor_sections
        )
        purposes, purposes_li = model.purpose_consents, model.purpose_legitimate_interests
        features = model.special_feature_optins
        consent_mask = model.vendor_consents.mask
        li_mask = model.vendor_legitimate_interests.mask
        publisher = model.publisher_tc or PublisherTC()
    ac_string = additional_consent(registry, state)
    custom = publisher.num_custom_purposes
    members = table.vendor_members
    parts = [
        '{"tcString":',
        _COMPACT_JSON.encode(tc_string or ""),
        head,
        ',"isServiceSpecific":true' if cmp.is_service_specific else ',"isServiceSpecific":false',
        table.settings_json,
        ',"purpose":{"consents":',
        _flags_json(purposes, PURPOSE_COUNT),
        ',"legitimateInterests":',
        _flags_json(purposes_li, PURPOSE_COUNT),
        '},"vendor":{"consents":{',
        members(consent_mask),
        '},"legitimateInterests":{',
        members(li_mask),
        '},"disclosedVendors":',
        table.disclosed_json,
        '},"specialFeatureOptins":',
        _flags_json(features, SPECIAL_FEATURE_COUNT),
        ',"publisher":{"consents":',
        _flags_json(publisher.purpose_consents, PURPOSE_COUNT),
        ',"legitimateInterests":',
        _flags_json(publisher.purpose_legitimate_interests, PURPOSE_COUNT),
        ',"customPurpose":{"consents":',
        _flags_json(publisher.custom_purpose_consents, custom),
        ',"legitimateInterests":',
        _flags_json(publisher.custom_purpose_legitimate_interests, custom),
        '},"restrictions":{}}',
    ]
    if ac_string is not None:
        parts += (',"addtlConsent":', _COMPACT_JSON.encode(ac_string))
    parts.append("}")
    return TcfSignal(tc_string, ac_string, "".join(parts), ping)


def build_tcdata(
    registry: Registry,
    state: ConsentState,
    cmp: CmpSettings,
    *,
    gdpr_applies: bool = True,
    banner_shown: bool = False,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The TCData object for this visitor (without ``listenerId``, which the stub adds per listener):
    :func:`tcf_signal`'s ``tcdata_json`` as a dict."""
    signal = tcf_signal(registry, state, cmp, gdpr_applies=gdpr_applies, banner_shown=banner_shown, now=now)
    tcdata: dict[str, Any] = json.loads(signal.tcdata_json)
    return tcdata


@lru_cache(maxsize=64)
def _head_json(policy_version: int, cmp_id: int, cmp_version: int, gdpr_applies: bool, banner_shown: bool) -> str:
    """TCData's members after ``tcString`` up to ``cmpStatus`` (memoised: a few per site)."""
    return _members_json(
        {
            "tcfPolicyVersion": policy_version,
            "cmpId": cmp_id,
            "cmpVersion": cmp_version,
            "gdprApplies": gdpr_applies,
            "eventStatus": "cmpuishown" if banner_shown else "tcloaded",
            "cmpStatus": "loaded",
        }
    )


def _members_json(members: dict[str, Any]) -> str:
    """``members`` as JSON object members to append to an object: ``,"a":1,"b":2``."""
    return "," + _COMPACT_JSON.encode(members)[1:-1]


@lru_cache(maxsize=1024)
def _flags_json(ids: frozenset[int], count: int) -> str:
    """A TCData map of ids ``1 ... count`` (or up to the highest id) to whether each is in ``ids``."""
    top = max(count, max(ids, default=0))
    return "{" + ",".join(f'"{i}":{"true" if i in ids else "false"}' for i in range(1, top + 1)) + "}"


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
    """The stub's code with its data, safe to inline."""
    ping = _ping_json(
        tcdata.get("gdprApplies", True),
        tcdata.get("cmpVersion"),
        tcdata.get("cmpId"),
        gvl_version,
        tcdata.get("tcfPolicyVersion"),
        tcdata.get("cmpStatus", "loaded"),
    )
    return _stub_code(_COMPACT_JSON.encode(tcdata), ping)


def _stub_code(tcdata_json: str, ping_json: str) -> str:
    # The JSON is escaped for a script context here, and the stub is our own static file.
    return f"{_STUB_JS}({_script_safe(tcdata_json)},{ping_json});"


@lru_cache(maxsize=64)
def _ping_json(
    gdpr_applies: bool,
    cmp_version: int | None,
    cmp_id: int | None,
    gvl_version: int | None,
    policy_version: int | None,
    cmp_status: str = "loaded",
) -> str:
    """The ``ping`` answer as script-safe JSON (memoised: it depends on the site's settings only)."""
    ping = {
        "gdprApplies": gdpr_applies,
        "cmpLoaded": True,
        "cmpStatus": cmp_status,
        "displayStatus": "hidden",
        "apiVersion": API_VERSION,
        "cmpVersion": cmp_version,
        "cmpId": cmp_id,
        "gvlVersion": gvl_version,
        "tcfPolicyVersion": policy_version,
    }
    return _script_safe(_COMPACT_JSON.encode(ping))


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
