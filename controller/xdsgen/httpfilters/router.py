"""The router: always present, always last."""
from __future__ import annotations

from envoy.extensions.filters.http.router.v3 import router_pb2
from envoy.extensions.filters.network.http_connection_manager.v3 import http_connection_manager_pb2 as hcm_pb2
from google.protobuf import any_pb2
from google.protobuf.message import Message

from ...ir import RouteIR
from ..common import packed
from ..context import XdsContext
from .scope import HcmScope

NAME = "envoy.filters.http.router"


def hcm_filters(ctx: XdsContext, scope: HcmScope) -> list[hcm_pb2.HttpFilter]:
    return [hcm_pb2.HttpFilter(name=NAME, typed_config=packed(router_pb2.Router()))]


def per_route(ctx: XdsContext, route: RouteIR) -> dict[str, any_pb2.Any]:
    return {}


def resources(ctx: XdsContext) -> dict[str, dict[str, Message]]:
    return {}
