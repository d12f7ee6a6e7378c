"""Live sources: async iterators of (Resources, errors) snapshots. The directory watcher is the first one;
a Kubernetes source implements the same protocol (yield a full snapshot whenever something changed).

A snapshot is always the whole desired state, but building it is incremental: the watcher passes the paths
it saw change to a DirectoryReader, which re-reads and re-validates only those files."""
from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import AsyncIterator, Iterable, Mapping
from pathlib import Path
from typing import NamedTuple, Protocol

import watchfiles

from .. import gcpolicy
from ..resources import Resources, SourceError
from .files import SUFFIXES
from .reader import DirectoryReader

log = logging.getLogger("kgw.source")


class SourceSnapshot(NamedTuple):
    resources: Resources
    errors: list[SourceError]
    load_seconds: float = 0.0  # time spent reading and parsing the inputs
    # Kubernetes: kind -> the resourceVersion its objects are current at (shown in the controller's /status,
    # so a client that wrote an object can tell when the served configuration includes its write).
    revisions: Mapping[str, str] = {}


class Source(Protocol):
    """The whole desired state, again, every time it changes; the first item is the initial state."""

    def __aiter__(self) -> AsyncIterator[SourceSnapshot]: ...

    @property
    def description(self) -> str: ...


def _relevant(change: watchfiles.Change, path: str) -> bool:
    # Editors write swap and backup files next to manifests; only files the loader reads matter.
    # Directory events matter too: removing a folder removes every manifest in it.
    name = os.path.basename(path)
    return not name.startswith(".") and (path.endswith(SUFFIXES) or "." not in name)


class DirectorySource:
    """Watches DIR recursively; each batch of changes (quiet for `step_ms`, at most `debounce_ms`) yields
    one snapshot of the whole directory, so the directory is always the desired state."""

    # step_ms is the latency floor of a change (watchfiles waits until a step passes with no new event):
    # 5 ms still groups an editor's write+rename into one batch.
    def __init__(self, root: str | os.PathLike[str], debounce_ms: int = 50, step_ms: int = 5):
        self.root = Path(root)
        self.reader = DirectoryReader(self.root)
        self.debounce_ms, self.step_ms = debounce_ms, step_ms
        self._stop = asyncio.Event()

    @property
    def description(self) -> str:
        return f"directory {self.root}"

    def stop(self) -> None:
        self._stop.set()

    async def load(self, changed: Iterable[str] = frozenset()) -> SourceSnapshot:
        t0 = time.perf_counter()
        with gcpolicy.paused():  # the runner freezes what this builds once it is applied (see gcpolicy)
            resources, errors = await asyncio.to_thread(self.reader.load, changed)
        elapsed = time.perf_counter() - t0
        log.debug("loaded %s in %.1f ms (%d files read, %d documents parsed)", self.root, elapsed * 1000,
                  self.reader.read, self.reader.parsed)
        for err in errors:
            log.warning("%s", err)
        return SourceSnapshot(resources, errors, elapsed)

    async def __aiter__(self) -> AsyncIterator[SourceSnapshot]:
        # Subscribe before the first load so an edit made during it is not missed.
        changes = watchfiles.awatch(self.root, watch_filter=_relevant, debounce=self.debounce_ms,
                                    step=self.step_ms, stop_event=self._stop, recursive=True)
        first = asyncio.ensure_future(changes.__anext__())
        try:
            yield await self.load()
            while True:
                try:
                    batch = await first
                except StopAsyncIteration:
                    return
                log.info("change in %s: %s", self.root, ", ".join(sorted({Path(p).name for _, p in batch})))
                yield await self.load({p for _, p in batch})
                first = asyncio.ensure_future(changes.__anext__())
        finally:
            first.cancel()
