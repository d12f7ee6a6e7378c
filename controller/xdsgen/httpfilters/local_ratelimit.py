"""TrafficPolicy rateLimit.local: Envoy's local rate limit filter (token buckets; 429 when empty, with the
x-ratelimit-* headers).

A route-level limit is that route's own bucket (its per-route config). A Gateway- or listener-level limit is
the connection manager's config: one bucket for every route it serves that has no limit of its own.
Descriptors (kgw): a rules program sets a descriptor value (docs/language.md); the rules filter, which runs
first, hands it over in an internal request header, and the limit's `rate_limits` turn that header into the
descriptor whose bucket applies."""
from __future__ import annotations

from envoy.config.core.v3 import base_pb2
from envoy.config.route.v3 import route_components_pb2 as rc
from envoy.extensions.common.ratelimit.v3 import ratelimit_pb2
from envoy.extensions.filters.http.local_ratelimit.v3 import local_rate_limit_pb2 as lrl_pb2
from envoy.extensions.filters.network.http_connection_manager.v3 import http_connection_manager_pb2 as hcm_pb2
from envoy.type.v3 import percent_pb2, token_bucket_pb2
from google.protobuf import any_pb2
from google.protobuf.message import Message

from kgw_rules.wire import descriptor_header

from ...ir import RouteIR
from ...ir_traffic import LocalRateLimitIR, TokenBucketIR
from ..common import duration, packed
from ..context import XdsContext
from .optional import switched_on
from .scope import HcmScope

NAME = "envoy.filters.http.local_ratelimit"
STAT_PREFIX = "kgw_local_rate_limit"
# Wildcard descriptors (an entry without value) keep a bucket per distinct value, up to this many per descriptor.
MAX_DYNAMIC_DESCRIPTORS = 10_000


def _route_limit(route: RouteIR) -> LocalRateLimitIR | None:
    return route.ext.rate_limit if route.ext else None


def shared_limit(ctx: XdsContext, listeners) -> LocalRateLimitIR | None:
    """The bucket of a connection manager serving these Gateway listeners: a listener's own, else the
    Gateway's (translate refuses listener-level limits on listeners that share a connection manager)."""
    limits = ctx.ext.rate_limits if ctx.ext else {}
    for name in listeners:
        if name in limits:
            return limits[name]
    return limits.get("")


def descriptor_keys(ctx: XdsContext, scope: HcmScope) -> list[str]:
    """Every descriptor key a limit of this connection manager reads (sorted)."""
    limits = [shared_limit(ctx, scope.listeners), *map(_route_limit, scope.routes)]
    return sorted({key for limit in limits if limit for d in limit.descriptors for key, _ in d.entries})


def hcm_filters(ctx: XdsContext, scope: HcmScope) -> list[hcm_pb2.HttpFilter]:
    shared = shared_limit(ctx, scope.listeners)
    if shared is not None:
        return [hcm_pb2.HttpFilter(name=NAME, typed_config=packed(limit_config(shared)))]
    if any(map(_route_limit, scope.routes)):
        return [hcm_pb2.HttpFilter(name=NAME, typed_config=packed(lrl_pb2.LocalRateLimit(stat_prefix=STAT_PREFIX)),
                                   disabled=True)]
    return []


def per_route(ctx: XdsContext, route: RouteIR) -> dict[str, any_pb2.Any]:
    limit = _route_limit(route)
    return {NAME: switched_on(limit_config(limit))} if limit else {}


def resources(ctx: XdsContext) -> dict[str, dict[str, Message]]:
    return {}


def _bucket(b: TokenBucketIR) -> token_bucket_pb2.TokenBucket:
    out = token_bucket_pb2.TokenBucket(max_tokens=b.max_tokens, fill_interval=duration(b.fill_interval_ms))
    out.tokens_per_fill.value = b.tokens_per_fill
    return out


def _percent(n: int, key: str) -> base_pb2.RuntimeFractionalPercent:
    return base_pb2.RuntimeFractionalPercent(
        default_value=percent_pb2.FractionalPercent(numerator=n, denominator=percent_pb2.FractionalPercent.HUNDRED),
        runtime_key=f"kgw.local_rate_limit.{key}")


def limit_config(limit: LocalRateLimitIR) -> lrl_pb2.LocalRateLimit:
    out = lrl_pb2.LocalRateLimit(
        stat_prefix=STAT_PREFIX, token_bucket=_bucket(limit.bucket),
        # Envoy enables and enforces nothing unless told: 0% is its default
        filter_enabled=_percent(limit.percent_enabled, "enabled"),
        filter_enforced=_percent(limit.percent_enforced, "enforced"),
        enable_x_ratelimit_headers=ratelimit_pb2.DRAFT_VERSION_03)
    keys: list[str] = []
    for d in limit.descriptors:
        entry = out.descriptors.add(token_bucket=_bucket(d.bucket))
        for key, value in d.entries:
            entry.entries.add(key=key, value=value)
            if key not in keys:
                keys.append(key)
    if keys:
        # one descriptor per request: an entry for every key whose header the rules filter set
        actions = [rc.RateLimit.Action(request_headers=rc.RateLimit.Action.RequestHeaders(
            header_name=descriptor_header(k), descriptor_key=k, skip_if_absent=True)) for k in keys]
        out.rate_limits.add(actions=actions)
        if any(not v for d in limit.descriptors for _, v in d.entries):
            out.max_dynamic_descriptors.value = MAX_DYNAMIC_DESCRIPTORS
    return out
