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


class ProblemsError(ConsentError):
    """A file could not be used; ``problems`` lists every reason, not just the first."""

    #: What the file is, for the message's first line.
    subject = "the file"

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} in {self.subject}"
        super().__init__("\n".join([head, *(f"  {p}" for p in self.problems)]))


class RegistryError(ProblemsError):
    """A registry could not be loaded; ``problems`` lists every reason, not just the first."""

    subject = "the vendor registry"


class ConfigurationError(ConsentError, ValueError):
    """A setting cannot work (raised at start-up, never on a visitor's request).

    ``key`` names the setting (``"CONSENT_LIFETIME"``, ``"SECRET_KEY"``...) when there is one.
    """

    def __init__(self, message: str, key: str | None = None) -> None:
        self.key = key
        super().__init__(message)


class UnknownIdError(ConsentError, KeyError):
    """A vendor or category id the registry does not have. ``kind`` is ``"vendor"`` or ``"category"``."""

    def __init__(self, kind: str, id: str) -> None:
        self.kind = kind
        self.id = id
        super().__init__(f"no {kind} {id!r} in the registry")

    def __str__(self) -> str:  # KeyError would print the repr of the message
        return str(self.args[0])


class CookieError(ConsentError):
    """A consent cookie that is not authentic and current, or a state that cannot be stored.

    Reading a cookie never lets it out: :meth:`consent.codec.CookieCodec.decode` answers "undecided".
    """


class GPPStringError(ConsentError):
    """A Global Privacy Platform string could not be decoded; ``reason`` says why.

    ``section`` names the part at fault (``"header"``, ``"usnat"``, ...) when the fault is inside one.
    """

    def __init__(self, reason: str, *, section: str | None = None) -> None:
        self.reason = reason
        self.section = section
        super().__init__(
            f"invalid GPP string: {section}: {reason}" if section else f"invalid GPP string: {reason}"
        )


# -- IAB TCF (consent.tcf) ------------------------------------------------------------------------------


class TCStringError(ConsentError):
    """A TC string could not be decoded or encoded; ``reason`` says why (what IAB's library rejects too)."""

    def __init__(self, reason: str, tc_string: str | None = None) -> None:
        self.reason = reason
        self.tc_string = tc_string
        super().__init__(f"invalid TC string: {reason}")


class GVLError(ConsentError):
    """A Global Vendor List could not be read; ``problems`` lists every reason as ``path: message``."""

    def __init__(self, source: str, problems: Iterable[str]) -> None:
        self.source = source
        self.problems: tuple[str, ...] = tuple(problems)
        super().__init__(
            "\n".join([f"{source}: not a usable Global Vendor List", *(f"  {p}" for p in self.problems)])
        )


class TranslationFileError(ProblemsError):
    """A translation file (PO) cannot be merged into a registry; ``problems`` lists every reason."""

    subject = "the translation file"


class ScanError(ConsentError):
    """A site could not be scanned (unreachable, refused by robots.txt, no browser); ``url`` says which."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        super().__init__(f"{url}: {reason}")


class CmpSettingsError(ConsentError, ValueError):
    """A CMP id, version or consent language that IAB refuses; ``field`` names the setting."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)
