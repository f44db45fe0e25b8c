"""The one exception root of the package and its registry error."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


class ConsentError(Exception):
    """Root of every error this package raises on purpose."""


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with a registry file, located as precisely as the format allows."""

    source: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line is not None else self.source
        return f"{where}: {self.path or '<root>'}: {self.message}"


class RegistryError(ConsentError):
    """A registry could not be loaded; ``problems`` lists every reason, not just the first."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} in the vendor registry"
        super().__init__("\n".join([head, *(f"  {p}" for p in self.problems)]))


class TranslationFileError(ConsentError):
    """A translation file (PO) cannot be merged into a registry; ``problems`` lists every reason."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} in the translation file"
        super().__init__("\n".join([head, *(f"  {p}" for p in self.problems)]))
