"""The IAB Global Privacy Platform: GPP strings written and read in pure Python, derived from the signed
consent store, and the ``__gpp`` CMP API stub that serves them to ad tech on the page.

Modules: ``bits`` (bit and character encodings), ``sections`` (the section layouts), ``encoding`` (whole
strings), ``derive`` (a visitor's string from the registry and their consent), ``cmpapi`` (the stub).
"""

from .cmpapi import gpp_data as gpp_data
from .cmpapi import gpp_signal_json as gpp_signal_json
from .cmpapi import render_gpp_stub as render_gpp_stub
from .derive import GppSignal as GppSignal
from .derive import derive_gpp as derive_gpp
from .derive import gpp_url_params as gpp_url_params
from .encoding import GppString as GppString
from .encoding import decode_gpp as decode_gpp
from .encoding import encode_gpp as encode_gpp
from .sections import OtherSection as OtherSection
from .sections import TcfEuV2Section as TcfEuV2Section
from .sections import UsSection as UsSection

__all__ = [
    "GppSignal",
    "GppString",
    "OtherSection",
    "TcfEuV2Section",
    "UsSection",
    "decode_gpp",
    "derive_gpp",
    "encode_gpp",
    "gpp_data",
    "gpp_signal_json",
    "gpp_url_params",
    "render_gpp_stub",
]
