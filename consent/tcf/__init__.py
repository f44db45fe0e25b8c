"""IAB TCF v2.3 for a registered CMP: TC strings, the Global Vendor List, the CMP API stub.

Optional and off unless a registry has a ``[tcf]`` table and the site configures its IAB-assigned
``cmp_id``. Nothing here imports Flask.
"""

from .additional_consent import additional_consent as additional_consent
from .cmpapi import build_tcdata as build_tcdata
from .cmpapi import render_tcf_stub as render_tcf_stub
from .cmpapi import tcf_url_params as tcf_url_params
from .derive import CmpSettings as CmpSettings
from .derive import policy_version_changed as policy_version_changed
from .derive import tc_model_for as tc_model_for
from .derive import tc_string_for as tc_string_for
from .derive import tcf_needs_prompt as tcf_needs_prompt
from .derive import tcf_table as tcf_table
from .gvl import GVL as GVL
from .gvl import load_gvl as load_gvl
from .gvl import load_gvl_texts as load_gvl_texts
from .gvl import parse_gvl as parse_gvl
from .idset import IdSet as IdSet
from .model import PublisherRestriction as PublisherRestriction
from .model import PublisherTC as PublisherTC
from .model import RestrictionType as RestrictionType
from .model import TCModel as TCModel
from .signal import TcfSignal as TcfSignal
from .signal import tcf_signal as tcf_signal
from .tcstring import decode_tc_string as decode_tc_string
from .tcstring import encode_tc_string as encode_tc_string

__all__ = [
    "GVL",
    "CmpSettings",
    "IdSet",
    "PublisherRestriction",
    "PublisherTC",
    "RestrictionType",
    "TCModel",
    "TcfSignal",
    "additional_consent",
    "build_tcdata",
    "decode_tc_string",
    "encode_tc_string",
    "load_gvl",
    "load_gvl_texts",
    "parse_gvl",
    "policy_version_changed",
    "render_tcf_stub",
    "tc_model_for",
    "tc_string_for",
    "tcf_needs_prompt",
    "tcf_signal",
    "tcf_table",
    "tcf_url_params",
]
