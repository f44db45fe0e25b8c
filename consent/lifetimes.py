"""Cookie lifetimes: parsed from the registry's notation, described in words one way everywhere.

The panel, the audit and the ledger notice all describe a lifetime with :func:`describe_lifetime`, so a
visitor, a privacy officer and the proof of consent read the same words. A lifetime is described in the
largest unit that states it *exactly*: ``400d`` is "400 days" (not "13 months"), ``13mo`` is
"13 months", ``2y`` is "2 years".
"""

from __future__ import annotations

import re
from collections.abc import Callable

#: Lifetime notation: ``session`` or a whole number with one of these units.
LIFETIME_PATTERN = re.compile(r"^(\d+)\s*(s|min|h|d|w|mo|y)$")
_YEAR = 365 * 86400 + 6 * 3600  # an average year, 365.25 days
UNIT_SECONDS = {
    "s": 1,
    "min": 60,
    "h": 3600,
    "d": 86400,
    "w": 7 * 86400,
    "mo": _YEAR // 12,  # an average month, 30.44 days: twelve make a year
    "y": _YEAR,
}

NGettext = Callable[[str, str, int], str]
GetText = Callable[[str], str]


def lifetime_seconds(value: str) -> int | None:
    """Seconds in a lifetime such as ``"13mo"``; ``None`` for ``"session"``. Raises ``ValueError``."""
    if value == "session":
        return None
    match = LIFETIME_PATTERN.match(value)
    if match is None:
        raise ValueError(f"lifetime {value!r} is not 'session' or a number with s/min/h/d/w/mo/y")
    return int(match.group(1)) * UNIT_SECONDS[match.group(2)]


def _english_ngettext(singular: str, plural: str, n: int) -> str:
    return singular if n == 1 else plural


def describe_lifetime(
    lifetime: str | None,
    ngettext: NGettext = _english_ngettext,
    gettext: GetText = str,
) -> str:
    """A lifetime in words, in the catalog's language (English without one)."""
    if lifetime is None:
        return gettext("not stated")
    seconds = lifetime_seconds(lifetime)
    if seconds is None:
        return gettext("session")
    # Largest first; weeks are left out on purpose: "14 days" reads better than "2 weeks" in a table.
    # Spelled out as calls so that the catalog extractor finds every phrase.
    units: tuple[tuple[int, Callable[[int], str]], ...] = (
        (UNIT_SECONDS["y"], lambda n: ngettext("%(num)d year", "%(num)d years", n)),
        (UNIT_SECONDS["mo"], lambda n: ngettext("%(num)d month", "%(num)d months", n)),
        (UNIT_SECONDS["d"], lambda n: ngettext("%(num)d day", "%(num)d days", n)),
        (UNIT_SECONDS["h"], lambda n: ngettext("%(num)d hour", "%(num)d hours", n)),
        (UNIT_SECONDS["min"], lambda n: ngettext("%(num)d minute", "%(num)d minutes", n)),
    )
    for size, phrase in units:
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return phrase(count) % {"num": count}
    return ngettext("%(num)d second", "%(num)d seconds", seconds) % {"num": seconds}
