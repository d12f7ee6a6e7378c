"""When Python's cyclic garbage collector may run in `kgw up`.

Every change builds a new snapshot (validated inputs, IR, xDS messages): tens of thousands of long-lived,
acyclic objects (about 120k in the process at 1,000 routes). Left alone, the collector scans them right after
they are built (a young collection, about 2-3 ms of CPU per change at 1,000 routes) and every 10-20 changes scans
the whole heap (about 70 ms at 1,000 routes, 700 ms at 10,000), which lands in the middle of a reconfiguration.
So: no collection while a change is loaded and applied, and what it built is then frozen (moved where the
collector never looks). Reference counting still frees frozen objects when the next snapshot replaces them;
only garbage *cycles* among frozen objects would outlive them, so every UNFREEZE_EVERY changes everything
is handed back to the collector once.
"""
from __future__ import annotations

import contextlib
import gc

UNFREEZE_EVERY = 100
_settled = 0


@contextlib.contextmanager
def paused():
    """No cyclic collection inside; nests, and restores the previous state."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def settle() -> None:
    """Call when a change has been applied (inside `paused()`): freeze what it built."""
    global _settled
    _settled += 1
    if _settled % UNFREEZE_EVERY == 0:
        gc.unfreeze()  # the next full collection sees everything once, and reclaims any cycle
    else:
        gc.freeze()
