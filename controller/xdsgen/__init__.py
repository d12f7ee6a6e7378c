"""to_xds(GatewayIR) -> {type URL: {resource name: protobuf message}}. Pure; messages built directly.

Resource names: Listener and RouteConfiguration "<address>:<port>" (the bound one; "<address>:<port>/udp" for
UDP listeners); Cluster and ClusterLoadAssignment "<namespace>/<service>/<port>" ("udproute/<namespace>/<name>"
for a UDPRoute's weighted cluster). See docs/gateway-api.md.
"""
from __future__ import annotations

import yaml
from google.protobuf import json_format
from google.protobuf.message import Message

from .. import gcpolicy
from ..ads.types import CLUSTER, ENDPOINT, EXTENSION_CONFIG, LISTENER, ROUTE, SECRET
from ..ir import GatewayIR
from . import httpfilters
from .backends import backend_cluster
from .clusters import cluster, load_assignment
from .context import XdsContext
from .listeners import listener
from .routes import INVALID_BACKEND_CLUSTER, route_configurations
from .secrets import secret
from .udp import udp_cluster, udp_listener, udp_load_assignment

XdsResources = dict[str, dict[str, Message]]


def to_xds(gw: GatewayIR) -> XdsResources:
    # As in translate: no cycles are made here, and the cyclic GC would rescan every live object.
    with gcpolicy.paused():
        return _to_xds(gw)


def _to_xds(gw: GatewayIR) -> XdsResources:
    ctx = XdsContext.of(gw)
    clusters = {c.name: cluster(c) for c in gw.clusters}
    clusters.update((c.name, udp_cluster(c)) for c in gw.udp_clusters)
    assignments = {}
    for c in gw.clusters:
        name = clusters[c.name].eds_cluster_config.service_name
        assignments[name] = load_assignment(c, name, named=c.name in ctx.named_endpoints)
    assignments.update((c.name, udp_load_assignment(c)) for c in gw.udp_clusters)
    if gw.ext is not None:
        clusters.update((b.name, backend_cluster(b)) for b in gw.ext.backend_clusters)
    listeners = {lis.name: listener(ctx, lis) for lis in gw.listeners}
    listeners.update((u.name, udp_listener(ctx, u)) for u in gw.udp_listeners)
    out = {
        CLUSTER: clusters,
        ENDPOINT: assignments,
        LISTENER: listeners,
        ROUTE: {name: rc for lis in gw.listeners for name, rc in route_configurations(ctx, lis).items()},
    }
    if gw.secrets:  # absent = empty to the snapshot cache; left out so HTTP-only dumps stay short
        out[SECRET] = {s.name: secret(s) for s in gw.secrets}
    for type_url, by_name in httpfilters.resources(ctx).items():  # e.g. the rules filter's ECDS config
        out.setdefault(type_url, {}).update(by_name)
    return out


def _plain(value):
    # MessageToDict returns OrderedDicts for Any payloads, which safe_dump refuses.
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def message_to_dict(msg: Message) -> dict:
    """A message as plain JSON-shaped dicts and lists (for YAML dumps)."""
    return _plain(json_format.MessageToDict(msg))


def xds_to_dict(resources: XdsResources) -> dict:
    return {
        type_url: {name: message_to_dict(msg) for name, msg in sorted(by_name.items())}
        for type_url, by_name in resources.items()
    }


def xds_to_yaml(resources: XdsResources) -> str:
    """Deterministic YAML (for golden files and debugging)."""
    return yaml.safe_dump(xds_to_dict(resources), sort_keys=True, default_flow_style=False, width=120)


__all__ = [
    "CLUSTER", "ENDPOINT", "EXTENSION_CONFIG", "INVALID_BACKEND_CLUSTER", "LISTENER", "ROUTE", "SECRET",
    "XdsResources", "message_to_dict", "to_xds", "xds_to_dict", "xds_to_yaml",
]
