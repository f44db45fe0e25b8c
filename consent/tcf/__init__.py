"""IAB TCF v2.3 for a registered CMP: TC strings, the Global Vendor List, the CMP API stub.

Optional and off unless a registry has a ``[tcf]`` table and the site configures its IAB-assigned
``cmp_id``. Nothing here imports Flask.
"""

from .idset import IdSet as IdSet
from .model import PublisherRestriction as PublisherRestriction
from .model import PublisherTC as PublisherTC
from .model import RestrictionType as RestrictionType
from .model import TCModel as TCModel
from .tcstring import decode_tc_string as decode_tc_string
from .tcstring import encode_tc_string as encode_tc_string

__all__ = [
    "IdSet",
    "PublisherRestriction",
    "PublisherTC",
    "RestrictionType",
    "TCModel",
    "decode_tc_string",
    "encode_tc_string",
]
