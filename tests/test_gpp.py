"""The GPP encoder and decoder, the derivation from the consent store, and the ``__gpp`` stub renderer.

IAB's own library checks the same code from the outside in ``test_gpp_iab.py``.
"""

from __future__ import annotations

import json
import re
from html import unescape
from typing import Any

import pytest
from conftest import registry_data, vendor
from hypothesis import given, settings
from hypothesis import strategies as st

from consent.errors import ConsentError, GPPStringError
from consent.gpp import (
    GppString,
    OtherSection,
    TcfEuV2Section,
    UsSection,
    decode_gpp,
    derive_gpp,
    encode_gpp,
    gpp_data,
    gpp_url_params,
    render_gpp_stub,
)
from consent.gpp.bits import BitReader, BitWriter
from consent.gpp.encoding import encode_header
from consent.gpp.sections import LAYOUTS, decode_section
from consent.registry import Registry
from consent.state import ConsentState, Method, Signal

# A TC string (core, disclosed vendors, publisher purposes) made by IAB's @iabgpp/cmpapi.
TC_STRING = "CQdWToAQdWToAAKAAAENAAFgAKAAAAAAAAAAPoQAwAAgAFA-gAAAAAAA.IAAA.YAAAAAAAAAAA"


# -- bits --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "bits"),
    # The Consent String Specification's table of Fibonacci codes.
    [(1, "11"), (2, "011"), (3, "0011"), (4, "1011"), (5, "00011"), (6, "10011"), (7, "01011")],
)
def test_fibonacci_codes_match_the_specification(number: int, bits: str) -> None:
    writer = BitWriter()
    writer.fibonacci(number)
    assert format(writer.value, f"0{writer.length}b") == bits


@pytest.mark.parametrize("number", [1, 2, 8, 13, 100, 4095, 1_000_000])
def test_fibonacci_round_trip(number: int) -> None:
    writer = BitWriter()
    writer.fibonacci(number)
    writer.uint(0b101, 3)  # what follows must be read back untouched
    reader = BitReader(writer.text(), "test")
    assert reader.fibonacci("n") == number
    assert reader.uint(3, "tail") == 0b101


@pytest.mark.parametrize(
    "ids", [[], [2], [2, 6], [5, 6], [7, 8, 9, 10, 12], [1, 2, 3, 10, 11, 27], list(range(1, 28))]
)
def test_fibonacci_range_round_trip(ids: list[int]) -> None:
    writer = BitWriter()
    writer.fibonacci_range(ids)
    assert BitReader(writer.text(), "test").fibonacci_range("ids") == ids


# -- header --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        # The specification's GPP string examples 1-3 (its padding: to 6 bits) ...
        ("DBABM~CPXxRfAPXxRfAAfKABENB-CgAAAAAAAAAAYgAAAAAAAA", (2,)),
        ("DBACNY~CPXxRfAPXxRfAAfKABENB-CgAAAAAAAAAAYgAAAAAAAA~1YNN", (2, 6)),
        ("DBABjw~CPXxRfAPXxRfAAfKABENB-CgAAAAAAAAAAYgAAAAAAAA~1YNN", (5, 6)),
        # ... and as IAB's library pads them (to a byte first).
        ("DBABMA~CPXxRfAPXxRfAAfKABENB-CgAAAAAAAAAAYgAAAAAAAA", (2,)),
        ("DBACNYA~CPXxRfAPXxRfAAfKABENB-CgAAAAAAAAAAYgAAAAAAAA~1YNN", (2, 6)),
    ],
)
def test_decodes_the_specification_examples(text: str, ids: tuple[int, ...]) -> None:
    decoded = decode_gpp(text)
    assert decoded.section_ids == ids
    assert [s.encode() for s in decoded.sections] == text.split("~")[1:]


@pytest.mark.parametrize(("ids", "header"), [((2,), "DBABMA"), ((2, 6), "DBACNYA"), ((5, 6), "DBABjw")])
def test_writes_headers_as_iab_library_does(ids: tuple[int, ...], header: str) -> None:
    sections = [OtherSection(i, "1YNN") if i != 2 else TcfEuV2Section(TC_STRING) for i in ids]
    assert encode_gpp(sections).split("~")[0] == header


