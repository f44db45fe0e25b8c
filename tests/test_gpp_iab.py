"""GPP strings checked by IAB's own library, ``@iabgpp/cmpapi``, in one node process (``gpp_iab_worker.mjs``).

Both ways, field by field (never text): strings this package derives from generated consent states are
decoded by IAB's ``CmpApi``; strings IAB's ``GppModel`` encodes from random field values are decoded by
ours; and IAB's published test strings are decoded by both.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, SEED_REGISTRY, registry_data

from consent.gpp import TcfEuV2Section, UsSection, decode_gpp, derive_gpp, encode_gpp
from consent.gpp.sections import LAYOUTS
from consent.loader import load_registry
from consent.registry import Registry
from consent.state import ConsentState, Method, Signal

WORKER = Path(__file__).with_name("gpp_iab_worker.mjs")
IAB_LIBRARY = ROOT / "node_modules" / "@iabgpp" / "cmpapi"
REGIONS = ["US-CA", "US-VA", "US-CO", "US-CT", "US-TX", "US-NY", "US", "DE", "GB", "FR", None]

# IAB's published test strings (iabgpp-es, modules/cmpapi/test/GppModel.test.ts and section tests).
IAB_STRINGS = [
    "DBABLA~BVQqAAAAAgA.QA",
    "DBABLA~CAAAAAAAAABA.QA",
    "DBABLA~CAAAVVVVVVRA.QA",
    "DBABLA~CAAAVVVVAFBA.QA",
    "DBABLA~BAAAVVVVUQA.QA",
    "DBABLA~CVVVkkkkkpFY.YA",
    "DBABBg~BVWSSSVY.YA",
    "DBABRg~BVWSSVY",
    "DBABJg~BVWSSVg.YA",
    "DBABVg~BVWSSZFg.YA",
    "DBABTA~1YNN",
    "DBABMA~CPSG_8APSG_8AAAAAAENAAFgAAAAAAAAAAAAAOAAAABAAAAA.IAOABgAB.YAAAAAAAAAAA",
    "DBACNYA~CPSG_8APSG_8ANwAAAENAwCgAAAAAAAAAAAAAAAAAAAA.IAAA.YAAAAAAAAAAA~1YNN",
    "DBACOeA~CPSG_8APSG_8ANwAAAENAwCgAAAAAAAAAAAAAAAAAAAA.IAAA.YAAAAAAAAAAA~BPSG_8APSG_8AAyACAENGdCgf_gfgAfgfgBhADVqxGAD0AILVgAA.fHHHA4444ao~1YNN",
    "DBACOcGA~CPSG_8APSG_8ANwAAAENAAFgAAAAAAAAAAAAAAAAAAAA.IAAA.YAAAAAAAAAAA~BPSG_8APSG_8AAyACAENGdCgf_gfgAfgfgBhADVqxGAD0AILVgAA.fHHHA4444ao~1---~BAAAAAAAAABA.QA~BAAAAABA.QA~BAAAABA~BAAAAEA.QA~BAAAAAQA~BAAAAAEA.QA~BAAAAABA~BAAAAABA.QA~BAAAAAABAA.QA~BAAAAAQA.QA~BAAAAAABAA.QA~BAAAAAQA.QA~BAAAAAQA.QA~BAAAAABA.QA~BAAAAAAAQA.QA~BAAAAAQA.QA~BAAAAAQA.QA~BQAA.QA~BQAA.AAA~BQAA.AAA~BQAA.AAA",
]


class Iab:
    """The worker: one request line in, one answer line out."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process

    def __call__(self, request: dict[str, Any]) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        assert line, f"the IAB worker stopped: {self.process.stderr.read() if self.process.stderr else ''}"
        answer: dict[str, Any] = json.loads(line)
        return answer


