"""KubeSource: the `Source` protocol over list+watch of every kind the translator reads. It yields a full
`Resources` snapshot once every kind is listed, then again after each burst of changes, so the translator is
exactly the one the file source feeds."""
from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import AsyncIterator

from ..resources import ResourcesBuilder, Validated, validate_object
from ..sources.watch import SourceSnapshot
from . import kinds
from .api import Api, Kind
from .watcher import KindWatcher

log = logging.getLogger("kgw.kube.source")
_STATUS_OURS = {k.kind for k in kinds.STATUS_WRITTEN}  # status the translator never reads


def endpoint_slice_kind(api: Api) -> Kind:
    if api.has_api("discovery.k8s.io/v1", "endpointslices"):
        return kinds.ENDPOINT_SLICE_V1
    log.info("the API server has no discovery.k8s.io/v1 EndpointSlices; reading v1beta1")
    return kinds.ENDPOINT_SLICE_V1BETA1


class KubeSource:
    # Events that arrive while a snapshot is being translated are coalesced into the next one, so a burst
    # costs as many translations as the translator has time for; the short pause only gathers the objects
    # of one `kubectl apply` (they arrive within a few milliseconds), not whole bursts.
    def __init__(self, api: Api, debounce: float = 0.005, watch_timeout: int = 240):
        self.api, self.debounce, self.watch_timeout = api, debounce, watch_timeout
        self.stop_event = threading.Event()
        self.watchers: dict[str, KindWatcher] = {}
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        # (kind, namespace, name) -> (fingerprint, validation result): an object whose fingerprint did not
        # change is not validated again, and stays the same model object, so translation reuses its work.
        self._validated: dict[tuple[str, str, str], tuple[str, list[Validated]]] = {}
        self.last_revisions: dict[str, str] = {}  # of the newest snapshot taken

    @property
    def description(self) -> str:
        return f"Kubernetes API {self.api.config.host}"

    @property
    def synced(self) -> bool:
        return bool(self.watchers) and all(w.synced.is_set() for w in self.watchers.values())

    def objects(self, kind: str) -> dict[tuple[str, str], dict]:
        """Raw objects of one kind (with uid and status), for the deployer and the status writer."""
        w = self.watchers.get(kind)
        if w is None:
            return {}
        with w.lock:
            return dict(w.objects)

    def current_revisions(self, applied: dict[str, str]) -> dict[str, str]:
        """Per kind, the newest resourceVersion the configuration translated from the snapshot taken at
        `applied` is current at (see KindWatcher.current_for_translation)."""
        return {kind: w.current_for_translation(applied[kind]) if kind in applied else ""
                for kind, w in self.watchers.items()}

    def stop(self) -> None:
        self.stop_event.set()

    def poke(self) -> None:
        """Yield a fresh snapshot even though nothing changed (the consumer could not use the last one)."""
        if self._wake is not None:
            self._wake.set()

    def _changed(self) -> None:  # called from watcher threads
        if self._loop is not None and self._wake is not None:
            self._loop.call_soon_threadsafe(self._wake.set)

    async def start(self) -> None:
        self._loop, self._wake = asyncio.get_running_loop(), asyncio.Event()
        slice_kind = await asyncio.to_thread(endpoint_slice_kind, self.api)
        for kind in kinds.WATCHED:
            convert = None
            if kind.kind == "EndpointSlice":
                kind = slice_kind
                convert = kinds.to_v1_endpoint_slice if kind.version == "v1beta1" else None
            w = KindWatcher(self.api, kind, self._changed, self.stop_event, convert, self.watch_timeout,
                            status_is_ours=kind.kind in _STATUS_OURS)
            self.watchers[kind.kind] = w
            w.start()

    def load(self) -> SourceSnapshot:
        t0 = time.perf_counter()
        builder, errors, revisions = ResourcesBuilder(), [], {}
        kept: dict[tuple[str, str, str], tuple[str, list[Validated]]] = {}
        for kind, w in self.watchers.items():
            items, revisions[kind] = w.snapshot()
            for obj, print_ in items:
                meta = obj.get("metadata") or {}
                key = (kind, meta.get("namespace", ""), meta.get("name", ""))
                hit = self._validated.get(key)
                if hit is None or hit[0] != print_:
                    hit = (print_, validate_object(obj, file="kubernetes"))
                kept[key] = hit
                for v in hit[1]:
                    errors.extend(builder.accept(v, "kubernetes"))
        self._validated = kept
        for err in errors:
            log.warning("%s", err)
        self.last_revisions = revisions
        return SourceSnapshot(builder.build(), errors, time.perf_counter() - t0, revisions)

    async def __aiter__(self) -> AsyncIterator[SourceSnapshot]:
        if not self.watchers:
            await self.start()
        while not self.synced:
            await asyncio.sleep(0.05)
        assert self._wake is not None  # created by start()
        self._wake.clear()
        yield await asyncio.to_thread(self.load)
        while not self.stop_event.is_set():
            await self._wake.wait()
            await asyncio.sleep(self.debounce)
            self._wake.clear()
            yield await asyncio.to_thread(self.load)
