"""CORS (HTTPRoute CORS filter): on a connection manager only where one of its routes uses it."""
from __future__ import annotations

from envoy.config.route.v3 import route_components_pb2 as rc
from envoy.extensions.filters.http.cors.v3 import cors_pb2
from envoy.extensions.filters.network.http_connection_manager.v3 import http_connection_manager_pb2 as hcm_pb2
from envoy.type.matcher.v3 import regex_pb2, string_pb2
from google.protobuf import any_pb2, wrappers_pb2
from google.protobuf.message import Message

from ...envoy_regex import origin_pattern
from ...ir import CorsIR, RouteIR
from ..common import packed
from ..context import XdsContext
from .scope import HcmScope

NAME = "envoy.filters.http.cors"
_OFF = packed(rc.FilterConfig(disabled=True))  # a TrafficPolicy `cors.disable`


def hcm_filters(ctx: XdsContext, scope: HcmScope) -> list[hcm_pb2.HttpFilter]:
    if not any(r.cors and not r.cors.disabled for r in scope.routes):
        return []
    return [hcm_pb2.HttpFilter(name=NAME, typed_config=packed(cors_pb2.Cors()))]


def per_route(ctx: XdsContext, route: RouteIR) -> dict[str, any_pb2.Any]:
    c = route.cors
    if c is None or route.direct_response_status is not None:
        return {}
    return {NAME: _OFF if c.disabled else cors_config(c)}


def resources(ctx: XdsContext) -> dict[str, dict[str, Message]]:
    return {}


def origin_matcher(origin: str) -> string_pb2.StringMatcher:
    pattern = origin_pattern(origin)
    if pattern is not None:
        return string_pb2.StringMatcher(safe_regex=regex_pb2.RegexMatcher(regex=pattern))
    return string_pb2.StringMatcher(exact=origin)


def cors_config(c: CorsIR) -> any_pb2.Any:
    policy = cors_pb2.CorsPolicy(
        allow_origin_string_match=[origin_matcher(o) for o in c.allow_origins],
        allow_methods=", ".join(c.allow_methods),
        allow_headers=", ".join(c.allow_headers),
        expose_headers=", ".join(c.expose_headers),
        max_age=str(c.max_age),
        # A preflight from an origin the route does not allow is answered here without
        # Access-Control-Allow-Origin, never forwarded to the backend (Envoy's default forwards it).
        forward_not_matching_preflights=wrappers_pb2.BoolValue(value=False),
    )
    if c.allow_credentials:
        policy.allow_credentials.CopyFrom(wrappers_pb2.BoolValue(value=True))
    return packed(policy)
