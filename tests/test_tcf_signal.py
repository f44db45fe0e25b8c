"""The per-request TCF signal (``consent.tcf.signal``) against the slow reference derivation, over 600
random states of random registries; its strings judged by IAB's own library.

The fast path joins the TC string and TCData from per-registry tables (GVL masks gathered a byte at a
time, vendor sections and maps spelled out from per-byte pieces, pieces per combination of category
decisions); the reference in ``tcf_support.reference`` asks the state vendor by vendor and builds
TCData as a dict. They must agree to the byte.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator

import pytest
from tcf_support.iab import IabTcf, fields_of
from tcf_support.reference import (
    random_registry,
    random_state,
    reference_model,
    reference_ping,
    reference_tcdata,
)

from consent.state import ConsentState
from consent.tcf import decode_tc_string, encode_tc_string, tc_string_for
from consent.tcf.cmpapi import build_tcdata, render_signal_stub, render_tcf_stub
from consent.tcf.derive import CmpSettings, decision_bits, tc_model_for, tcf_table
from consent.tcf.signal import SignalTable, tcf_signal

STATES = 600
REGISTRIES = 40
COMPACT = {"separators": (",", ":")}


@pytest.fixture(scope="module")
def iab() -> Iterator[IabTcf]:
    judge = IabTcf()
    yield judge
    judge.close()


def cases(seed: int) -> Iterator[tuple[object, ConsentState, CmpSettings, bool, bool]]:
    rng = random.Random(seed)
    registries = [random_registry(rng) for _ in range(REGISTRIES)]
    for _ in range(STATES):
        registry = rng.choice(registries)
        cmp = CmpSettings(
            rng.randint(2, 4095),
            rng.randint(1, 4095),
            rng.choice(["EN", "DE", "FR"]),
            rng.randint(0, 63),
            rng.random() < 0.8,
        )
        yield registry, random_state(rng, registry), cmp, rng.random() < 0.9, rng.random() < 0.3


def test_the_signal_equals_the_reference_derivation_byte_for_byte() -> None:
    seen = {"decided": 0, "undecided": 0, "gdpr off": 0, "ranges": 0, "bit field": 0, "ac": 0, "pub": 0}
    for registry, state, cmp, applies, banner in cases(16):
        assert isinstance(registry, type(state.registry))
        gvl_version = registry.tcf.vendor_list_version if registry.tcf else None
        signal = tcf_signal(
            registry, state, cmp, gdpr_applies=applies, banner_shown=banner, gvl_version=gvl_version
        )
        model = reference_model(registry, state, cmp)
        expected_string = encode_tc_string(model) if model is not None and applies else None
        assert signal.tc_string == expected_string
        expected = reference_tcdata(
            registry, state, cmp, expected_string, gdpr_applies=applies, banner_shown=banner
        )
        assert signal.tcdata_json == json.dumps(expected, **COMPACT)  # the text, member order included
        assert signal.ac_string == expected.get("addtlConsent")
        assert json.loads(signal.ping_json) == reference_ping(
            cmp, registry.tcf.tcf_policy_version, gvl_version, gdpr_applies=applies
        )
        if not applies:
            seen["gdpr off"] += 1
        elif model is None:
            seen["undecided"] += 1
        else:
            seen["decided"] += 1
            core = decode_tc_string(signal.tc_string or "")
            for vendors in (core.vendor_consents, core.vendor_legitimate_interests):
                seen[
                    "ranges" if len(vendors) and len(vendors) * 17 + 12 < vendors.max_id else "bit field"
                ] += 1
            seen["ac"] += signal.ac_string is not None
            seen["pub"] += model.publisher_tc is not None
    assert min(seen.values()) >= 20, seen  # every branch exercised


def test_iab_reads_the_signal_strings_as_the_reference_model(iab: IabTcf) -> None:
    checked = 0
    for registry, state, cmp, _applies, _banner in cases(23):
        signal = tcf_signal(registry, state, cmp)
        model = reference_model(registry, state, cmp)
        if model is None:
            assert signal.tc_string is None
            continue
        answer = iab.decode(signal.tc_string or "")
        assert answer["ok"], (answer, signal.tc_string)
        assert answer["fields"] == fields_of(decode_tc_string(encode_tc_string(model))), signal.tc_string
        checked += 1
    assert checked >= 300


def test_the_model_and_the_string_for_agree_with_the_signal() -> None:
    for registry, state, cmp, _applies, _banner in cases(5):
        signal = tcf_signal(registry, state, cmp)
        assert tc_string_for(registry, state, cmp) == signal.tc_string
        assert tc_model_for(registry, state, cmp) == reference_model(registry, state, cmp)
        assert build_tcdata(registry, state, cmp) == json.loads(signal.tcdata_json)


def test_pieces_are_kept_per_combination_of_category_decisions_never_per_visitor() -> None:
    rng = random.Random(3)
    registry = random_registry(rng)
    cmp = CmpSettings(300, 1)
    keys = set()
    for _ in range(300):
        state = random_state(rng, registry)
        tcf_signal(registry, state, cmp)
        if state.is_decided:
            keys.add(decision_bits(tcf_table(registry), state))
    table = registry.derived(SignalTable.build)
    # One entry per combination of category decisions and objected purposes met, shared by every
    # visitor who decided alike (and at most 3**categories without objections).
    assert table.pieces.cache_info().currsize == min(len(keys), 256)  # type: ignore[attr-defined]
    categories = len(tcf_table(registry).decision_categories)
    assert len({(granted, denied) for granted, denied, objected in keys if not objected}) <= 3**categories


def test_a_state_read_against_an_edited_registry_is_rebound_first() -> None:
    rng = random.Random(11)
    registry = random_registry(rng)
    state = ConsentState.accept_all(registry)
    copy = registry.model_copy()  # equal, but another object: the state is rebound to it
    cmp = CmpSettings(300, 1)
    assert tcf_signal(copy, state, cmp).tc_string == tcf_signal(registry, state, cmp).tc_string


def test_the_signal_stub_is_the_dict_stub_with_the_same_data() -> None:
    rng = random.Random(9)
    registry = random_registry(rng)
    state = ConsentState.accept_all(registry)
    cmp = CmpSettings(300, 1)
    signal = tcf_signal(registry, state, cmp, gvl_version=7)
    tcdata = json.loads(signal.tcdata_json)
    assert render_signal_stub(signal, "n<1") == render_tcf_stub(tcdata, "n<1", gvl_version=7)
    assert 'nonce="n&lt;1"' in render_signal_stub(signal, "n<1")
