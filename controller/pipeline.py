"""The one pipeline both modes run: a `Resources` snapshot -> translate (with its cache and the last good
programs) -> xDS per Gateway -> the snapshot cache every ADS stream reads -> statuses.

`kgw up` (runner.py) and `kgw controller` (kube/controller.py) differ only in where snapshots come from
(a directory / list+watch), where last good programs are kept (a `ProgramKeeper`: the state directory / a
ConfigMap) and what they do once a generation is applied (start Envoys / deploy proxies and write statuses).
A snapshot that fails to translate changes nothing that is served: the last good xDS stays and the error
is shown (`translate_error`).
"""
from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from . import gcpolicy
from .admin import Metrics
from .ads import SnapshotCache, short
from .envoy import node_id
from .ir import GatewayIR
from .oidc_discovery import OidcDiscovery
from .resources import Resources, SourceError
from .sources.watch import SourceSnapshot
from .translate import TranslateCache, TranslateOptions, Translation, translate
from .xdsgen import XdsResources, to_xds

log = logging.getLogger("kgw.pipeline")


class ProgramKeeper(Protocol):
    """Where last good RoutePolicy programs live between translations and across restarts."""

    def last_good(self) -> Mapping[str, bytes]:
        """Program id -> stripped bytecode: what to serve for a policy whose source no longer compiles.
        Called from the translation thread; may block (a read of the store)."""
        ...

    def remember(self, programs: Mapping[str, bytes]) -> None:
        """Every program the newest applied translation serves (policies gone from it are forgotten)."""
        ...


@dataclass
class Applied:
    """What one applied generation changed, for the mode to act on."""

    generation: int
    added: list[str] = field(default_factory=list)  # Gateway keys "namespace/name"
    removed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)


def gateway_node(key: str) -> str:
    """"namespace/name" -> the xDS node id of that Gateway's proxies."""
    return node_id(*key.split("/", 1))


class Pipeline:
    def __init__(self, options: TranslateOptions, programs: ProgramKeeper, snapshots: SnapshotCache,
                 metrics: Metrics):
        self.options, self.programs, self.snapshots, self.metrics = options, programs, snapshots, metrics
        # Unchanged routes reuse their last translation when nothing else changed (translate/incremental.py).
        # Only apply() uses it, and applies are serial.
        self.translate_cache = TranslateCache()
        # OAuth2 providers' endpoints from their issuers: the mode's loop re-applies the last snapshot when one
        # changes (oidc_discovery.refreshed); close() stops its readers.
        self.discovery = OidcDiscovery()
        # Test hook: rewrite a Gateway's xDS before it is published (e.g. to provoke a NACK).
        self.xds_hook: Callable[[str, XdsResources], XdsResources] | None = None
        self.generation = 0
        self.resources: Resources | None = None
        self.statuses: list[dict] = []
        self.source_errors: list[SourceError] = []
        self.translate_error: str | None = None
        self.gateways: dict[str, GatewayIR] = {}
        self.xds: dict[str, XdsResources] = {}
        self.revisions: Mapping[str, str] = {}  # of the applied snapshot (SourceSnapshot.revisions)

    def build(self, snap: SourceSnapshot) -> tuple[Translation, dict[str, XdsResources]]:
        """Blocking and pure but for the translate cache: translation and xDS of every Gateway."""
        opts = dataclasses.replace(self.options, last_good_programs=self.programs.last_good(),
                                   oidc=self.discovery.configurations(snap.resources))
        translation = translate(snap.resources, opts, cache=self.translate_cache)
        out = {}
        for key, ir in translation.gateways.items():
            xds = to_xds(ir)
            out[key] = self.xds_hook(key, xds) if self.xds_hook else xds
        return translation, out

    async def apply(self, snap: SourceSnapshot) -> Applied | None:
        """Translate and publish one snapshot; None (and nothing served changes) when translation raised."""
        t0 = time.perf_counter()
        with gcpolicy.paused():  # see gcpolicy: keep the collector off the snapshot being built
            try:
                translation, xds = await asyncio.to_thread(self.build, snap)
            except Exception as e:  # keep serving the last good configuration
                log.exception("translation failed; keeping the last good configuration")
                self.translate_error = f"{type(e).__name__}: {e}"
                self.metrics.translation_failures.inc()
                self.source_errors = list(snap.errors)
                return None
            applied = self._publish(snap, translation, xds)
            gcpolicy.settle()
        self.metrics.translation.observe(time.perf_counter() - t0)
        log.info("generation %d applied in %.1f ms (%d gateways)", self.generation,
                 (time.perf_counter() - t0) * 1000, len(self.gateways))
        return applied

    def _publish(self, snap: SourceSnapshot, translation: Translation, xds: dict[str, XdsResources]) -> Applied:
        self.translate_error = None
        self.generation += 1
        self.resources, self.statuses, self.source_errors = snap.resources, translation.statuses, list(snap.errors)
        self.revisions = snap.revisions
        self.programs.remember(translation.programs)
        self.metrics.source_load.observe(snap.load_seconds)
        self.metrics.generation.set(self.generation)
        self.metrics.source_errors.set(len(snap.errors))
        self.metrics.set_resources(count_kinds(snap.resources))
        old = set(self.gateways)
        for key, resources in xds.items():
            self.snapshots.set_snapshot(gateway_node(key), resources)
        for key in old - set(xds):
            self.snapshots.clear(gateway_node(key))
        self.gateways, self.xds = dict(translation.gateways), xds
        return Applied(self.generation, added=sorted(set(xds) - old), removed=sorted(old - set(xds)),
                       kept=sorted(set(xds) & old))

    # --- what both modes report ----------------------------------------------------------------------
    def not_ready(self) -> list[str]:
        """Gateways whose proxies have not ACKed the newest snapshot yet."""
        return [k for k in sorted(self.gateways) if not self.snapshots.is_current(gateway_node(k))]

    def gateway_xds_state(self, key: str) -> dict:
        state = self.snapshots.nodes.get(gateway_node(key))
        return {"node": gateway_node(key), "xds_streams": state.streams if state else 0,
                "ready": self.snapshots.is_current(gateway_node(key)),
                "nacks": {short(t): {"version": n.version, "message": n.message.strip()}
                          for t, n in (state.last_nack.items() if state else ())}}


def count_kinds(resources: Resources) -> dict[str, int]:
    counts: dict[str, int] = {}
    for f in dataclasses.fields(resources):
        value = getattr(resources, f.name)
        if f.name in ("origins", "invalid") or not hasattr(value, "values"):
            continue
        for obj in value.values():
            counts[obj.kind] = counts.get(obj.kind, 0) + 1
    return counts
