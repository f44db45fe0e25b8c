"""consent: server-side cookie consent driven by a vendor registry.

The core (registry, state, cookie codec, gate, decisions) needs no web framework; :class:`Consent` is
the Flask extension built on it (in :mod:`consent.flask`, imported only when first used here).
"""

from importlib import import_module
from typing import TYPE_CHECKING

from ._version import __version__ as __version__
from .codec import CookieCodec as CookieCodec
from .errors import ConfigurationError as ConfigurationError
from .errors import ConsentError as ConsentError
from .errors import RegistryError as RegistryError
from .gate import decide as decide
from .loader import load_registry as load_registry
from .registry import Registry as Registry
from .state import ConsentState as ConsentState

if TYPE_CHECKING:  # for type checkers; at run time they load on first use (below)
    from .flask import Consent as Consent
    from .flask import consent_changed as consent_changed
    from .flask import consent_given as consent_given
    from .flask import consent_required as consent_required
    from .flask import consent_withdrawn as consent_withdrawn
    from .flask import current_consent as current_consent

_FLASK = {
    "Consent",
    "current_consent",
    "consent_required",
    "consent_given",
    "consent_changed",
    "consent_withdrawn",
}
#: Names this package exported before 0.2, still importable from here; they live in these modules.
_MOVED = {
    "Category": "consent.registry",
    "Vendor": "consent.registry",
    "Decision": "consent.state",
    "Method": "consent.state",
    "Policy": "consent.state",
    "Signal": "consent.state",
    "Problem": "consent.errors",
    "Gate": "consent.gate",
    "render_scripts": "consent.gate",
    "parse_registry": "consent.loader",
    "Widget": "consent.banner",
    "WidgetContext": "consent.banner",
    "make_environment": "consent.banner",
}


def __getattr__(name: str) -> object:
    # The Flask parts load lazily, so backend code and jobs can use the core without importing Flask.
    if name in _FLASK:
        return getattr(import_module("consent.flask"), name)
    if name in _MOVED:
        return getattr(import_module(_MOVED[name]), name)
    raise AttributeError(f"module 'consent' has no attribute {name!r}")


__all__ = [
    "ConfigurationError",
    "Consent",
    "ConsentError",
    "ConsentState",
    "CookieCodec",
    "Registry",
    "RegistryError",
    "__version__",
    "consent_changed",
    "consent_given",
    "consent_required",
    "consent_withdrawn",
    "current_consent",
    "decide",
    "load_registry",
]
