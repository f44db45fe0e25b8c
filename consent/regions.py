"""Which optional vendors may run before a visitor decides, by the policy of the visitor's region.

Opt-in (the EEA, the UK, Switzerland, and anywhere unknown): none, except what a region exempts (UK PECR
Schedule A1 first-party statistics: the visitor may object). Opt-out (US states under CCPA/CPRA and their
peers): every vendor, until the visitor opts out of sale and sharing; a Global Privacy Control signal is
that opt-out. Notice-only: every vendor; the visitor may still decline in the preferences.
"""

from __future__ import annotations

from collections.abc import Iterable

from .registry import RegionPolicy, Registry
from .state import Policy, Signal


def default_vendors(registry: Registry, region: RegionPolicy, gpc: bool) -> frozenset[str]:
    """Optional vendors that run while the visitor has not decided about them."""
    if region.policy == "opt-in":
        return region.exempt_vendors
    vendors = registry.optional_vendors()
    if gpc:  # Global Privacy Control opts out of sale and sharing, with no banner needed
        return frozenset(v.id for v in vendors if not v.sale_share)
    return frozenset(v.id for v in vendors)


def policy_of(region: RegionPolicy) -> Policy:
    return Policy(region.policy)


def suppressed_vendors(
    registry: Registry, region: RegionPolicy, gpc: bool, signals: Iterable[Signal]
) -> frozenset[str]:
    """Vendors a Global Privacy Control signal stops even though the visitor once allowed them.

    In opt-out and notice-only regions the signal is an opt-out of sale and sharing that overrides an
    earlier opt-in given without it (CCPA regulations, section 7025); an opt-in given while the
    signal was on is the visitor's explicit choice and stands.
    """
    if not gpc or region.policy == "opt-in" or Signal.GPC in signals:
        return frozenset()
    return frozenset(v.id for v in registry.optional_vendors() if v.sale_share)
