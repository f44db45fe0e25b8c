"""The consent states a page is visited in, and which categories each one allows.

``before`` (no choice yet), ``reject`` (Reject all), ``accept`` (Accept all) and ``only:<category>``
(that one optional category ticked in the preferences, nothing else).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

BEFORE = "before"
REJECT = "reject"
ACCEPT = "accept"
ONLY_PREFIX = "only:"


@dataclass(frozen=True)
class ConsentState:
    name: str

    @property
    def category(self) -> str | None:
        """The single category this state accepts, for ``only:<category>``."""
        return self.name[len(ONLY_PREFIX) :] if self.name.startswith(ONLY_PREFIX) else None

    @property
    def label(self) -> str:
        if self.name == BEFORE:
            return "before any choice"
        if self.name == REJECT:
            return "after Reject all"
        if self.name == ACCEPT:
            return "after Accept all"
        return f"only {self.category!r} accepted"

    def allows(self, category: str, required: bool) -> bool:
        """Whether a visitor in this state agreed to ``category`` (required ones are always on)."""
        if required or self.name == ACCEPT:
            return True
        return category == self.category


def plan_states(optional_categories: Iterable[str], *, choices: bool = True) -> list[ConsentState]:
    """The states to visit: before, then (when the scanner can click choices) reject, accept, singles."""
    states = [ConsentState(BEFORE)]
    if choices:
        states += [ConsentState(REJECT), ConsentState(ACCEPT)]
        states += [ConsentState(ONLY_PREFIX + c) for c in optional_categories]
    return states
