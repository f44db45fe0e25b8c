"""Building large, acyclic structures (a registry of thousands of vendors) without collector pauses.

Every container allocated while a registry is parsed and validated survives to the end, so the cyclic
garbage collector's full passes find nothing to free, yet each of them walks the whole heap: with a
few thousand vendors they made loading grow faster than linearly. Reference counting still frees
whatever is dropped meanwhile.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def without_collector_pauses() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
