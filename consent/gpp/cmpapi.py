"""The ``__gpp`` CMP API (GPP CMP API v1.1), answered from data the server renders into the page.

:func:`gpp_data` builds the PingReturn object for a GPP string; :func:`render_gpp_stub` emits one
synchronous inline ``<script>`` for ``<head>``, before any ad tag, that defines ``window.__gpp`` from it.
No request is needed to answer ``ping``, ``addEventListener``, ``removeEventListener``, ``hasSection``,
``getSection`` and ``getField``. The script also adds the ``__gppLocator`` iframe and answers
``__gppCall`` messages from child frames with ``__gppReturn`` messages.

Decisions taken with JavaScript: the widget dispatches ``consent:change`` on ``document``. When the
event's ``detail.gpp`` holds a new object built by :func:`gpp_data` (the decision endpoint adds it to its
JSON answer), the stub switches to it and tells every listener, in the order the specification asks:
``signalStatus`` "not ready", ``cmpDisplayStatus`` "hidden" (when the banner was up), one
``sectionChange`` per section whose text changed (data: its API prefix), then ``signalStatus`` "ready".
An event without ``detail.gpp`` changes nothing.

Choices where the specification leaves room: ``cmpStatus`` is "loaded" and ``signalStatus`` "ready" from
the start (the string is final when the page is served); ``removeEventListener`` answers with an
EventListener object whose ``eventName`` is "listenerRemoved" and ``data`` says whether it was removed, as
IAB's reference implementation does; ``getSection`` and ``getField`` answer ``null`` for ``tcfeuv2``,
whose data callers must read through ``__tcfapi`` (TCF policy since v2.2), and for sections not present.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from functools import lru_cache
from importlib.resources import files
from typing import Any

from markupsafe import Markup, escape

from .derive import GppSignal
from .encoding import decode_header, split_gpp
from .sections import LAYOUTS, SECTION_IDS, SECTION_NAMES, UsSection, decode_section

GPP_API_VERSION = "1.1"
#: What ``supportedAPIs`` lists: the sections this package writes, as ``"id:prefix"``.
SUPPORTED_APIS = tuple(f"{SECTION_IDS[name]}:{name}" for name in ("tcfeuv2", *LAYOUTS))
#: A CMP without an IAB-assigned id must say 1 (CMP API, "What is CMP ID?").
UNREGISTERED_CMP_ID = 1
STUB_FILE = "gpp-stub.js"
_US_SECTION_IDS = frozenset(layout.id for layout in LAYOUTS.values())
_json_string = json.encoder.encode_basestring  # what the encoder below writes for a str, called directly
_COMPACT_JSON = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)  # made once, not per call


def gpp_data(
    gpp_string: str,
    sids: Sequence[int],
    *,
    cmp_id: int = UNREGISTERED_CMP_ID,
    banner_visible: bool = False,
    extra_parsed: Mapping[str, list[dict[str, Any]]] | None = None,
) -> dict[str, Any]:
    """The PingReturn object for ``gpp_string`` (JSON-ready); its ``parsedSections`` are decoded from the
    string itself, so the page can never show data the string does not carry.

    ``banner_visible``: whether the consent layer is up on this page (``cmpDisplayStatus``).
    ``extra_parsed``: parsed forms of sections this package does not decode (for example ``tcfeuv2``
    from the TCF module), added to ``parsedSections``.
    """
    data: dict[str, Any] = json.loads(
        gpp_data_json(gpp_string, sids, cmp_id=cmp_id, banner_visible=banner_visible)
    )
    names = {SECTION_NAMES.get(sid) for sid in data["sectionList"]}
    for name, value in (extra_parsed or {}).items():
        if name in names:
            data["parsedSections"][name] = value
    return data


def gpp_data_json(
    gpp_string: str, sids: Sequence[int], *, cmp_id: int = UNREGISTERED_CMP_ID, banner_visible: bool = False
) -> str:
    """:func:`gpp_data` (without ``extra_parsed``) as compact JSON text, decoded from the string."""
    sections = split_gpp(gpp_string, _known_header)
    parsed: list[str] = []
    for sid, text in sections:
        if sid in _US_SECTION_IDS:
            parsed.append(_us_parsed_json(sid, text))
        else:
            decode_section(sid, text)  # checked all the same; its data is read elsewhere (tcfeuv2: __tcfapi)
    ids = tuple(sid for sid, _ in sections)
    return _ping_json(cmp_id, banner_visible, ids, tuple(sids), gpp_string, parsed)


def gpp_signal_json(
    signal: GppSignal, *, cmp_id: int = UNREGISTERED_CMP_ID, banner_visible: bool = False
) -> str:
    """What :func:`gpp_data_json` gives for ``signal.gpp``, from the sections :func:`derive_gpp` wrote it
    from (already checked: nothing is decoded again but the US sections' texts, memoised)."""
    # Loops rather than comprehensions: no extra frames (this runs on every page).
    parsed: list[str] = []
    ids: list[int] = []
    texts = signal.gpp.split("~")
    for index, section in enumerate(signal.sections, start=1):
        ids.append(section.id)
        if isinstance(section, UsSection):
            parsed.append(_us_parsed_json(section.id, texts[index]))
    return _ping_json(cmp_id, banner_visible, tuple(ids), signal.sids, signal.gpp, parsed)


def _ping_json(
    cmp_id: int,
    banner_visible: bool,
    section_ids: tuple[int, ...],
    sids: tuple[int, ...],
    gpp_string: str,
    parsed: list[str],
) -> str:
    # Joined from pieces: what the site and the sections present fix is memoised; only the string
    # itself and the parsed sections (memoised per section text) are written per visitor.
    head = _ping_head_json(cmp_id, banner_visible, section_ids, sids)
    return f'{head},"gppString":{_json_string(gpp_string)},"parsedSections":{{{",".join(parsed)}}}}}'


@lru_cache(maxsize=64)
def _known_header(text: str) -> tuple[int, ...]:
    # Memoised for the headers this package writes (a few per site); never fed request input.
    return decode_header(text)


@lru_cache(maxsize=256)
def _us_parsed_json(section_id: int, text: str) -> str:
    """``"name":[...]`` for a US section's text (memoised: a site writes a few dozen such texts)."""
    section = decode_section(section_id, text)
    assert isinstance(section, UsSection)
    return f"{_COMPACT_JSON.encode(section.name)}:{_COMPACT_JSON.encode(section.parsed())}"


@lru_cache(maxsize=256)
def _ping_head_json(
    cmp_id: int, banner_visible: bool, section_list: tuple[int, ...], sids: tuple[int, ...]
) -> str:
    """PingReturn's members before ``gppString``, as an unclosed JSON object."""
    head = {
        "gppVersion": GPP_API_VERSION,
        "cmpStatus": "loaded",
        "cmpDisplayStatus": "visible" if banner_visible else "hidden",
        "signalStatus": "ready",
        "supportedAPIs": list(SUPPORTED_APIS),
        "cmpId": cmp_id,
        "sectionList": list(section_list),
        "applicableSections": list(sids),
    }
    return _COMPACT_JSON.encode(head)[:-1]


@lru_cache(maxsize=1)
def stub_source() -> str:
    """The stub's JavaScript (``widget/static/gpp-stub.js``), read once."""
    source = (files("consent.widget") / "static" / STUB_FILE).read_text(encoding="utf-8")
    if "</" in source:  # it is inlined: anything that could close the script element is refused
        raise RuntimeError(f"{STUB_FILE} must not contain '</'")
    return source


def render_gpp_stub(gpp_data: Mapping[str, Any], nonce: str | None = None) -> Markup:
    """The inline ``__gpp`` stub for ``<head>``, before any ad tag, carrying the CSP ``nonce``.

    The data travels in a ``data-consent-gpp`` attribute (escaped by markupsafe), the script reads it
    synchronously from ``document.currentScript``.
    """
    return wrap_gpp_stub(gpp_stub_attribute(gpp_data), nonce)


def gpp_stub_attribute(gpp_data: Mapping[str, Any]) -> Markup:
    """The ``data-consent-gpp`` attribute's value, escaped (what visitors in the same situation share)."""
    return escape(_COMPACT_JSON.encode(gpp_data))


def wrap_gpp_stub(attribute: Markup, nonce: str | None = None) -> Markup:
    """The stub ``<script>`` around an attribute value from :func:`gpp_stub_attribute`."""
    nonce_attr = f' nonce="{escape(nonce)}"' if nonce else ""
    return Markup("".join(gpp_stub_pieces(attribute, nonce_attr)))


def gpp_stub_pieces(attribute: Markup, nonce_attr: str) -> tuple[str, ...]:
    """The text of :func:`wrap_gpp_stub`'s ``<script>`` in pieces, each escaped for its place
    (``nonce_attr``: `` nonce="..."``, escaped, or nothing): to join with other markup in one copy."""
    # The attribute is escaped JSON (a Markup), the stub our own file checked by stub_source().
    return ("<script", nonce_attr, ' data-consent-gpp="', attribute, '">', stub_source(), "</script>")
