"""Route-level traffic settings that are fields of Envoy's Route / RouteAction: retries, timeouts, the
TrafficPolicy path regex rewrite, auto host rewrite, internal redirects, stat prefix, and the hash policies a
BackendConfigPolicy's ring hash / maglev load balancer needs (HTTP filters are in httpfilters/)."""
from __future__ import annotations

from envoy.config.route.v3 import route_components_pb2 as rc
from envoy.extensions.retry.host.omit_canary_hosts.v3 import omit_canary_hosts_pb2
from envoy.extensions.retry.host.previous_hosts.v3 import previous_hosts_pb2
from envoy.type.matcher.v3 import regex_pb2

from ..ir import RetryIR, RouteIR
from ..ir_traffic import HashPolicyIR
from .common import duration, packed
from .context import XdsContext

# The spec: with a retry stanza, connection errors (disconnect, reset, timeout, TCP failure) SHOULD be
# retried; status codes only those listed. `reset` covers a per-try timeout (timeouts.backendRequest).
RETRY_ON_CONNECTION = "connect-failure,refused-stream,reset"
_HOST_PREDICATES = {
    "PreviousHosts": ("envoy.retry_host_predicates.previous_hosts", previous_hosts_pb2.PreviousHostsPredicate),
    "OmitCanaryHosts": ("envoy.retry_host_predicates.omit_canary_hosts",
                        omit_canary_hosts_pb2.OmitCanaryHostsPredicate),
}


def retry_policy(retry: RetryIR, policy: rc.RetryPolicy) -> None:
    conditions = list(retry.retry_on) or RETRY_ON_CONNECTION.split(",")
    if retry.codes and "retriable-status-codes" not in conditions:
        conditions.append("retriable-status-codes")  # kgateway: status codes are retried in addition
    policy.retry_on = ",".join(conditions)
    policy.retriable_status_codes.extend(retry.codes)
    if retry.attempts is not None:
        policy.num_retries.value = retry.attempts
    if retry.backoff_ms is not None and retry.backoff_ms > 1:
        # Envoy wants a base interval above 1 ms; below that its default (25 ms) still honours the minimum
        policy.retry_back_off.base_interval.CopyFrom(duration(retry.backoff_ms))
    if retry.per_try_timeout_ms is not None:
        policy.per_try_timeout.CopyFrom(duration(retry.per_try_timeout_ms))
    for name in retry.host_predicates:
        extension, message = _HOST_PREDICATES[name]
        policy.retry_host_predicate.add(name=extension, typed_config=packed(message()))
    if "PreviousHosts" in retry.host_predicates:
        policy.host_selection_retry_max_attempts = 5  # kgateway: a few reselections, best effort


def _hash_policy(h: HashPolicyIR) -> rc.RouteAction.HashPolicy:
    out = rc.RouteAction.HashPolicy(terminal=h.terminal)
    if h.kind == "header":
        out.header.header_name = h.name
    elif h.kind == "cookie":
        out.cookie.name = h.name
        if h.ttl_ms is not None:
            out.cookie.ttl.CopyFrom(duration(h.ttl_ms))
        if h.path is not None:
            out.cookie.path = h.path
        for attr, on in (("Secure", h.secure), ("HttpOnly", h.http_only)):
            if on:
                out.cookie.attributes.add(name=attr)
        if h.same_site:
            out.cookie.attributes.add(name="SameSite", value=h.same_site)
    else:
        out.connection_properties.source_ip = True
    return out


def route_traffic(ctx: XdsContext, r: RouteIR, action: rc.RouteAction) -> None:
    """Everything of a RouteIR's traffic settings that lives in its RouteAction."""
    if r.idle_timeout_ms is not None:
        action.idle_timeout.CopyFrom(duration(r.idle_timeout_ms))
    for cluster in (b.cluster for b in r.backends if b.cluster):
        policy = ctx.cluster_policies.get(cluster)
        lb = policy.load_balancer if policy else None
        if lb is not None and lb.hash_policies:  # the first backend with hash policies decides (Envoy has one list)
            action.hash_policy.extend(_hash_policy(h) for h in lb.hash_policies)
            break
    ext = r.ext
    if ext is None:
        return
    if ext.path_regex is not None:
        action.regex_rewrite.CopyFrom(regex_pb2.RegexMatchAndSubstitute(
            pattern=regex_pb2.RegexMatcher(regex=ext.path_regex.pattern), substitution=ext.path_regex.substitution))
    if ext.auto_host_rewrite:
        action.auto_host_rewrite.value = True
    ir = ext.internal_redirect
    if ir is not None:
        policy = action.internal_redirect_policy
        policy.redirect_response_codes.extend(ir.codes)
        policy.allow_cross_scheme_redirect = ir.allow_cross_scheme
        policy.response_headers_to_copy.extend(ir.copy_headers)
        if ir.max_redirects is not None:
            policy.max_internal_redirects.value = ir.max_redirects
