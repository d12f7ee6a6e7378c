"""Prometheus metrics on a private registry (so embedding kgw in a test process never collides)."""
from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, disable_created_metrics, generate_latest

from ..ads import Observer, short

_FAST = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


def gateway_of(node_id: str) -> str:
    """kgw~namespace~name -> namespace/name (other node ids pass through)."""
    parts = node_id.split("~")
    return f"{parts[1]}/{parts[2]}" if len(parts) == 3 and parts[0] == "kgw" else node_id


class Metrics(Observer):
    def __init__(self) -> None:
        disable_created_metrics()  # *_created series double the output and say nothing useful here
        r = self.registry = CollectorRegistry(auto_describe=True)
        labels = ["gateway", "type"]
        self.pushes = Counter("kgw_xds_pushes", "xDS responses sent", labels, registry=r)
        self.acks = Counter("kgw_xds_acks", "xDS responses Envoy accepted", labels, registry=r)
        self.nacks = Counter("kgw_xds_nacks", "xDS responses Envoy rejected", labels, registry=r)
        self.ack_seconds = Histogram("kgw_xds_ack_seconds", "Time from sending an xDS response to its ACK",
                                     labels, buckets=_FAST, registry=r)
        self.streams = Gauge("kgw_xds_streams", "Open ADS streams", ["gateway"], registry=r)
        self.source_load = Histogram("kgw_source_load_seconds", "Time to read and parse the inputs",
                                     buckets=_FAST, registry=r)
        self.translation = Histogram("kgw_translation_seconds", "Time to translate and build xDS",
                                     buckets=_FAST, registry=r)
        self.translation_failures = Counter("kgw_translation_failures", "Translations that raised", registry=r)
        self.resources = Gauge("kgw_resources", "Input objects by kind", ["kind"], registry=r)
        self.source_errors = Gauge("kgw_source_errors", "Manifest errors in the current inputs", registry=r)
        self.generation = Gauge("kgw_generation", "Applied input generation (G)", registry=r)
        self.ready_generation = Gauge("kgw_ready_generation", "Newest generation every Envoy ACKed (R)",
                                      registry=r)
        self.envoy_restarts = Counter("kgw_envoy_restarts", "Envoy processes that exited unexpectedly",
                                      ["gateway"], registry=r)
        self._pushed_at: dict[tuple[str, str], tuple[str, float]] = {}

    def render(self) -> bytes:
        return generate_latest(self.registry)

    def set_resources(self, counts: dict[str, int]) -> None:
        for kind in list(self.resources._metrics):  # kinds that vanished drop to zero, not stale
            if kind[0] not in counts:
                self.resources.labels(kind[0]).set(0)
        for kind, n in counts.items():
            self.resources.labels(kind).set(n)

    # --- Observer ---------------------------------------------------------------------------------
    def on_stream(self, node_id, opened, delta):
        self.streams.labels(gateway_of(node_id)).inc(1 if opened else -1)

    def on_push(self, node_id, type_url, version, resources, removed):
        self.pushes.labels(gateway_of(node_id), short(type_url)).inc()
        self._pushed_at[(node_id, type_url)] = (version, time.perf_counter())

    def on_ack(self, node_id, type_url, version):
        labels = (gateway_of(node_id), short(type_url))
        self.acks.labels(*labels).inc()
        sent = self._pushed_at.pop((node_id, type_url), None)
        if sent and sent[0] == version:
            self.ack_seconds.labels(*labels).observe(time.perf_counter() - sent[1])

    def on_nack(self, node_id, type_url, version, message):
        self.nacks.labels(gateway_of(node_id), short(type_url)).inc()
        self._pushed_at.pop((node_id, type_url), None)
