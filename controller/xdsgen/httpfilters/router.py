"""The router: always present, always last."""
from __future__ import annotations

from collections.abc import Sequence

from envoy.extensions.filters.http.router.v3 import router_pb2
from envoy.extensions.filters.network.http_connection_manager.v3 import http_connection_manager_pb2 as hcm_pb2
from google.protobuf import any_pb2
from google.protobuf.message import Message

from ...ir import RouteIR
from ..common import packed
from ..context import XdsContext

NAME = "envoy.filters.http.router"


def hcm_filter(ctx: XdsContext, routes: Sequence[RouteIR]) -> hcm_pb2.HttpFilter | None:
    return hcm_pb2.HttpFilter(name=NAME, typed_config=packed(router_pb2.Router()))


def per_route(ctx: XdsContext, route: RouteIR) -> any_pb2.Any | None:
    return None


def resources(ctx: XdsContext) -> dict[str, dict[str, Message]]:
    return {}
