"""TrafficPolicy basicAuth: Envoy's basic auth filter, listed off and switched on per route with that route's
users. The user name goes upstream (and to rules: `basic_auth_user()`) in kgateway's header."""
from __future__ import annotations

from envoy.extensions.filters.http.basic_auth.v3 import basic_auth_pb2
from envoy.extensions.filters.network.http_connection_manager.v3 import http_connection_manager_pb2 as hcm_pb2
from google.protobuf import any_pb2
from google.protobuf.message import Message

from ...ir import RouteIR
from ...ir_security import BasicAuthIR
from ..context import XdsContext
from .identity import BASIC_USER
from .optional import listed_off, switched_on
from .scope import HcmScope

NAME = "envoy.filters.http.basic_auth"
# The connection manager's own users are never consulted (every route that enters the filter brings its
# own); Envoy requires some: a SHA-1 of all zero bytes, which no password hashes to.
_NOBODY = "kgw-nobody:{SHA}AAAAAAAAAAAAAAAAAAAAAAAAAAA="


def _basic(route: RouteIR) -> BasicAuthIR | None:
    b = route.ext.basic_auth if route.ext else None
    return b if b is not None and not b.disabled else None


def hcm_filters(ctx: XdsContext, scope: HcmScope) -> list[hcm_pb2.HttpFilter]:
    if not any(map(_basic, scope.routes)):
        return []
    config = basic_auth_pb2.BasicAuth(forward_username_header=BASIC_USER)
    config.users.inline_string = _NOBODY
    return [listed_off(NAME, config)]


def per_route(ctx: XdsContext, route: RouteIR) -> dict[str, any_pb2.Any]:
    b = _basic(route)
    if b is None:
        return {}
    per_route = basic_auth_pb2.BasicAuthPerRoute()
    per_route.users.inline_string = b.htpasswd
    return {NAME: switched_on(per_route)}


def resources(ctx: XdsContext) -> dict[str, dict[str, Message]]:
    return {}
