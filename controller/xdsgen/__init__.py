"""to_xds(GatewayIR) -> {type URL: {resource name: protobuf message}}. Pure; messages built directly.

Resource names: Listener and RouteConfiguration "<address>:<port>" (the bound one); Cluster and
ClusterLoadAssignment "<namespace>/<service>/<port>". See docs/gateway-api.md.
"""
from __future__ import annotations

from google.protobuf import json_format
from google.protobuf.message import Message

import yaml

from .. import gcpolicy
from ..ads.types import CLUSTER, ENDPOINT, EXTENSION_CONFIG, LISTENER, ROUTE, SECRET
from ..ir import GatewayIR
from . import policies
from .clusters import cluster, load_assignment
from .listeners import listener
from .routes import INVALID_BACKEND_CLUSTER, route_configurations
from .secrets import secret

XdsResources = dict[str, dict[str, Message]]


def to_xds(gw: GatewayIR) -> XdsResources:
    # As in translate: no cycles are made here, and the cyclic GC would rescan every live object.
    with gcpolicy.paused():
        return _to_xds(gw)


def _to_xds(gw: GatewayIR) -> XdsResources:
    out = {
        CLUSTER: {c.name: cluster(c) for c in gw.clusters},
        ENDPOINT: {c.name: load_assignment(c) for c in gw.clusters},
        LISTENER: {lis.name: listener(lis) for lis in gw.listeners},
        ROUTE: {name: rc for lis in gw.listeners for name, rc in route_configurations(lis).items()},
    }
    if gw.secrets:  # absent = empty to the snapshot cache; left out so HTTP-only dumps stay short
        out[SECRET] = {s.name: secret(s) for s in gw.secrets}
    if gw.ext is not None:  # kgateway kinds: programs (ECDS), Backends, access logs, ... (xdsgen/policies.py)
        policies.apply(gw, out, LISTENER, ROUTE, CLUSTER, EXTENSION_CONFIG)
    return out


def _plain(value):
    # MessageToDict returns OrderedDicts for Any payloads, which safe_dump refuses.
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def xds_to_dict(resources: XdsResources) -> dict:
    return {
        type_url: {name: _plain(json_format.MessageToDict(msg)) for name, msg in sorted(by_name.items())}
        for type_url, by_name in resources.items()
    }


def xds_to_yaml(resources: XdsResources) -> str:
    """Deterministic YAML (for golden files and debugging)."""
    return yaml.safe_dump(xds_to_dict(resources), sort_keys=True, default_flow_style=False, width=120)


__all__ = [
    "CLUSTER", "ENDPOINT", "EXTENSION_CONFIG", "INVALID_BACKEND_CLUSTER", "LISTENER", "ROUTE", "SECRET",
    "XdsResources", "to_xds", "xds_to_dict", "xds_to_yaml",
]
