"""The former home of the Flask extension, kept so that ``from consent.ext import ...`` still works.

Everything now lives in :mod:`consent.flask`; new code imports from ``consent`` or ``consent.flask``.
"""

from .flask import Consent as Consent
from .flask import ConsentSettings as ConsentSettings
from .flask import consent_changed as consent_changed
from .flask import consent_given as consent_given
from .flask import consent_required as consent_required
from .flask import consent_withdrawn as consent_withdrawn
from .flask import current_consent as current_consent
from .flask.config import DEFAULTS as DEFAULTS

__all__ = [
    "DEFAULTS",
    "Consent",
    "ConsentSettings",
    "consent_changed",
    "consent_given",
    "consent_required",
    "consent_withdrawn",
    "current_consent",
]
