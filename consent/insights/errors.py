"""The insights' errors: each derives from :class:`consent.errors.ConsentError`."""

from __future__ import annotations

from collections.abc import Iterable

from ..errors import ConsentError, Problem


class InsightsError(ConsentError):
    """Insights could not be computed or shown (no database, a dashboard without an access check...)."""


class VariantError(InsightsError):
    """Wording variants were rejected; ``problems`` lists every reason (schema and fair-choice checks).

    Each :class:`~consent.errors.Problem` names the file, the dotted path (``variants.1.texts.en``) and
    the message; ``line`` is ``None`` (TOML's parser does not give lines of values).
    """

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} in the wording variants"
        super().__init__("\n".join([head, *(f"  {p}" for p in self.problems)]))


__all__ = ["InsightsError", "VariantError"]