def test_an_empty_gpp_string_has_just_a_header() -> None:
    assert encode_gpp([]) == "DBAA"
    assert decode_gpp("DBAA") == GppString(())


# -- sections --------------------------------------------------------------------------------------------

# Section strings from IAB's own test suite (iabgpp-es, modules/cmpapi/test/encoder/section), with the
# values IAB's tests state for them.
IAB_SECTIONS: list[tuple[int, str, dict[str, Any], bool | None]] = [
    (
        7,
        "CVVVkkkkkpFY.YA",
        {
            "Version": 2,
            "SharingNotice": 1,
            "SaleOptOut": 1,
            "SensitiveDataProcessing": [2, 1, 0, 2, 1, 0, 2, 1, 0, 2, 1, 0, 2, 1, 0, 2],
            "KnownChildSensitiveDataConsents": [2, 1, 0],
            "PersonalDataConsents": 1,
            "MspaCoveredTransaction": 1,
            "MspaOptOutOptionMode": 1,
            "MspaServiceProviderMode": 2,
        },
        True,
    ),
    (7, "CAAAVVVVVVRA.QA", {"Version": 2, "SensitiveDataProcessing": [1] * 16}, False),
    (
        7,
        "BAAAVVVVUQA.QA",
        {"Version": 1, "SensitiveDataProcessing": [1] * 12, "KnownChildSensitiveDataConsents": [1, 1]},
        False,
    ),
    (8, "BVWSSSVY.YA", {"SaleOptOutNotice": 1, "SensitiveDataProcessing": [2, 1, 0, 2, 1, 0, 2, 1, 0]}, True),
    (
        9,
        "BVWSSVY",
        {
            "SaleOptOut": 1,
            "SensitiveDataProcessing": [2, 1, 0, 2, 1, 0, 2, 1],
            "KnownChildSensitiveDataConsents": 1,
        },
        None,
    ),
    (
        10,
        "BVWSSVg.YA",
        {"TargetedAdvertisingOptOut": 1, "SensitiveDataProcessing": [2, 1, 0, 2, 1, 0, 2]},
        True,
    ),
    (12, "BVWSSZFg.YA", {"SaleOptOut": 1, "KnownChildSensitiveDataConsents": [2, 1, 0]}, True),
    (9, "BAAAABA", {"MspaCoveredTransaction": 1}, None),
]


@pytest.mark.parametrize(("sid", "text", "expected", "gpc"), IAB_SECTIONS)
def test_decodes_iab_test_sections(sid: int, text: str, expected: dict[str, Any], gpc: bool | None) -> None:
    section = decode_section(sid, text)
    assert isinstance(section, UsSection)
    core = section.parsed()[0]
    assert {k: core[k] for k in expected} == expected
    assert section.gpc is gpc
    assert section.encode() == text


def test_reads_usnat_version_1_written_with_version_2_widths() -> None:
    """IAB's library 3.1.x wrote "version 1" with 16 and 3 entries; its decoder keeps 12 and 2."""
    section = decode_section(7, "BAAAAAAAAABA.QA")
    assert isinstance(section, UsSection)
    assert section.version == 1
    assert section.fields["MspaCoveredTransaction"] == 1
    assert len(section.parsed()[0]["SensitiveDataProcessing"]) == 12


