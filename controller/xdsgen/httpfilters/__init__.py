"""HTTP filters, one module each, in one declared order (Envoy Gateway's `httpfilters` is the model).

A filter module contributes while xDS is generated, never by patching built protos:
- `hcm_filter(ctx, routes)`: its entry in an HttpConnectionManager's filter list, or None when the routes of
  that connection manager do not need it (a filter nobody uses costs nothing);
- `per_route(ctx, route)`: its `typed_per_filter_config` for one route, or None;
- `resources(ctx)`: xDS resources of its own (e.g. the ECDS config of the rules filter), by type URL.

`ORDER` is the only place the order is decided: every HttpConnectionManager lists its filters in it.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from envoy.extensions.filters.network.http_connection_manager.v3 import http_connection_manager_pb2 as hcm_pb2
from google.protobuf import any_pb2
from google.protobuf.message import Message

from ...ir import RouteIR
from ..context import XdsContext
from . import aws_lambda, cors, router, rules, rules_native


class HttpFilterModule(Protocol):
    NAME: str

    def hcm_filter(self, ctx: XdsContext, routes: Sequence[RouteIR]) -> hcm_pb2.HttpFilter | None: ...

    def per_route(self, ctx: XdsContext, route: RouteIR) -> any_pb2.Any | None: ...

    def resources(self, ctx: XdsContext) -> dict[str, dict[str, Message]]: ...


# Decoding order: CORS answers preflights before anything else runs; rules programs see the request before
# a Lambda invocation rewrites it; the router is last.
# rules and rules_native are the two builds of one filter: a Gateway gets one of them (GatewayParameters).
ORDER: tuple[HttpFilterModule, ...] = (cors, rules, rules_native, aws_lambda, router)


def hcm_filters(ctx: XdsContext, routes: Sequence[RouteIR]) -> list[hcm_pb2.HttpFilter]:
    return [f for f in (m.hcm_filter(ctx, routes) for m in ORDER) if f is not None]


def per_route_configs(ctx: XdsContext, route: RouteIR) -> dict[str, any_pb2.Any]:
    out = {}
    for module in ORDER:
        config = module.per_route(ctx, route)
        if config is not None:
            out[module.NAME] = config
    return out


def resources(ctx: XdsContext) -> dict[str, dict[str, Message]]:
    out: dict[str, dict[str, Message]] = {}
    for module in ORDER:
        for type_url, by_name in module.resources(ctx).items():
            out.setdefault(type_url, {}).update(by_name)
    return out
