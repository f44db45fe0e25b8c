"""The insights' errors: each derives from :class:`consent.errors.ConsentError`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..errors import ConsentError


class InsightsError(ConsentError):
    """Insights could not be computed or shown (no database, a dashboard without an access check...)."""


@dataclass(frozen=True, order=True)
class VariantProblem:
    """One thing wrong with a wording variant: where (variant, locale, field) and why."""

    source: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.source}: {self.path or '<root>'}: {self.message}"


class VariantError(InsightsError):
    """Wording variants were rejected; ``problems`` lists every reason (schema and fair-choice checks)."""

    def __init__(self, problems: Iterable[VariantProblem]) -> None:
        self.problems: tuple[VariantProblem, ...] = tuple(problems)
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} in the wording variants"
        super().__init__("\n".join([head, *(f"  {p}" for p in self.problems)]))


__all__ = ["InsightsError", "VariantError", "VariantProblem"]
