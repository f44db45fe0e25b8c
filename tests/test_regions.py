"""Regional policies: the registry's regions, what runs before a decision, and a state read elsewhere."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

import pytest
from conftest import read_in, vendor

from consent.codec import CookieCodec
from consent.errors import RegistryError
from consent.regions import default_vendors, policy_of, resolve_region
from consent.registry import POLICY_ORDER, RegionPolicy, Registry
from consent.state import ConsentState, Decision, Method, Policy, Signal

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
OPTIONAL = {"site-stats", "analytics", "video", "ads", "retarget"}
SELLERS = {"ads", "retarget"}


def region_data(**overrides: Any) -> dict[str, Any]:
    """A small registry with one region of each kind (and a UK-style exemption)."""
    data: dict[str, Any] = {
        "name": "Regions",
        "categories": [
            {"id": "necessary", "title": "Necessary", "required": True, "justification": "Security."},
            {"id": "functional", "title": "Features", "order": 1},
            {"id": "statistics", "title": "Statistics", "order": 2},
            {"id": "marketing", "title": "Marketing", "order": 3},
        ],
        "vendors": [
            vendor("essential", 1, "necessary"),
            vendor("site-stats", 2, "statistics"),
            vendor("analytics", 3, "statistics"),
            vendor("video", 4, "functional"),
            vendor("ads", 5, "marketing", sale_share=True),
            vendor("retarget", 6, "marketing", sale_share=True),
        ],
        "regions": [
            {"id": "eu", "policy": "opt-in", "codes": ["DE", "FR"]},
            {"id": "uk", "policy": "opt-in", "codes": ["GB"], "exempt_vendors": ["site-stats"]},
            {"id": "us-states", "policy": "opt-out", "codes": ["US-CA", "US-VA"]},
            {"id": "japan", "policy": "notice", "codes": ["JP"]},
        ],
    }
    data.update(overrides)
    return data


@pytest.fixture(scope="module")
def reg() -> Registry:
    return Registry.model_validate(region_data())


def allowed_optional(state: ConsentState) -> set[str]:
    return {v.id for v in state.registry.optional_vendors() if state.allows(v.id)}


def decided(reg: Registry, code: str, method: Method, *, gpc: bool = False) -> ConsentState:
    """A decision taken in ``code`` with one of the one-step actions."""
    region = reg.policy_for(code)
    policy = policy_of(region)
    signals = [Signal.GPC] if gpc else []
    state = ConsentState.undecided(reg, signals=signals, policy=policy)
    if method is Method.ACCEPT_ALL:
        return ConsentState.accept_all(reg, now=NOW, policy=policy, signals=signals)
    if method is Method.REJECT_ALL:
        return ConsentState.reject_all(reg, now=NOW, policy=policy, signals=signals)
    if method is Method.OPT_OUT:
        sellers = {v.id: False for v in reg.optional_vendors() if v.sale_share}
        return state.with_choices(sellers, method=method, now=NOW)
    return state.with_choices({}, method=method, now=NOW)


# -- the registry: which policy where ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "region", "policy", "exempt"),
    [
        ("DE", "eu", "opt-in", set()),
        ("fr", "eu", "opt-in", set()),
        (" DE ", "eu", "opt-in", set()),
        ("DE-BY", "eu", "opt-in", set()),  # a subdivision of a listed country: the country's region
        ("GB", "uk", "opt-in", {"site-stats"}),
        ("US-CA", "us-states", "opt-out", set()),
        ("us-va", "us-states", "opt-out", set()),
        ("JP", "japan", "notice", set()),
        ("JP-13", "japan", "notice", set()),
    ],
)
def test_policy_for_a_listed_region(
    code: str, region: str, policy: str, exempt: set[str], reg: Registry
) -> None:
    assert reg.policy_for(code) == RegionPolicy(region, policy, frozenset(exempt))  # type: ignore[arg-type]


@pytest.mark.parametrize("default_policy", ["opt-in", "opt-out", "notice"])
@pytest.mark.parametrize("code", ["US", "US-NY", "BR", "CA-QC"])
def test_a_known_region_listed_nowhere_gets_the_default_policy(code: str, default_policy: str) -> None:
    reg = Registry.model_validate(region_data(default_policy=default_policy))

    assert reg.policy_for(code) == RegionPolicy(None, default_policy, frozenset())  # type: ignore[arg-type]


@pytest.mark.parametrize("default_policy", ["opt-out", "notice"])
@pytest.mark.parametrize(
    "code",
    [
        None,
        "",
        "   ",
        "XX",
        "xx",
        "ZZ",
        "XX-CA",
        "T1",
        "A1",
        "USA",
        "US,CA",
        "US-",
        "-CA",
        "US-CALIF",
        "D E",
        "ü",
    ],
)
def test_an_unknown_or_malformed_region_gets_the_strictest_policy(
    code: str | None, default_policy: str
) -> None:
    # Even where the site's default for known regions is lenient: "unknown" is never "known elsewhere".
    reg = Registry.model_validate(region_data(default_policy=default_policy))

    assert reg.policy_for(code) == RegionPolicy(None, "opt-in", frozenset())


def test_a_subdivision_listed_on_its_own_wins_over_its_country() -> None:
    reg = Registry.model_validate(
        region_data(
            regions=[
                {"id": "us", "policy": "notice", "codes": ["US"]},
                {"id": "california", "policy": "opt-out", "codes": ["US-CA"]},
            ]
        )
    )

    assert reg.policy_for("US-CA").region == "california"
    assert reg.policy_for("US-NY").region == "us"
    assert reg.policy_for("US").region == "us"


def test_without_regions_everyone_is_under_the_default_policy() -> None:
    reg = Registry.model_validate(region_data(regions=[]))

    assert reg.default_policy == "opt-in"
    assert reg.policy_for("US-CA") == RegionPolicy(None, "opt-in", frozenset())


def test_policy_order_is_strictest_first() -> None:
    assert POLICY_ORDER == ("opt-in", "opt-out", "notice")
    assert tuple(Policy) == tuple(Policy(p) for p in POLICY_ORDER)


@pytest.mark.parametrize(
    ("regions", "message"),
    [
        (
            [{"id": "us", "policy": "opt-out", "codes": ["US-CA"], "exempt_vendors": ["site-stats"]}],
            "exemptions only make sense in an opt-in region",
        ),
        (
            [{"id": "uk", "policy": "opt-in", "codes": ["GB"], "exempt_vendors": ["nobody"]}],
            "'nobody' is not an optional vendor",
        ),
        (
            [{"id": "uk", "policy": "opt-in", "codes": ["GB"], "exempt_vendors": ["essential"]}],
            "'essential' is not an optional vendor",
        ),
        (
            [
                {"id": "eu", "policy": "opt-in", "codes": ["DE", "GB"]},
                {"id": "uk", "policy": "opt-in", "codes": ["GB"]},
            ],
            "GB is already in region 'eu'",
        ),
    ],
)
def test_region_mistakes_are_registry_errors(regions: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(RegistryError, match=message):
        Registry.model_validate(region_data(regions=regions))


@pytest.mark.parametrize(
    "region",
    [
        {"id": "x", "policy": "opt-in", "codes": ["de"]},
        {"id": "x", "policy": "opt-in", "codes": ["USA"]},
        {"id": "x", "policy": "opt-in", "codes": ["US-CALIF"]},
        {"id": "x", "policy": "opt-in", "codes": []},
        {"id": "x", "policy": "gdpr", "codes": ["DE"]},
        {"id": "x", "policy": "opt-in", "codes": ["DE"], "unknown": 1},
    ],
)
def test_malformed_regions_are_rejected(region: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        Registry.model_validate(region_data(regions=[region]))


def test_an_unknown_default_policy_is_rejected() -> None:
    with pytest.raises(ValueError):
        Registry.model_validate(region_data(default_policy="opt-maybe"))


def test_the_example_site_declares_its_regions(seed_registry: Registry) -> None:
    assert seed_registry.policy_for("DE").policy == "opt-in"
    assert seed_registry.policy_for("CH").region == "eea-ch"
    assert seed_registry.policy_for("GB") == RegionPolicy(
        "uk", "opt-in", frozenset({"hubpages-traffic-pixel"})
    )
    assert seed_registry.policy_for("US-CA") == RegionPolicy("us-opt-out", "opt-out", frozenset())
    assert seed_registry.policy_for("US-NY").policy == "opt-in"
    assert {v.id for v in seed_registry.vendors if v.sale_share} >= {"google-adsense", "google-doubleclick"}


@pytest.mark.parametrize(
    ("code", "policy"),
    [
        ("DE", "opt-in"),
        ("CH", "opt-in"),
        ("GB", "opt-in"),
        ("FR", "opt-in"),
        ("DE-BY", "opt-in"),
        ("US-CA", "opt-out"),
        ("us-tx", "opt-out"),
        ("US-VA", "opt-out"),
        ("US-NY", "opt-in"),  # known, listed nowhere: the registry's default_policy
        ("US", "opt-in"),
        ("ZZ", "opt-in"),
        ("XX", "opt-in"),
        ("", "opt-in"),
        (None, "opt-in"),
        ("US-CA, US-TX", "opt-in"),  # a header repeated by a proxy is no code
    ],
)
def test_the_example_site_policy_by_code(code: str | None, policy: str, seed_registry: Registry) -> None:
    # The codes the Flask tests once sent through the region header, resolver and subdivision header.
    assert resolve_region(seed_registry, code).policy is Policy(policy)


# -- what runs before a decision ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "gpc", "expected"),
    [
        ("DE", False, set()),
        ("DE", True, set()),
        (None, False, set()),
        (None, True, set()),
        ("GB", False, {"site-stats"}),
        ("GB", True, {"site-stats"}),  # first-party statistics sell and share nothing
        ("US-CA", False, OPTIONAL),
        ("US-CA", True, OPTIONAL - SELLERS),
        ("JP", False, OPTIONAL),
        ("JP", True, OPTIONAL - SELLERS),
    ],
)
def test_default_vendors_by_policy_and_signal(
    code: str | None, gpc: bool, expected: set[str], reg: Registry
) -> None:
    assert default_vendors(reg, reg.policy_for(code), gpc) == expected


@pytest.mark.parametrize("code", ["DE", "GB", None])
def test_gpc_never_grants_anything_in_an_opt_in_region(code: str | None, reg: Registry) -> None:
    region = reg.policy_for(code)

    assert default_vendors(reg, region, True) == default_vendors(reg, region, False)
    assert default_vendors(reg, region, True) <= region.exempt_vendors


def test_policy_of_maps_each_registry_policy(reg: Registry) -> None:
    assert [policy_of(reg.policy_for(code)) for code in ("DE", "US-CA", "JP", None)] == [
        Policy.OPT_IN,
        Policy.OPT_OUT,
        Policy.NOTICE,
        Policy.OPT_IN,
    ]


# -- a state read in a region ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "gpc", "allowed"),
    [
        ("DE", False, set()),
        ("DE", True, set()),
        (None, False, set()),
        ("GB", False, {"site-stats"}),
        ("US-CA", False, OPTIONAL),
        ("US-CA", True, OPTIONAL - SELLERS),
        ("JP", False, OPTIONAL),
    ],
)
def test_an_undecided_visitor(code: str | None, gpc: bool, allowed: set[str], reg: Registry) -> None:
    state = read_in(ConsentState(reg), reg, code, gpc=gpc)

    assert allowed_optional(state) == allowed
    assert state.allows("essential")
    assert state.needs_prompt()
    assert state.policy is state.current_policy is policy_of(reg.policy_for(code))
    assert all(state.vendor_decision(v) is Decision.UNASKED for v in OPTIONAL)


@pytest.mark.parametrize(
    ("method", "allowed"),
    [
        (Method.OPT_OUT, OPTIONAL - SELLERS),
        (Method.ACKNOWLEDGE, OPTIONAL),
        (Method.ACCEPT_ALL, OPTIONAL),
        (Method.REJECT_ALL, set()),
    ],
)
def test_decisions_in_an_opt_out_region(method: Method, allowed: set[str], reg: Registry) -> None:
    state = read_in(decided(reg, "US-CA", method), reg, "US-VA")

    assert state.policy is Policy.OPT_OUT
    assert allowed_optional(state) == allowed
    assert not state.needs_prompt()


def test_opt_out_denies_exactly_the_sellers_and_leaves_the_rest_unasked(reg: Registry) -> None:
    state = decided(reg, "US-CA", Method.OPT_OUT)

    assert {v: state.vendor_decision(v) for v in OPTIONAL} == {
        v: Decision.DENIED if v in SELLERS else Decision.UNASKED for v in OPTIONAL
    }
    assert state.method is Method.OPT_OUT


def test_a_gpc_visitor_may_still_opt_in_explicitly(reg: Registry) -> None:
    state = read_in(decided(reg, "US-CA", Method.ACCEPT_ALL, gpc=True), reg, "US-CA", gpc=True)

    assert allowed_optional(state) == OPTIONAL
    assert state.method is Method.ACCEPT_ALL
    assert state.signals == {Signal.GPC}


@pytest.mark.parametrize("method", [Method.OPT_OUT, Method.ACKNOWLEDGE])
@pytest.mark.parametrize("code", ["DE", None, "XX"])
def test_a_lenient_decision_read_in_an_opt_in_region_asks_again_and_allows_nothing_optional(
    method: Method, code: str | None, reg: Registry
) -> None:
    state = read_in(decided(reg, "US-CA", method), reg, code)

    assert state.policy is Policy.OPT_OUT  # the policy it was decided under
    assert state.current_policy is Policy.OPT_IN
    assert state.stricter_policy_applies
    assert state.needs_prompt()
    assert allowed_optional(state) == set()
    assert state.allows("essential")


def test_under_an_exemption_a_lenient_decision_allows_only_the_exempt_vendor(reg: Registry) -> None:
    state = read_in(decided(reg, "US-CA", Method.ACKNOWLEDGE), reg, "GB")

    assert state.needs_prompt()
    assert allowed_optional(state) == {"site-stats"}


@pytest.mark.parametrize(
    ("decided_in", "read_where", "asks_again"),
    [
        (decided_in, read_where, POLICY_ORDER.index(read_where[1]) < POLICY_ORDER.index(decided_in[1]))
        for decided_in, read_where in itertools.product(
            [("DE", "opt-in"), ("US-CA", "opt-out"), ("JP", "notice")], repeat=2
        )
    ],
    ids=lambda v: str(v) if isinstance(v, bool) else v[1],
)
def test_asked_again_exactly_where_a_stricter_policy_applies(
    decided_in: tuple[str, str], read_where: tuple[str, str], asks_again: bool, reg: Registry
) -> None:
    state = read_in(decided(reg, decided_in[0], Method.ACCEPT_ALL), reg, read_where[0])

    assert state.stricter_policy_applies is asks_again
    assert state.needs_prompt() is asks_again


def test_an_undecided_state_takes_the_current_policy_a_decided_one_keeps_its_own(reg: Registry) -> None:
    undecided = ConsentState(reg)
    assert read_in(undecided, reg, "JP").policy is Policy.NOTICE
    assert read_in(undecided, reg, "JP").current_policy is Policy.NOTICE

    state = read_in(decided(reg, "DE", Method.REJECT_ALL), reg, "JP")
    assert (state.policy, state.current_policy) == (Policy.OPT_IN, Policy.NOTICE)
    assert state.as_dict()["policy"] == "opt-in"
    assert state.as_dict()["current_policy"] == "notice"


def test_an_opt_in_decision_travels_intact(reg: Registry) -> None:
    rejected = read_in(decided(reg, "DE", Method.REJECT_ALL), reg, "US-CA")

    assert allowed_optional(rejected) == set()  # unasked-only defaults never override an explicit "no"
    assert not rejected.needs_prompt()


# -- exemptions (UK PECR Schedule A1: object, not opt in) --------------------------------------------


def test_the_exempt_vendor_runs_before_a_decision_and_stops_on_objection(reg: Registry) -> None:
    before = read_in(ConsentState(reg), reg, "GB")
    assert allowed_optional(before) == {"site-stats"}
    assert before.needs_prompt()  # the banner still asks

    rejected = read_in(decided(reg, "GB", Method.REJECT_ALL), reg, "GB")
    assert not rejected.allows("site-stats")

    custom = read_in(
        ConsentState(reg).with_choices(
            {"video": True}, {"functional": True}, method=Method.CUSTOM, now=NOW, policy=Policy.OPT_IN
        ),
        reg,
        "GB",
    )
    assert custom.vendor_decision("site-stats") is Decision.UNASKED
    assert custom.allows("site-stats")  # not objected to: still exempt
    assert allowed_optional(custom) == {"video", "site-stats"}


def test_the_exemption_applies_only_in_its_region(reg: Registry) -> None:
    assert not read_in(ConsentState(reg), reg, "DE").allows("site-stats")
    assert not read_in(ConsentState(reg), reg, None).allows("site-stats")


# -- notice-only regions -----------------------------------------------------------------------------


def test_notice_region_acknowledge_keeps_everything_running_and_a_decline_is_kept(reg: Registry) -> None:
    acknowledged = read_in(decided(reg, "JP", Method.ACKNOWLEDGE), reg, "JP")
    assert acknowledged.policy is Policy.NOTICE
    assert allowed_optional(acknowledged) == OPTIONAL
    assert not acknowledged.needs_prompt()

    declined = read_in(
        ConsentState.undecided(reg, policy=Policy.NOTICE).with_choices(
            {"video": False}, method=Method.CUSTOM, now=NOW
        ),
        reg,
        "JP",
    )
    assert allowed_optional(declined) == OPTIONAL - {"video"}


# -- what the cookie keeps ---------------------------------------------------------------------------


@pytest.mark.parametrize("method", [Method.OPT_OUT, Method.ACKNOWLEDGE, Method.ACCEPT_ALL])
@pytest.mark.parametrize("code", ["US-CA", "JP", "GB"])
@pytest.mark.parametrize("gpc", [False, True])
def test_the_cookie_keeps_policy_method_and_signal(
    method: Method, code: str, gpc: bool, reg: Registry
) -> None:
    codec = CookieCodec(reg, "secret")
    state = decided(reg, code, method, gpc=gpc)

    back = codec.decode(codec.encode(state), now=NOW)

    assert (back.policy, back.method, back.signals) == (state.policy, method, state.signals)
    assert back.policy is policy_of(reg.policy_for(code))
    assert {v: back.vendor_decision(v) for v in OPTIONAL} == {v: state.vendor_decision(v) for v in OPTIONAL}
    # The regional defaults are per request, never stored.
    assert back.defaults == back.suppressed == 0
    assert back.current_policy is None


def test_what_runs_depends_on_the_region_and_gpc(reg: Registry) -> None:
    allowed = {
        read_in(ConsentState(reg), reg, code, gpc=gpc).allowed
        for code in ("DE", "GB", "US-CA")
        for gpc in (False, True)
    }

    assert len(allowed) == 4  # DE with or without GPC is the same; GB likewise; US-CA differs by GPC
