"""TrafficPolicy extAuth: Envoy's external authorization filter, one instance per GatewayExtension a
connection manager's routes use (the service, failure mode and status on error are the instance's), listed
off and switched on per route with that route's context extensions and body settings. An HTTP service gets
the request's headers that `headersToForward` names (Envoy's default set otherwise); its answer's
`headersToBackend` go upstream, `headersToClient` back to a refused client."""
from __future__ import annotations

from envoy.config.core.v3 import base_pb2, config_source_pb2, grpc_service_pb2, http_uri_pb2
from envoy.extensions.filters.http.ext_authz.v3 import ext_authz_pb2 as authz_pb2
from envoy.extensions.filters.network.http_connection_manager.v3 import http_connection_manager_pb2 as hcm_pb2
from envoy.type.matcher.v3 import string_pb2
from envoy.type.v3 import http_status_pb2, percent_pb2
from google.protobuf import any_pb2
from google.protobuf.message import Message

from ...ir import RouteIR
from ...ir_security import ExtAuthBodyIR, ExtAuthIR, ExtAuthServiceIR
from ..common import duration
from ..context import XdsContext
from .optional import listed_off, switched_on
from .scope import HcmScope

PREFIX = "kgw.ext_authz/"


def filter_name(service: ExtAuthServiceIR) -> str:
    return PREFIX + service.extension


def _ext_auth(route: RouteIR) -> ExtAuthIR | None:
    a = route.ext.ext_auth if route.ext else None
    return a if a is not None and not a.disabled and a.service is not None else None


def _exact(names: list[str]) -> string_pb2.ListStringMatcher:
    return string_pb2.ListStringMatcher(patterns=[string_pb2.StringMatcher(exact=n) for n in names])


def _buffer(b: ExtAuthBodyIR) -> authz_pb2.BufferSettings:
    return authz_pb2.BufferSettings(max_request_bytes=b.max_bytes, allow_partial_message=b.allow_partial,
                                    pack_as_bytes=b.pack_as_bytes)


def config(s: ExtAuthServiceIR) -> authz_pb2.ExtAuthz:
    out = authz_pb2.ExtAuthz(transport_api_version=config_source_pb2.V3, failure_mode_allow=s.fail_open,
                             clear_route_cache=s.clear_route_cache,
                             status_on_error=http_status_pb2.HttpStatus(code=s.status_on_error),
                             stat_prefix=s.stat_prefix or "")
    if s.grpc:
        out.grpc_service.CopyFrom(grpc_service_pb2.GrpcService(
            envoy_grpc=grpc_service_pb2.GrpcService.EnvoyGrpc(cluster_name=s.cluster, authority=s.authority or ""),
            timeout=duration(s.timeout_ms)))
        if s.headers_to_forward:
            out.allowed_headers.CopyFrom(_exact(s.headers_to_forward))
    else:
        http = out.http_service
        http.server_uri.CopyFrom(http_uri_pb2.HttpUri(uri=f"http://{s.cluster}", cluster=s.cluster,
                                                      timeout=duration(s.timeout_ms)))
        http.path_prefix = s.path_prefix
        if s.headers_to_forward:
            http.authorization_request.allowed_headers.CopyFrom(_exact(s.headers_to_forward))
        for name, value in s.headers_to_add:
            http.authorization_request.headers_to_add.add(key=name, value=value)
        if s.headers_to_backend:
            http.authorization_response.allowed_upstream_headers.CopyFrom(_exact(s.headers_to_backend))
        if s.headers_to_client:
            http.authorization_response.allowed_client_headers.CopyFrom(_exact(s.headers_to_client))
        if s.headers_to_client_on_success:
            http.authorization_response.allowed_client_headers_on_success.CopyFrom(
                _exact(s.headers_to_client_on_success))
    if s.body is not None:
        out.with_request_body.CopyFrom(_buffer(s.body))
    if s.percentage_enabled is not None:
        out.filter_enabled.CopyFrom(base_pb2.RuntimeFractionalPercent(
            default_value=percent_pb2.FractionalPercent(numerator=s.percentage_enabled,
                                                        denominator=percent_pb2.FractionalPercent.HUNDRED),
            runtime_key=f"kgw.ext_authz.{s.extension}.enabled"))
    return out


def hcm_filters(ctx: XdsContext, scope: HcmScope) -> list[hcm_pb2.HttpFilter]:
    services = {filter_name(a.service): a.service for a in map(_ext_auth, scope.routes)
                if a is not None and a.service is not None}
    return [listed_off(name, config(services[name])) for name in sorted(services)]


def per_route(ctx: XdsContext, route: RouteIR) -> dict[str, any_pb2.Any]:
    a = _ext_auth(route)
    if a is None or a.service is None:
        return {}
    check = authz_pb2.CheckSettings(context_extensions=a.context_extensions)
    if a.body is not None:
        check.with_request_body.CopyFrom(_buffer(a.body))
    return {filter_name(a.service): switched_on(authz_pb2.ExtAuthzPerRoute(check_settings=check))}


def resources(ctx: XdsContext) -> dict[str, dict[str, Message]]:
    return {}
