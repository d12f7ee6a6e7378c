"""RouteConfiguration per Envoy listener (per SNI filter chain for HTTPS): one virtual host per domain,
routes in precedence order, filters as route fields."""
from __future__ import annotations

from envoy.config.core.v3 import base_pb2
from envoy.config.route.v3 import route_components_pb2 as rc
from envoy.config.route.v3 import route_pb2
from envoy.type.matcher.v3 import regex_pb2, string_pb2
from google.protobuf import wrappers_pb2

from ..ir import ListenerIR, MatchIR, RouteIR, StringMatchIR, VirtualHostIR
from . import httpfilters, telemetry
from .common import duration
from .context import XdsContext
from .filters import full_path_regex, header_options, keeps_request_port, mirror_policy, prefix_rewrite, redirect_action
from .httpfilters import identity
from .httpfilters.api_key_auth import api_keys
from .route_traffic import retry_policy, route_traffic

# Weighted entries for invalid backendRefs point here. No such cluster exists, and
# cluster_not_found_response_code turns that share of traffic into a 500, as the spec asks.
INVALID_BACKEND_CLUSTER = "kgw/invalid-backend"
ENVOY_DEFAULT_ROUTE_TIMEOUT_MS = 15_000


def _string_matcher(m: StringMatchIR) -> string_pb2.StringMatcher:
    if m.type == "RegularExpression":
        return string_pb2.StringMatcher(safe_regex=regex_pb2.RegexMatcher(regex=m.value))
    return string_pb2.StringMatcher(exact=m.value)


def route_match(m: MatchIR) -> rc.RouteMatch:
    out = rc.RouteMatch()
    if m.path_type == "Exact":
        out.path = m.path
    elif m.path_type == "RegularExpression":
        out.safe_regex.regex = m.path
    elif m.path.rstrip("/") == "":
        out.prefix = "/"
    else:
        # Gateway API prefixes match whole path segments and ignore a trailing `/`: /abc matches /abc,
        # /abc/ and /abc/def but not /abcd. path_separated_prefix is exactly that.
        out.path_separated_prefix = m.path.rstrip("/")
    headers = [rc.HeaderMatcher(name=h.name, string_match=_string_matcher(h)) for h in m.headers]
    if m.method:
        headers.append(rc.HeaderMatcher(name=":method", string_match=string_pb2.StringMatcher(exact=m.method)))
    out.headers.extend(headers)
    out.query_parameters.extend(
        rc.QueryParameterMatcher(name=q.name, string_match=_string_matcher(q)) for q in m.query_params)
    return out


def _route_action(ctx: XdsContext, r: RouteIR, action: rc.RouteAction) -> None:
    action.cluster_not_found_response_code = rc.RouteAction.INTERNAL_SERVER_ERROR
    plain = all(b.request_headers is None and b.response_headers is None for b in r.backends)
    if len(r.backends) == 1 and plain:
        action.cluster = r.backends[0].cluster or INVALID_BACKEND_CLUSTER
    else:
        for b in r.backends:
            cw = action.weighted_clusters.clusters.add(
                name=b.cluster or INVALID_BACKEND_CLUSTER, weight=wrappers_pb2.UInt32Value(value=b.weight))
            if b.request_headers:  # backendRef-level filters apply to this backend's share only
                cw.request_headers_to_add.extend(header_options(b.request_headers))
                cw.request_headers_to_remove.extend(b.request_headers.remove)
            if b.response_headers:
                cw.response_headers_to_add.extend(header_options(b.response_headers))
                cw.response_headers_to_remove.extend(b.response_headers.remove)
    timeout = r.timeout_ms
    if r.retry is not None:
        retry_policy(r.retry, action.retry_policy)
    if r.backend_timeout_ms is not None:
        # timeouts.backendRequest bounds each attempt to a backend; without retries, that is the one attempt.
        action.retry_policy.per_try_timeout.CopyFrom(duration(r.backend_timeout_ms))
        if r.retry is None:
            action.retry_policy.num_retries.value = 0
        if timeout is None and r.backend_timeout_ms > ENVOY_DEFAULT_ROUTE_TIMEOUT_MS:
            timeout = r.backend_timeout_ms  # never cut a backend attempt short with Envoy's default
    if timeout is not None:
        action.timeout.CopyFrom(duration(timeout))
    if r.rewrite:
        if r.rewrite.hostname:
            action.host_rewrite_literal = r.rewrite.hostname
        if r.rewrite.path and r.rewrite.path.type == "ReplaceFullPath":
            action.regex_rewrite.CopyFrom(full_path_regex(r.rewrite.path.value))
        elif r.rewrite.path:
            kind, value = prefix_rewrite(r.rewrite.path)
            if kind == "prefix":
                action.prefix_rewrite = value
            else:
                action.regex_rewrite.CopyFrom(value)
    action.request_mirror_policies.extend(mirror_policy(m) for m in r.mirrors)
    if r.websocket:
        action.upgrade_configs.add(upgrade_type="websocket", enabled=wrappers_pb2.BoolValue(value=True))
    route_traffic(ctx, r, action)


