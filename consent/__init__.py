"""consent: server-side cookie consent driven by a vendor registry.

The core (registry, state, cookie codec, gate) needs no web framework; :class:`Consent` is the Flask
extension built on it.
"""

from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING

from .banner import Widget as Widget
from .banner import WidgetContext as WidgetContext
from .banner import make_environment as make_environment
from .codec import CookieCodec as CookieCodec
from .errors import ConsentError as ConsentError
from .errors import Problem as Problem
from .errors import RegistryError as RegistryError
from .gate import Gate as Gate
from .gate import decide as decide
from .gate import render_scripts as render_scripts
from .loader import load_registry as load_registry
from .loader import parse_registry as parse_registry
from .registry import Category as Category
from .registry import Registry as Registry
from .registry import Vendor as Vendor
from .state import ConsentState as ConsentState
from .state import Decision as Decision
from .state import Method as Method
from .state import Policy as Policy
from .state import Signal as Signal

try:
    __version__ = version("consent-gate")
except PackageNotFoundError:  # pragma: no cover - running from a source tree that is not installed
    from ._version import __version__


if TYPE_CHECKING:  # for type checkers; at run time they load on first use (below)
    from .ext import Consent as Consent
    from .ext import consent_changed as consent_changed
    from .ext import consent_given as consent_given
    from .ext import consent_required as consent_required
    from .ext import consent_withdrawn as consent_withdrawn
    from .ext import current_consent as current_consent


def __getattr__(name: str) -> object:
    # The Flask parts load lazily, so backend code and jobs can use the core without importing Flask.
    if name in {
        "Consent",
        "current_consent",
        "consent_required",
        "consent_given",
        "consent_changed",
        "consent_withdrawn",
    }:
        from . import ext

        return getattr(ext, name)
    raise AttributeError(name)


__all__ = [
    "Category",
    "Consent",
    "ConsentError",
    "ConsentState",
    "CookieCodec",
    "Decision",
    "Gate",
    "Method",
    "Policy",
    "Problem",
    "Registry",
    "RegistryError",
    "Signal",
    "Vendor",
    "Widget",
    "WidgetContext",
    "__version__",
    "consent_changed",
    "consent_given",
    "consent_required",
    "consent_withdrawn",
    "current_consent",
    "decide",
    "load_registry",
    "make_environment",
    "parse_registry",
    "render_scripts",
]
