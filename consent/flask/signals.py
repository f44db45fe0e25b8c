"""Blinker signals for decisions, sent with ``state`` and ``previous`` (new and former ConsentState)."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()
#: The visitor decided for the first time.
consent_given = _signals.signal("consent-given")
#: A visitor who had decided changed their choices.
consent_changed = _signals.signal("consent-changed")
#: A visitor withdrew every optional consent.
consent_withdrawn = _signals.signal("consent-withdrawn")