# A Host with a port (`h:8080`, `[::1]:8080`); a bracketed IPv6 address alone ends in `]`, not a digit.
_HOST_WITH_PORT = ".+:[0-9]+"


def routes(ctx: XdsContext, r: RouteIR, listener: ListenerIR) -> list[rc.Route]:
    """The Envoy routes of one RouteIR: one, except for a redirect that keeps the request's host and whose
    port is the scheme's default. Envoy would carry a port the client sent in Host into Location, so a copy
    first in line catches a Host with a port and names the port explicitly (Envoy then drops the client's)."""
    if r.redirect is not None and r.direct_response_status is None and keeps_request_port(r.redirect, listener):
        with_port = route(ctx, r, listener, host_has_port=True)
        with_port.match.headers.add(name=":authority").string_match.safe_regex.regex = _HOST_WITH_PORT
        return [with_port, route(ctx, r, listener)]
    return [route(ctx, r, listener)]


def route(ctx: XdsContext, r: RouteIR, listener: ListenerIR, host_has_port: bool = False) -> rc.Route:
    out = rc.Route(name=r.name, match=route_match(r.match))
    if r.ext is not None and r.ext.stat_prefix:
        out.stat_prefix = r.ext.stat_prefix
    if ctx.ext is not None and ctx.ext.fail_all:  # a never-valid Gateway-level policy: rules are never skipped
        out.direct_response.status = 500
        return out
    for name, config in httpfilters.per_route_configs(ctx, r).items():
        out.typed_per_filter_config[name].CopyFrom(config)
    if r.ext is not None and r.ext.tracing is not None:  # TrafficPolicy tracing overrides
        out.tracing.CopyFrom(telemetry.route_tracing(r.ext.tracing))
    if r.direct_response_status is not None:
        out.direct_response.status = r.direct_response_status
        if r.ext is not None and r.ext.direct_body:  # a DirectResponse's body
            out.direct_response.body.inline_string = r.ext.direct_body
        return out
    if r.redirect is not None:
        out.redirect.CopyFrom(redirect_action(r.redirect, listener, host_has_port))
    else:
        _route_action(ctx, r, out.route)
    if r.request_headers:
        out.request_headers_to_add.extend(header_options(r.request_headers))
        out.request_headers_to_remove.extend(r.request_headers.remove)
    if r.response_headers:
        out.response_headers_to_add.extend(header_options(r.response_headers))
        out.response_headers_to_remove.extend(r.response_headers.remove)
    keys = api_keys(r)
    if keys is not None and keys.client_id_header:
        # copied before the virtual host removes the internal header (routes are evaluated first)
        out.request_headers_to_add.add(
            header=base_pb2.HeaderValue(key=keys.client_id_header, value=f"%REQ({identity.API_KEY_CLIENT})%"),
            append_action=base_pb2.HeaderValueOption.OVERWRITE_IF_EXISTS_OR_ADD)
    return out


def _internal_headers(vh: VirtualHostIR) -> list[str]:
    """Identity headers only the rules filter reads: never sent upstream."""
    out = []
    if any(r.ext is not None and r.ext.jwt is not None for r in vh.routes):
        out.append(identity.JWT_PAYLOAD)
    if any(api_keys(r) is not None for r in vh.routes):
        out.append(identity.API_KEY_CLIENT)
    return out


def route_configuration(ctx: XdsContext, name: str, listener: ListenerIR,
                        vhosts: list[VirtualHostIR]) -> route_pb2.RouteConfiguration:
    return route_pb2.RouteConfiguration(
        name=name,
        # Clusters arrive over CDS and invalid backends deliberately name a missing one.
        validate_clusters=wrappers_pb2.BoolValue(value=False),
        # Gateway API: the port in Host is ignored when matching hostnames, and the backend still sees it.
        # Domains `h` + `h:*` would do for exact names only: Envoy reads `*.a.com:*` as the literal suffix
        # `.a.com:*`, which no Host matches.
        ignore_port_in_host_matching=True,
        virtual_hosts=[
            rc.VirtualHost(name=vh.name, domains=vh.domains,
                           routes=[x for r in vh.routes for x in routes(ctx, r, listener)],
                           request_headers_to_remove=_internal_headers(vh))
            for vh in vhosts
        ],
    )


def route_configurations(ctx: XdsContext, listener: ListenerIR) -> dict[str, route_pb2.RouteConfiguration]:
    """HTTP: one RouteConfiguration named like the listener; HTTPS: one per filter chain (per SNI); none for
    the connections of TLS and TCP listeners."""
    if listener.filter_chains:
        return {fc.name: route_configuration(ctx, fc.name, listener, fc.virtual_hosts)
                for fc in listener.filter_chains}
    if listener.stream_chains:
        return {}
    return {listener.name: route_configuration(ctx, listener.name, listener, listener.virtual_hosts)}
