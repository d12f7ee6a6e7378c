"""HTTP filters, one module each, in one declared order (Envoy Gateway's `httpfilters` is the model).

A filter module contributes while xDS is generated, never by patching built protos:
- `hcm_filters(ctx, scope)`: its entries in an HttpConnectionManager's filter list (`scope`: the routes of that
  connection manager and the Gateway listeners it serves) — none when those routes do not need it (a filter
  nobody uses costs nothing), several when Envoy needs one instance per configuration (compressors);
- `per_route(ctx, route)`: its `typed_per_filter_config` entries for one route, by filter name;
- `resources(ctx)`: xDS resources of its own (e.g. the ECDS config of the rules filter), by type URL.

Filters most routes do not use are listed `disabled` on the connection manager and switched on per route
(`optional.py`), so a route without the setting never enters them.

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
from . import (
    api_key_auth,
    aws_lambda,
    basic_auth,
    buffer,
    compressor,
    cors,
    csrf,
    decompressor,
    descriptor_guard,
    ext_authz,
    fault,
    header_mutation,
    jwt_authn,
    local_ratelimit,
    oauth2,
    router,
    stateful_session,
)
from .rbac import acl, rbac
from .rules import rules, rules_before_auth
from .rules_native import rules_native, rules_native_before_auth
from .scope import HcmScope


class HttpFilterModule(Protocol):
    def hcm_filters(self, ctx: XdsContext, scope: HcmScope) -> list[hcm_pb2.HttpFilter]: ...

    def per_route(self, ctx: XdsContext, route: RouteIR) -> dict[str, any_pb2.Any]: ...

    def resources(self, ctx: XdsContext) -> dict[str, dict[str, Message]]: ...


# Decoding order (responses pass them in reverse):
# - fault injection first: an injected abort or delay happens before any other work;
# - CORS answers preflights before anything else runs (a preflight carries no credentials);
# - rules programs placed before authentication (transformation.filterStage, a second instance of the rules
#   filter): the only programs whose response phase sees the answers of an authentication or authorization
#   filter, and whose request phase never sees a verified identity (none is verified yet);
# - authentication (the OAuth2 flow first, as in Envoy Gateway, so the JWT filter can verify the access token
#   it forwards; then JWT, basic auth, API keys), then authorization (an external service, then ACL and RBAC by
#   client address, CSRF by origin; the external service runs after JWT, so it sees the claims' headers): a request
#   they refuse is answered there, so no later filter -- rules programs included -- sees it, and their 401/403
#   passes back only through the filters before them (docs/security.md, "Filter order");
# - the compressor early, so that on the way back it compresses the final response (after rules programs
#   rewrote it); the decompressor before rules, so programs read a plain request body;
# - the descriptor guard removes client-sent rate-limit descriptor headers before anything sets them;
# - TrafficPolicy header modifiers before rules programs (programs see and can override them);
# - rules programs (`rules` and `rules_native` are the two builds of one filter: a Gateway gets one of them,
#   GatewayParameters) before the local rate limit, so a program can set the descriptor a request is limited by;
# - the buffer filter, the stateful session (picks the upstream host), a Lambda invocation, the router last.
ORDER: tuple[HttpFilterModule, ...] = (fault, cors, rules_before_auth, rules_native_before_auth, oauth2, jwt_authn,
                                       basic_auth, api_key_auth, ext_authz, acl, rbac, csrf, compressor, decompressor,
                                       descriptor_guard, header_mutation, rules, rules_native, local_ratelimit, buffer,
                                       stateful_session, aws_lambda, router)


def hcm_filters(ctx: XdsContext, routes: Sequence[RouteIR], listeners: Sequence[str]) -> list[hcm_pb2.HttpFilter]:
    scope = HcmScope(list(routes), tuple(listeners))
    return [f for m in ORDER for f in m.hcm_filters(ctx, scope)]


def per_route_configs(ctx: XdsContext, route: RouteIR) -> dict[str, any_pb2.Any]:
    out = {}
    for module in ORDER:
        out.update(module.per_route(ctx, route))
    return out


def resources(ctx: XdsContext) -> dict[str, dict[str, Message]]:
    out: dict[str, dict[str, Message]] = {}
    for module in ORDER:
        for type_url, by_name in module.resources(ctx).items():
            out.setdefault(type_url, {}).update(by_name)
    return out
