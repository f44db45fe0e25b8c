"""The law where the visitor is: one value the rest of the package reads.

:func:`resolve_region` turns (registry, region code, Global Privacy Control) into a :class:`Region`;
:meth:`Region.read` applies it to a stored state. The web layer only extracts the code from a request.

Opt-in (the EEA, the UK, Switzerland, and anywhere unknown): no optional vendor runs before a choice,
except what a region exempts (UK PECR Schedule A1 first-party statistics: the visitor may object).
Opt-out (US states under CCPA/CPRA and their peers): every vendor runs until the visitor opts out of
sale and sharing; a Global Privacy Control signal is that opt-out. Notice-only: every vendor runs; the
visitor may still decline in the preferences.
"""

from __future__ import annotations

from dataclasses import dataclass

from .registry import RegionPolicy, Registry
from .state import ConsentState, Policy, Signal


@dataclass(frozen=True, slots=True)
class Region:
    """The policy in force for one visitor, and what it lets run before (or despite) their choices."""

    #: The matching region's id in the registry; ``None`` when the default or "unknown" applies.
    id: str | None
    policy: Policy
    #: The request carries ``Sec-GPC: 1``.
    gpc: bool
    #: Optional vendors that run while the visitor has not decided about them (a vendor mask).
    defaults: int
    #: Vendors a GPC signal stops even where the visitor opted in without it (a vendor mask).
    gpc_stops: int

    @property
    def signals(self) -> frozenset[Signal]:
        """The privacy signals of this request, as a decision records them."""
        return _GPC if self.gpc else _NONE

    def read(self, stored: ConsentState) -> ConsentState:
        """``stored`` as it applies here: the region's policy, defaults and signals."""
        # An opt-in given while the signal was on is the visitor's explicit choice and stands.
        stops = 0 if Signal.GPC in stored.signals else self.gpc_stops
        return stored.in_region(self.policy, self.defaults, stops)


_GPC = frozenset({Signal.GPC})
_NONE: frozenset[Signal] = frozenset()


def resolve_region(registry: Registry, code: str | None, gpc: bool = False) -> Region:
    """The :class:`Region` for a visitor from ``code`` (``"US-CA"``, ``"DE"``; ``None``: unknown)."""
    policy = registry.policy_for(code)
    table = registry.derived(_RegionTable)
    key = (policy.region, policy.policy, gpc)
    region = table.get(key)
    if region is None:  # at most two per region of the registry, and two for the default
        region = table[key] = region_of(registry, policy, gpc)
    return region


class _RegionTable(dict[tuple[str | None, str, bool], Region]):
    """Per registry: each region's reading, with and without GPC, worked out on first use."""

    def __init__(self, registry: Registry) -> None:
        super().__init__()


def region_of(registry: Registry, region: RegionPolicy, gpc: bool) -> Region:
    policy = Policy(region.policy)
    if policy is Policy.OPT_IN:
        return Region(region.region, policy, gpc, registry.mask_of(region.exempt_vendors), 0)
    optional = registry.optional_mask
    if gpc:  # Global Privacy Control opts out of sale and sharing, with no banner needed
        # In opt-out and notice-only regions the signal overrides an earlier opt-in to sale or
        # sharing given without it (CCPA regulations, section 7025).
        stops = registry.sale_share_mask
        return Region(region.region, policy, gpc, optional & ~stops, stops)
    return Region(region.region, policy, gpc, optional, 0)


# -- the former helpers, by their old names ---------------------------------------------------------


def default_vendors(registry: Registry, region: RegionPolicy, gpc: bool) -> frozenset[str]:
    """Optional vendors that run while the visitor has not decided about them, by id."""
    return frozenset(v.id for v in registry.vendors_in_mask(region_of(registry, region, gpc).defaults))


def policy_of(region: RegionPolicy) -> Policy:
    return Policy(region.policy)
