"""TrafficPolicy jwtAuth: Envoy's JWT filter. The connection manager lists every provider its routes use and
one requirement per GatewayExtension (its providers OR-ed; AllowMissing lets a request without a token
through); a route switches the filter on with its requirement's name. A verified payload is handed to the
rules filter in an internal header (identity.py), removed before the request goes upstream, and to the RBAC
filter's CEL expressions in dynamic metadata."""
from __future__ import annotations

from envoy.config.core.v3 import http_uri_pb2
from envoy.extensions.filters.http.jwt_authn.v3 import config_pb2 as jwt_pb2
from envoy.extensions.filters.network.http_connection_manager.v3 import http_connection_manager_pb2 as hcm_pb2
from google.protobuf import any_pb2, empty_pb2
from google.protobuf.message import Message

from ...ir import RouteIR
from ...ir_security import JwtIR, JwtProviderIR
from ..common import duration
from ..context import XdsContext
from .identity import JWT_PAYLOAD
from .optional import listed_off, switched_on
from .scope import HcmScope

NAME = "envoy.filters.http.jwt_authn"
# kgateway's key: rbac matchExpressions read `metadata.filter_metadata["envoy.filters.http.jwt_authn"]["payload"]`
PAYLOAD_IN_METADATA = "payload"
REMOTE_TIMEOUT_MS = 5000


def _jwt(route: RouteIR) -> JwtIR | None:
    j = route.ext.jwt if route.ext else None
    return j if j is not None and not j.disabled else None


def requirement_name(j: JwtIR) -> str:
    return j.requirement + ("/allow-missing" if j.allow_missing else "")


def provider(p: JwtProviderIR) -> jwt_pb2.JwtProvider:
    out = jwt_pb2.JwtProvider(issuer=p.issuer, audiences=p.audiences, forward=p.forward_token,
                              forward_payload_header=JWT_PAYLOAD, payload_in_metadata=PAYLOAD_IN_METADATA)
    if p.local_jwks is not None:
        out.local_jwks.inline_string = p.local_jwks
    else:
        out.remote_jwks.http_uri.CopyFrom(http_uri_pb2.HttpUri(uri=p.remote_url, cluster=p.remote_cluster,
                                                               timeout=duration(REMOTE_TIMEOUT_MS)))
        if p.cache_duration_ms is not None:
            out.remote_jwks.cache_duration.CopyFrom(duration(p.cache_duration_ms))
    if p.header is not None:
        out.from_headers.add(name=p.header, value_prefix=p.prefix or "")
    if p.query is not None:
        out.from_params.append(p.query)
    for claim, header in p.claims_to_headers:
        out.claim_to_headers.add(claim_name=claim, header_name=header)
    return out


def config(requirements: list[JwtIR]) -> jwt_pb2.JwtAuthentication:
    out = jwt_pb2.JwtAuthentication()
    for j in sorted(requirements, key=requirement_name):
        names = []
        for p in j.providers:
            out.providers[p.name].CopyFrom(provider(p))
            names.append(p.name)
        anyof = jwt_pb2.JwtRequirementOrList(requirements=[jwt_pb2.JwtRequirement(provider_name=n) for n in names])
        if j.allow_missing:
            anyof.requirements.add(allow_missing=empty_pb2.Empty())
        req = (jwt_pb2.JwtRequirement(requires_any=anyof) if len(anyof.requirements) > 1
               else jwt_pb2.JwtRequirement(provider_name=names[0]))
        out.requirement_map[requirement_name(j)].CopyFrom(req)
    return out


def hcm_filters(ctx: XdsContext, scope: HcmScope) -> list[hcm_pb2.HttpFilter]:
    found = {requirement_name(j): j for j in map(_jwt, scope.routes) if j is not None}
    return [listed_off(NAME, config(list(found.values())))] if found else []


def per_route(ctx: XdsContext, route: RouteIR) -> dict[str, any_pb2.Any]:
    j = _jwt(route)
    if j is None:
        return {}
    return {NAME: switched_on(jwt_pb2.PerRouteConfig(requirement_name=requirement_name(j)))}


def resources(ctx: XdsContext) -> dict[str, dict[str, Message]]:
    return {}


