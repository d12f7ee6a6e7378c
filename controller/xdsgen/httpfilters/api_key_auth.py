"""TrafficPolicy apiKeyAuth: Envoy's API key filter, switched on per route with that route's keys. The
client id goes to the rules filter in an internal header (`api_key_client()`), and upstream under
`clientIdHeader` when the policy names one (the route copies it there; identity.py)."""
from __future__ import annotations

from envoy.extensions.filters.http.api_key_auth.v3 import api_key_auth_pb2
from envoy.extensions.filters.network.http_connection_manager.v3 import http_connection_manager_pb2 as hcm_pb2
from google.protobuf import any_pb2
from google.protobuf.message import Message

from ...ir import RouteIR
from ...ir_security import ApiKeyAuthIR
from ..context import XdsContext
from .identity import API_KEY_CLIENT
from .optional import listed_off, switched_on
from .scope import HcmScope

NAME = "envoy.filters.http.api_key_auth"


def api_keys(route: RouteIR) -> ApiKeyAuthIR | None:
    a = route.ext.api_key_auth if route.ext else None
    return a if a is not None and not a.disabled else None


def hcm_filters(ctx: XdsContext, scope: HcmScope) -> list[hcm_pb2.HttpFilter]:
    if not any(map(api_keys, scope.routes)):
        return []
    return [listed_off(NAME, api_key_auth_pb2.ApiKeyAuth())]


def per_route(ctx: XdsContext, route: RouteIR) -> dict[str, any_pb2.Any]:
    a = api_keys(route)
    if a is None:
        return {}
    config = api_key_auth_pb2.ApiKeyAuthPerRoute(
        credentials=[api_key_auth_pb2.Credential(key=key, client=client) for client, key in a.credentials],
        key_sources=[api_key_auth_pb2.KeySource(header=s.header or "", query=s.query or "", cookie=s.cookie or "")
                     for s in a.sources],
        forwarding=api_key_auth_pb2.Forwarding(header=API_KEY_CLIENT, hide_credentials=not a.forward_credential))
    return {NAME: switched_on(config)}


def resources(ctx: XdsContext) -> dict[str, dict[str, Message]]:
    return {}
