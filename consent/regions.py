"""Which optional vendors may run before a visitor decides, by the policy of the visitor's region.

Opt-in (the EEA, the UK, Switzerland, and anywhere unknown): none, except what a region exempts (UK PECR
Schedule A1 first-party statistics: the visitor may object). Opt-out (US states under CCPA/CPRA and their
peers): every vendor, until the visitor opts out of sale and sharing; a Global Privacy Control signal is
that opt-out. Notice-only: every vendor; the visitor may still decline in the preferences.
"""

from __future__ import annotations

from .registry import RegionPolicy, Registry
from .state import Policy


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