@pytest.fixture(scope="module")
def iab() -> Iterator[Iab]:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is missing: IAB's GPP library runs on Node.js", pytrace=False)
    if not IAB_LIBRARY.exists():
        pytest.fail(f"{IAB_LIBRARY} is missing: run `npm ci`", pytrace=False)
    process = subprocess.Popen(
        [node, str(WORKER)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield Iab(process)
    finally:
        process.communicate(timeout=30)  # closes its stdin, so it ends, and collects its pipes


def iab_view(section: UsSection) -> dict[str, Any]:
    """What IAB's getSection shows for a section: one flat object, GPC under IAB's own names."""
    core, *rest = section.parsed()
    flat = dict(core)
    if LAYOUTS[section.name].gpc:
        flat["GpcSegmentType"] = 1
        flat["Gpc"] = bool(rest and rest[0]["Gpc"])
    return flat


def tc_pool(iab: Iab) -> list[str]:
    """TC strings made by IAB's library: various CMPs, purposes and vendors up to id 3,000."""
    rng = random.Random(2)
    pool = []
    for cmp_id in (10, 300, 4000):
        vendors = sorted(rng.sample(range(1, 3001), rng.randint(0, 40)))
        answer = iab(
            {
                "op": "tcf",
                "fields": {
                    "CmpId": cmp_id,
                    "CmpVersion": rng.randint(1, 50),
                    "VendorListVersion": rng.randint(1, 200),
                    "PurposeConsents": [rng.random() < 0.5 for _ in range(10)],
                    "VendorConsents": vendors,
                    "VendorsDisclosed": vendors,
                    "Created": "2026-11-30T00:00:00Z",
                    "LastUpdated": "2026-11-30T00:00:00Z",
                },
            }
        )
        assert answer["ok"], answer
        pool.append(answer["tc"])
    return pool


def registries() -> list[Registry]:
    seed = load_registry(SEED_REGISTRY)
    rng = random.Random(3)
    made = [seed]
    for count, share in ((12, 0.5), (30, 0.1), (6, 0.0)):
        data = registry_data(count)
        for entry in data["vendors"]:
            entry["sale_share"] = rng.random() < share
        data["regions"] = [
            {"id": "us", "policy": "opt-out", "codes": ["US-CA", "US-VA", "US-CO", "US-CT", "US-TX"]},
            {"id": "eu", "policy": "opt-in", "codes": ["DE", "FR"]},
        ]
        made.append(Registry.model_validate(data))
    return made


def random_state(reg: Registry, rng: random.Random) -> ConsentState:
    undecided = ConsentState.undecided(reg)
    kind = rng.choice(["undecided", "accept", "reject", "custom", "opt_out"])
    signals = [Signal.GPC] if rng.random() < 0.3 else []
    if kind == "undecided":
        return undecided
    if kind == "accept":
        return ConsentState.accept_all(reg, signals=signals)
    if kind == "reject":
        return ConsentState.reject_all(reg, signals=signals)
    method = Method.OPT_OUT if kind == "opt_out" else Method.CUSTOM
    choices = {v.id: rng.random() < 0.5 for v in reg.optional_vendors()}
    return undecided.with_choices(choices, method=method, signals=signals)


def test_iab_decodes_what_we_derive_from_random_states(iab: Iab) -> None:
    rng = random.Random(16)
    pool = tc_pool(iab)
    tc_fields = {}
    for tc in pool:
        alone = iab({"op": "decode", "gpp": f"DBABMA~{tc}"})
        assert alone["ok"], alone
        tc_fields[tc] = alone["sections"]["tcfeuv2"]
    regs = registries()
    seen: set[tuple[str, int]] = set()
    for _ in range(520):
        reg = rng.choice(regs)
        state = random_state(reg, rng)
        region = rng.choice(REGIONS)
        gpc = rng.random() < 0.4
        tc = rng.choice([None, *pool])
        signal = derive_gpp(
            reg,
            state,
            region,
            gpc,
            tc,
            approach=rng.choice(["state", "state", "national"]),
            mspa=rng.choice(["none", "opt_out_option", "service_provider"]),
        )
        answer = iab({"op": "decode", "gpp": signal.gpp})
        assert answer["ok"], (signal.gpp, answer)
        assert answer["sectionList"] == [s.id for s in signal.sections]
        assert answer["ping"]["gppString"] == signal.gpp
        for section in signal.sections:
            decoded = answer["sections"][section.name]
            if isinstance(section, TcfEuV2Section):
                assert decoded == tc_fields[section.text]
                continue
            assert isinstance(section, UsSection)
            assert decoded == iab_view(section), signal.gpp
            if section.name in answer["gpcIncluded"]:
                assert answer["gpcIncluded"][section.name] is (section.gpc is not None)
            seen.add((section.name, section.fields.get("SaleOptOut", -1)))
    # the generated states reached every section and every opt-out value it can carry
    for name in ("usnat", "usca", "usva", "usco", "usct"):
        assert {value for n, value in seen if n == name} == {0, 1, 2}, name


def random_fields(name: str, rng: random.Random) -> tuple[dict[str, Any], int]:
    layout = LAYOUTS[name]
    version = rng.choice(list(layout.versions))
    fields: dict[str, Any] = {"Version": version}
    for spec in layout.fields(version):
        if spec.count:
            fields[spec.name] = [rng.randint(0, 2) for _ in range(spec.count)]
        else:
            fields[spec.name] = rng.randint(spec.lowest, 2)
    return fields, version


def test_we_decode_what_iab_encodes(iab: Iab) -> None:
    rng = random.Random(61)
    pool = tc_pool(iab)
    for _ in range(300):
        names = rng.sample(list(LAYOUTS), rng.randint(1, len(LAYOUTS)))
        request: dict[str, Any] = {"op": "encode", "sections": {}, "gpcIncluded": {}}
        expected: dict[str, tuple[dict[str, Any], bool | None]] = {}
        for name in names:
            fields, _ = random_fields(name, rng)
            gpc: bool | None = None
            if LAYOUTS[name].gpc:
                included = rng.random() < 0.7
                request["gpcIncluded"][name] = included
                if included:
                    gpc = rng.random() < 0.5
                    fields["Gpc"] = gpc
            request["sections"][name] = fields
            expected[name] = (fields, gpc)
        tc = rng.choice([None, *pool])
        request["tc"] = tc
        answer = iab(request)
        assert answer["ok"], answer
        text = answer["gpp"]
        decoded = decode_gpp(text)
        assert sorted(s.name for s in decoded.sections if isinstance(s, UsSection)) == sorted(names)
        for name, (fields, gpc) in expected.items():
            section = decoded.section(name)
            assert isinstance(section, UsSection)
            core = section.parsed()[0]
            assert core == {k: v for k, v in fields.items() if k != "Gpc"}, text
            assert section.gpc is gpc
        if tc is not None:
            assert decoded.section("tcfeuv2") == TcfEuV2Section(tc)


def _with_tc(gpp: str, tc: str) -> str:
    """``gpp`` with the TC string as section 2, by our encoder."""
    return encode_gpp([*decode_gpp(gpp).sections, TcfEuV2Section(tc)])


def test_iab_reads_the_tc_string_we_carry_unchanged(iab: Iab) -> None:
    for tc in tc_pool(iab):
        ours = iab({"op": "decode", "gpp": _with_tc("DBABLA~CAAAAAAAAACA.QA", tc)})
        alone = iab({"op": "decode", "gpp": f"DBABMA~{tc}"})
        assert ours["ok"] and alone["ok"]
        assert ours["sections"]["tcfeuv2"] == alone["sections"]["tcfeuv2"]
        assert ours["sectionList"] == [2, 7]


@pytest.mark.parametrize("text", IAB_STRINGS)
def test_iab_published_strings_decode_alike(iab: Iab, text: str) -> None:
    ours = decode_gpp(text)
    theirs = iab({"op": "decode", "gpp": text})
    assert theirs["ok"], theirs
    assert list(ours.section_ids) == theirs["sectionList"]
    for section in ours.sections:
        if isinstance(section, UsSection):
            assert iab_view(section) == theirs["sections"][section.name]
        else:  # carried as text: encoding it again gives IAB the same section
            again = iab({"op": "decode", "gpp": ours.encode()})
            assert again["sections"][section.name] == theirs["sections"][section.name]
