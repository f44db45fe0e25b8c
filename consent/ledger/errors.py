"""The ledger's errors, under the package's one root :class:`~consent.errors.ConsentError`."""

from __future__ import annotations

from ..errors import ConsentError


class LedgerError(ConsentError):
    """The ledger cannot do what was asked (no key, a bad URL, a missing driver...)."""


class SchemaError(LedgerError):
    """The database has no ledger schema, or an older one: run ``consent ledger init``."""


class CheckpointError(LedgerError):
    """A checkpoint file cannot be read; ``problems`` lists every bad line as ``file:line: message``."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


__all__ = ["CheckpointError", "LedgerError", "SchemaError"]