@pytest.mark.parametrize("name", list(LAYOUTS))
def test_every_field_survives_a_round_trip(name: str) -> None:
    layout = LAYOUTS[name]
    for version in layout.versions:
        values: dict[str, object] = {}
        for i, spec in enumerate(layout.fields(version)):
            values[spec.name] = (
                tuple((i + j) % 3 for j in range(spec.count)) if spec.count else max(spec.lowest, i % 3)
            )
        for gpc in (None, False, True) if layout.gpc else (None,):
            section = UsSection.build(name, values, version=version, gpc=gpc)
            assert decode_section(layout.id, section.encode()) == section


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"values": {"SaleOptOut": 3}}, "SaleOptOut must be 0, 1 or 2"),
        ({"values": {"MspaCoveredTransaction": 0}}, "MspaCoveredTransaction must be 1 or 2"),
        ({"values": {"SensitiveDataProcessing": [0] * 15}}, "must have 16 entries"),
        ({"values": {"Gpc": True}}, "has no field Gpc"),
        ({"version": 3}, "has no version 3"),
    ],
)
def test_build_refuses_values_the_specification_does_not_define(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        UsSection.build("usnat", **kwargs)


def test_virginia_has_no_gpc_subsection() -> None:
    with pytest.raises(ValueError, match="no GPC"):
        UsSection.build("usva", gpc=True)


# -- malformed strings -----------------------------------------------------------------------------------

USNAT = UsSection.build("usnat", gpc=False).encode()  # CAAAAAAAAACA.QA

MALFORMED = [
    ("", None, "empty"),
    ("DBABLA~" + USNAT + "!", "usnat", "URL-safe characters"),
    ("DB.BLA~" + USNAT, "header", "not a base64url character"),
    ("DBA=~" + USNAT, "header", "not a base64url character"),
    ("CBABLA~" + USNAT, "header", "header type 2"),
    ("DCABLA~" + USNAT, "header", "unsupported GPP version 2"),
    ("DBA", "header", "truncated"),
    ("DBABLA", "header", "lists 1 section(s) but 0 follow"),
    ("DBABLA~" + USNAT + "~" + USNAT, "header", "lists 1 section(s) but 2 follow"),
    ("DBABLAAAAA~" + USNAT, "header", "wrong length"),
    ("DBABLB~" + USNAT, "header", "non-zero padding"),
    ("DBABKYA~AAAA", None, "unknown section id 28"),  # 28 is not assigned
    ("DBABLA~", "usnat", "blank section"),
    ("DBABTA~1Y N", "uspv1", "URL-safe characters"),
    ("DBABLA~CAAAAAAAAACA+QA", "usnat", "URL-safe characters"),
    ("DBABLA~CAAAAAAAAA", "usnat", "truncated"),  # 60 bits of a 70-bit core
    ("DBABLA~CAAAAAAAAACAA", "usnat", "wrong length"),
    ("DBABLA~CAAAAAAAAACB", "usnat", "non-zero padding"),
    ("DBABLA~DAAAAAAAAACA", "usnat", "unsupported version 3"),
    ("DBABLA~CAAAAAAAAAAA", "usnat", "MspaCoveredTransaction must be"),
    ("DBABLA~CwAAAAAAAACA", "usnat", "SharingNotice must be 0, 1 or 2, got 3"),
    ("DBABLA~CAAAAAAAAACA.gA", "usnat", "subsection type 2"),
    ("DBABLA~CAAAAAAAAACA.QA.QA", "usnat", "2 subsections"),
    ("DBABLA~CAAAAAAAAACA.", "usnat", "empty"),
    ("DBABRg~BAAAACA.QA", "usva", "no subsections"),
    ("DBABMA~BPXxRfAPXxRfAAfKABENB-CgAAAAAAAAAAYgAAAAAAAA", "tcfeuv2", "not version 2"),
    ("DBABMA~CPXxRfAPXxRfAA.", "tcfeuv2", "base64url segments"),
    # IAB's test suite feeds these to its lenient decoder, but the specification does not define them:
    ("DBABLA~CVQqAAAACg", "usnat", "truncated"),  # version 2 label on 60 bits
    ("DBABBg~BbYbGwXY.YA", "usca", "got 3"),  # 2-bit fields holding 3
]


def test_a_gpp_string_is_text() -> None:
    with pytest.raises(GPPStringError, match="is text, got bytes"):
        decode_gpp(b"DBAA")  # type: ignore[arg-type]


@pytest.mark.parametrize(("text", "section", "reason"), MALFORMED)
def test_malformed_strings_are_rejected(text: str, section: str | None, reason: str) -> None:
    with pytest.raises(GPPStringError) as caught:
        decode_gpp(text)
    assert reason in caught.value.reason
    assert caught.value.section == section
    assert isinstance(caught.value, ConsentError)


# -- derivation from the consent store -----------------------------------------------------------------


@pytest.fixture(scope="module")
def us_registry() -> Registry:
    data = registry_data(0)
    data["vendors"] = [
        vendor("ads", 1, "marketing", sale_share=True),
        vendor("retargeting", 2, "marketing", sale_share=True),
        vendor("analytics", 3, "statistics"),
        vendor("video", 4, "functional"),
    ]
    data["regions"] = [
        {"id": "eea", "policy": "opt-in", "codes": ["DE", "FR"]},
        {"id": "us", "policy": "opt-out", "codes": ["US-CA", "US-VA", "US-CO", "US-CT", "US-TX"]},
    ]
    return Registry.model_validate(data)


def _fields(signal_section: Any) -> dict[str, Any]:
    assert isinstance(signal_section, UsSection)
    return dict(signal_section.fields)


@pytest.mark.parametrize(
    ("region", "name", "sids"),
    [
        ("US-CA", "usca", (8,)),
        ("US-VA", "usva", (9,)),
        ("US-CO", "usco", (10,)),
        ("us-ct", "usct", (12,)),
        ("US-TX", "usnat", (7,)),
        ("US", "usnat", (7,)),
    ],
)
def test_us_region_picks_one_applicable_section(
    us_registry: Registry, region: str, name: str, sids: tuple[int, ...]
) -> None:
    signal = derive_gpp(us_registry, ConsentState.undecided(us_registry), region, gpc=False)
    assert signal.sids == sids
    assert [s.name for s in signal.sections] == [name]
    assert decode_gpp(signal.gpp).section_ids == sids


def test_each_registry_is_read_on_its_own(us_registry: Registry, make_registry: Any) -> None:
    """The per-registry reading is cached: a second registry must not be answered from the first's."""
    no_sellers = make_registry(4)
    for _ in range(2):
        sold = _fields(
            derive_gpp(us_registry, ConsentState.undecided(us_registry), "US-CA", True).sections[0]
        )
        unsold = _fields(
            derive_gpp(no_sellers, ConsentState.undecided(no_sellers), "US-CA", True).sections[0]
        )
        assert (sold["SaleOptOut"], unsold["SaleOptOut"]) == (1, 0)


def test_a_malformed_tc_string_is_refused(us_registry: Registry) -> None:
    with pytest.raises(GPPStringError, match="base64url segments"):
        derive_gpp(us_registry, ConsentState.undecided(us_registry), "DE", False, "CO=bad")


def test_national_approach_uses_usnat_in_every_state(us_registry: Registry) -> None:
    signal = derive_gpp(us_registry, ConsentState.undecided(us_registry), "US-CA", False, approach="national")
    assert signal.sids == (7,)


@pytest.mark.parametrize(
    ("region", "tc", "sids", "ids"),
    [
        ("DE", TC_STRING, (2,), (2,)),
        ("DE", None, (-1,), ()),
        ("US-CA", TC_STRING, (8,), (2, 8)),
        (None, None, (-1,), ()),
    ],
)
def test_tc_string_is_section_2_and_applies_outside_the_us(
    us_registry: Registry, region: str | None, tc: str | None, sids: tuple[int, ...], ids: tuple[int, ...]
) -> None:
    signal = derive_gpp(us_registry, ConsentState.undecided(us_registry), region, False, tc)
    assert signal.sids == sids
    decoded = decode_gpp(signal.gpp)
    assert decoded.section_ids == ids
    if tc:
        assert decoded.section("tcfeuv2") == TcfEuV2Section(tc)


def _opt_out(reg: Registry, gpc_when_decided: bool = False) -> ConsentState:
    signals = [Signal.GPC] if gpc_when_decided else []
    return ConsentState.undecided(reg).with_choices(
        {"ads": False, "retargeting": False}, method=Method.OPT_OUT, signals=signals
    )


@pytest.mark.parametrize(
    ("state_kind", "gpc", "opted_out"),
    [
        ("undecided", False, 2),  # opt-out region: sale runs until the visitor opts out
        ("undecided", True, 1),  # GPC is an opt-out of sale and sharing
        ("opted_out", False, 1),
        ("accepted", False, 2),
        ("accepted", True, 1),  # GPC overrides an opt-in given without it
        ("accepted_with_gpc", True, 2),  # an opt-in given while sending GPC stands
        ("one_seller_left", False, 2),  # one seller still runs: not opted out of sale
    ],
)
def test_opt_outs_follow_the_visitor_and_gpc(
    us_registry: Registry, state_kind: str, gpc: bool, opted_out: int
) -> None:
    undecided = ConsentState.undecided(us_registry)
    states = {
        "undecided": undecided,
        "opted_out": _opt_out(us_registry),
        "accepted": ConsentState.accept_all(us_registry),
        "accepted_with_gpc": ConsentState.accept_all(us_registry, signals=[Signal.GPC]),
        "one_seller_left": undecided.with_choices({"ads": False, "retargeting": True}, method=Method.CUSTOM),
    }
    for region in ("US-CA", "US-VA", "US-CO", "US-CT", "US-TX"):
        section = derive_gpp(us_registry, states[state_kind], region, gpc).sections[0]
        fields = _fields(section)
        for name in ("SaleOptOut", "SharingOptOut", "TargetedAdvertisingOptOut"):
            if name in fields:
                assert fields[name] == opted_out, (region, name)
        for name in (
            "SaleOptOutNotice",
            "SharingOptOutNotice",
            "TargetedAdvertisingOptOutNotice",
            "SharingNotice",
        ):
            if name in fields:
                assert fields[name] == 1, (region, name)
        assert isinstance(section, UsSection)
        assert section.gpc is (gpc if region != "US-VA" else None)


def test_gpc_does_not_opt_out_where_consent_is_asked_first(us_registry: Registry) -> None:
    """In an opt-in US region nothing sells before consent, and a consent given stands."""
    data = us_registry.model_dump(mode="python")
    data["regions"] = [{"id": "strict", "policy": "opt-in", "codes": ["US-CA"]}]
    strict = Registry.model_validate(data)
    undecided = derive_gpp(strict, ConsentState.undecided(strict), "US-CA", True).sections[0]
    accepted = derive_gpp(strict, ConsentState.accept_all(strict), "US-CA", True).sections[0]
    assert _fields(undecided)["SaleOptOut"] == 1
    assert _fields(accepted)["SaleOptOut"] == 2


def test_nothing_sold_means_not_applicable(make_registry: Any) -> None:
    reg = make_registry(8)
    fields = _fields(derive_gpp(reg, ConsentState.accept_all(reg), "US-CA", True).sections[0])
    assert {k: v for k, v in fields.items() if not isinstance(v, tuple)} == {
        "SaleOptOutNotice": 0,
        "SharingOptOutNotice": 0,
        "SensitiveDataLimitUseNotice": 0,
        "SaleOptOut": 0,
        "SharingOptOut": 0,
        "PersonalDataConsents": 0,
        "MspaCoveredTransaction": 2,
        "MspaOptOutOptionMode": 0,
        "MspaServiceProviderMode": 0,
    }


@pytest.mark.parametrize(
    ("mspa", "expected"),
    [("none", (2, 0, 0)), ("opt_out_option", (1, 1, 2)), ("service_provider", (1, 2, 1))],
)
def test_mspa_modes(us_registry: Registry, mspa: Any, expected: tuple[int, int, int]) -> None:
    fields = _fields(
        derive_gpp(us_registry, ConsentState.undecided(us_registry), "US", False, mspa=mspa).sections[0]
    )
    assert (
        fields["MspaCoveredTransaction"],
        fields["MspaOptOutOptionMode"],
        fields["MspaServiceProviderMode"],
    ) == expected


def test_usnat_is_written_in_version_2(us_registry: Registry) -> None:
    section = derive_gpp(us_registry, ConsentState.undecided(us_registry), "US", False).sections[0]
    assert isinstance(section, UsSection)
    assert section.version == 2
    assert section.encode().startswith("C")


@pytest.mark.parametrize(("sids", "expected"), [((8,), "8"), ((2, 7), "2,7"), ((-1,), "-1"), ((), "-1")])
def test_url_macros(sids: tuple[int, ...], expected: str) -> None:
    assert gpp_url_params("DBABBg~BVoYYZoI.YA", sids) == {"gpp": "DBABBg~BVoYYZoI.YA", "gpp_sid": expected}


# -- the __gpp stub ----------------------------------------------------------------------------------


def test_ping_data_is_parsed_from_the_string(us_registry: Registry) -> None:
    signal = derive_gpp(us_registry, _opt_out(us_registry), "US-CA", True, TC_STRING)
    data = gpp_data(signal.gpp, signal.sids, cmp_id=300, banner_visible=True)
    assert data["gppVersion"] == "1.1"
    assert (data["cmpStatus"], data["signalStatus"], data["cmpDisplayStatus"]) == (
        "loaded",
        "ready",
        "visible",
    )
    assert data["cmpId"] == 300
    assert data["sectionList"] == [2, 8]
    assert data["applicableSections"] == [8]
    assert data["gppString"] == signal.gpp
    assert data["supportedAPIs"] == ["2:tcfeuv2", "7:usnat", "8:usca", "9:usva", "10:usco", "12:usct"]
    core, gpc = data["parsedSections"]["usca"]
    assert (core["Version"], core["SaleOptOut"], gpc) == (1, 1, {"SubsectionType": 1, "Gpc": True})
    assert "tcfeuv2" not in data["parsedSections"]  # its parsed form comes from the TCF module
    json.dumps(data)


def test_extra_parsed_sections_only_for_sections_present(us_registry: Registry) -> None:
    signal = derive_gpp(us_registry, ConsentState.undecided(us_registry), "DE", False, TC_STRING)
    data = gpp_data(signal.gpp, signal.sids, extra_parsed={"tcfeuv2": [{"Version": 2}], "tcfcav1": [{}]})
    assert data["parsedSections"] == {"tcfeuv2": [{"Version": 2}]}


def test_stub_carries_nonce_and_escaped_data() -> None:
    data = gpp_data("DBAA", [-1])
    data["note"] = '</script><script>alert(1)</script>"'
    html = str(render_gpp_stub(data, nonce='abc"def'))
    assert html.startswith('<script nonce="abc&#34;def" data-consent-gpp="')
    assert html.count("</script>") == 1 and html.endswith("</script>")
    attribute = re.search(r'data-consent-gpp="([^"]*)"', html)
    assert attribute is not None
    assert json.loads(unescape(attribute.group(1))) == data
    assert "window.__gpp = gpp" in html or "win.__gpp = gpp" in html


def test_stub_without_nonce() -> None:
    assert str(render_gpp_stub(gpp_data("DBAA", [-1]), None)).startswith("<script data-consent-gpp=")


# -- any text ----------------------------------------------------------------------------------------

FUZZ_ALPHABET = "ABCDQRSTabcwxyz019-_.~!="


@given(st.lists(st.text(alphabet=FUZZ_ALPHABET, max_size=24), min_size=1, max_size=4))
@settings(max_examples=400, deadline=None, database=None, derandomize=True)
def test_any_text_is_decoded_or_refused_with_gpp_string_error(parts: list[str]) -> None:
    """Strings built from a valid header and random sections: never another exception, and what is
    accepted encodes to a string that decodes to the same sections."""
    ids = [7, 8, 9, 10, 12, 6][: len(parts)]
    for text in (encode_header(tuple(ids)) + "~" + "~".join(parts), "~".join(parts)):
        try:
            decoded = decode_gpp(text)
        except GPPStringError:
            continue
        assert decode_gpp(decoded.encode()) == decoded
