"""Pausing Python's cyclic garbage collector around work that makes many small acyclic objects.

Proposing, applying, saving and loading a plan make hundreds of thousands of small objects that
never form cycles (operations, reasons, references, roles). On a structure of a million members
every automatic collection walks every object alive, so the collections grow with the square of
the work; reference counting frees these objects all the same.

>>> import gc
>>> with collector_paused():
...     gc.isenabled()
False
>>> gc.isenabled()
True
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["collector_paused"]


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic collector for the block; restore it as it was, also on an error."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
