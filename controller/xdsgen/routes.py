"""RouteConfiguration per Envoy listener: one virtual host per domain, routes in precedence order."""
from __future__ import annotations

from envoy.config.route.v3 import route_components_pb2 as rc
from envoy.config.route.v3 import route_pb2
from envoy.type.matcher.v3 import regex_pb2, string_pb2
from google.protobuf import duration_pb2, wrappers_pb2

from ..ir import ListenerIR, MatchIR, RouteIR, StringMatchIR

# Weighted entries for invalid backendRefs point here. No such cluster exists, and
# cluster_not_found_response_code turns that share of traffic into a 500, as the spec asks.
INVALID_BACKEND_CLUSTER = "kgw/invalid-backend"


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


def route(r: RouteIR) -> rc.Route:
    out = rc.Route(name=r.name, match=route_match(r.match))
    if r.direct_response_status is not None:
        out.direct_response.status = r.direct_response_status
        return out
    action = out.route
    action.cluster_not_found_response_code = rc.RouteAction.INTERNAL_SERVER_ERROR
    if len(r.backends) == 1:
        action.cluster = r.backends[0].cluster or INVALID_BACKEND_CLUSTER
    else:
        action.weighted_clusters.clusters.extend(
            rc.WeightedCluster.ClusterWeight(name=b.cluster or INVALID_BACKEND_CLUSTER,
                                             weight=wrappers_pb2.UInt32Value(value=b.weight))
            for b in r.backends)
    if r.timeout_ms is not None:
        action.timeout.CopyFrom(duration_pb2.Duration(seconds=r.timeout_ms // 1000, nanos=r.timeout_ms % 1000 * 1000000))
    return out


def route_configuration(listener: ListenerIR) -> route_pb2.RouteConfiguration:
    return route_pb2.RouteConfiguration(
        name=listener.name,
        # Clusters arrive over CDS and invalid backends deliberately name a missing one.
        validate_clusters=wrappers_pb2.BoolValue(value=False),
        virtual_hosts=[
            rc.VirtualHost(name=vh.name, domains=vh.domains, routes=[route(r) for r in vh.routes])
            for vh in listener.virtual_hosts
        ],
    )
