"""``consent scan``: the registry checked against what the site really does, in a real browser."""

from .attribute import Attribution as Attribution
from .attribute import AttributionChain as AttributionChain
from .attribute import Attributor as Attributor
from .attribute import CatalogueAttributor as CatalogueAttributor
from .attribute import NoPresets as NoPresets
from .attribute import attribution_chain as attribution_chain
from .cookie_db import CookieDatabase as CookieDatabase
from .findings import Finding as Finding
from .findings import ScanReport as ScanReport
from .findings import analyse as analyse
from .runner import ScanOptions as ScanOptions
from .runner import scan_site as scan_site
from .write import add_entries as add_entries

__all__ = [
    "Attribution",
    "AttributionChain",
    "Attributor",
    "CatalogueAttributor",
    "CookieDatabase",
    "Finding",
    "NoPresets",
    "ScanOptions",
    "ScanReport",
    "add_entries",
    "analyse",
    "attribution_chain",
    "scan_site",
]
