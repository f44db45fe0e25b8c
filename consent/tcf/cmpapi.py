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
from .derive import CmpSettings
from .signal import API_VERSION as API_VERSION
from .signal import TcfSignal, ping_json, tcf_signal

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
    """The TCData object for this visitor (without ``listenerId``, which the stub adds per listener):
    :func:`~consent.tcf.signal.tcf_signal`'s ``tcdata_json`` as a dict. ``now`` is accepted for the
    callers of 0.2 and ignored: a TC string is dated by the visitor's decision."""
    del now
    signal = tcf_signal(registry, state, cmp, gdpr_applies=gdpr_applies, banner_shown=banner_shown)
    tcdata: dict[str, Any] = json.loads(signal.tcdata_json)
    return tcdata


def render_tcf_stub(tcdata: dict[str, Any], nonce: str | None, *, gvl_version: int | None = None) -> Markup:
    """The ``<script>`` that defines ``__tcfapi``: put it in ``<head>`` before any ad tag.

    ``gvl_version`` is what ``ping`` reports as ``gvlVersion`` (the registry's ``vendor_list_version``).
    """
    return wrap_script(tcf_stub_code(tcdata, gvl_version=gvl_version), nonce)


def wrap_script(code: str, nonce: str | None) -> Markup:
    """``code`` (from :func:`tcf_stub_code`) in a ``<script>`` carrying the CSP ``nonce``."""
    return Markup(f"<script{nonce_attribute(nonce)}>{code}</script>")


def nonce_attribute(nonce: str | None) -> str:
    """`` nonce="..."`` (escaped) for a ``<script>`` tag, or nothing without a nonce."""
    return f' nonce="{escape(nonce)}"' if nonce else ""


def tcf_stub_code(tcdata: dict[str, Any], *, gvl_version: int | None = None) -> str:
    """The stub's code with its data, safe to inline."""
    ping = ping_json(
        tcdata.get("gdprApplies", True),
        tcdata.get("cmpVersion"),
        tcdata.get("cmpId"),
        gvl_version,
        tcdata.get("tcfPolicyVersion"),
        tcdata.get("cmpStatus", "loaded"),
    )
    return _stub_code(_COMPACT_JSON.encode(tcdata), ping)


def render_signal_stub(signal: TcfSignal, nonce: str | None) -> Markup:
    """:func:`render_tcf_stub` for a :class:`~consent.tcf.signal.TcfSignal` (its JSON as it is)."""
    return Markup("".join(signal_stub_pieces(signal, nonce_attribute(nonce))))


def signal_stub_pieces(signal: TcfSignal, nonce_attr: str) -> tuple[str, ...]:
    """The text of :func:`render_signal_stub`'s ``<script>`` in pieces, each escaped for its place
    (``nonce_attr`` from :func:`nonce_attribute`): to join with other markup in one copy."""
    # The JSON is escaped for a script context (the ping answer holds numbers, booleans and fixed
    # words only), and the stub is our own static file.
    tcdata = _script_safe(signal.tcdata_json)
    return ("<script", nonce_attr, ">", _STUB_JS, "(", tcdata, ",", signal.ping_json, ");</script>")


def _stub_code(tcdata_json: str, ping_json: str) -> str:
    # The JSON is escaped for a script context here, and the stub is our own static file.
    return f"{_STUB_JS}({_script_safe(tcdata_json)},{_script_safe(ping_json)});"


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
