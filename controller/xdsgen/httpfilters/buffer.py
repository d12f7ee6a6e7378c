"""TrafficPolicy buffer: Envoy's buffer filter (the whole request body, up to a size; larger: 413), per route."""
from __future__ import annotations

from envoy.extensions.filters.http.buffer.v3 import buffer_pb2
from envoy.extensions.filters.network.http_connection_manager.v3 import http_connection_manager_pb2 as hcm_pb2
from google.protobuf import any_pb2, wrappers_pb2
from google.protobuf.message import Message

from ...ir import RouteIR
from ..context import XdsContext
from .optional import listed_off, switched_on
from .scope import HcmScope

NAME = "envoy.filters.http.buffer"
_PLACEHOLDER_BYTES = 1  # required on the listed-off filter; every route that enables it brings its own size


def _size(route: RouteIR) -> int | None:
    b = route.ext.buffer if route.ext else None
    return b.max_bytes if b is not None and not b.disabled else None


def hcm_filters(ctx: XdsContext, scope: HcmScope) -> list[hcm_pb2.HttpFilter]:
    if not any(_size(r) for r in scope.routes):
        return []
    return [listed_off(NAME, buffer_pb2.Buffer(max_request_bytes=wrappers_pb2.UInt32Value(value=_PLACEHOLDER_BYTES)))]


def per_route(ctx: XdsContext, route: RouteIR) -> dict[str, any_pb2.Any]:
    size = _size(route)
    if size is None:
        return {}
    limit = buffer_pb2.Buffer(max_request_bytes=wrappers_pb2.UInt32Value(value=size))
    return {NAME: switched_on(buffer_pb2.BufferPerRoute(buffer=limit))}


def resources(ctx: XdsContext) -> dict[str, dict[str, Message]]:
    return {}
