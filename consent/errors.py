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


class ScanError(ConsentError):
    """A site could not be scanned (unreachable, refused by robots.txt, no browser); ``url`` says which."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        super().__init__(f"{url}: {reason}")
