"""The Flask layer: the extension, ``current_consent``, the decorator, the signals.

Modules: :mod:`.config` (settings and their checks), :mod:`.settings` (what is kept per app),
:mod:`.current` (per request), :mod:`.helpers` (Jinja helpers), :mod:`.views` (the blueprint),
:mod:`.http` (CSP, Vary, redirects, cookie deletion), :mod:`.ledger` (recording decisions),
:mod:`.signals`.
"""

from .current import current_consent as current_consent
from .extension import Consent as Consent
from .helpers import consent_required as consent_required
from .settings import ConsentSettings as ConsentSettings
from .signals import consent_changed as consent_changed
from .signals import consent_given as consent_given
from .signals import consent_withdrawn as consent_withdrawn

__all__ = [
    "Consent",
    "ConsentSettings",
    "consent_changed",
    "consent_given",
    "consent_required",
    "consent_withdrawn",
    "current_consent",
]
