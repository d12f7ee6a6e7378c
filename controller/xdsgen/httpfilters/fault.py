"""TrafficPolicy faultInjection: Envoy's fault filter (delay, abort, response rate limit), per route."""
from __future__ import annotations

from envoy.extensions.filters.common.fault.v3 import fault_pb2 as common_fault_pb2
from envoy.extensions.filters.http.fault.v3 import fault_pb2
from envoy.extensions.filters.network.http_connection_manager.v3 import http_connection_manager_pb2 as hcm_pb2
from envoy.type.v3 import percent_pb2
from google.protobuf import any_pb2
from google.protobuf.message import Message

from ...ir import RouteIR
from ...ir_traffic import FaultIR
from ..common import duration
from ..context import XdsContext
from .optional import listed_off, switched_on
from .scope import HcmScope

NAME = "envoy.filters.http.fault"


def _fault(route: RouteIR) -> FaultIR | None:
    f = route.ext.fault if route.ext else None
    return f if f is not None and not f.disabled else None


def hcm_filters(ctx: XdsContext, scope: HcmScope) -> list[hcm_pb2.HttpFilter]:
    return [listed_off(NAME, fault_pb2.HTTPFault())] if any(_fault(r) for r in scope.routes) else []


def per_route(ctx: XdsContext, route: RouteIR) -> dict[str, any_pb2.Any]:
    f = _fault(route)
    return {NAME: switched_on(fault_config(f))} if f else {}


def resources(ctx: XdsContext) -> dict[str, dict[str, Message]]:
    return {}


def _percent(n: int) -> percent_pb2.FractionalPercent:
    return percent_pb2.FractionalPercent(numerator=n, denominator=percent_pb2.FractionalPercent.HUNDRED)


def fault_config(f: FaultIR) -> fault_pb2.HTTPFault:
    out = fault_pb2.HTTPFault()
    if f.delay_ms is not None:
        out.delay.fixed_delay.CopyFrom(duration(f.delay_ms))
        out.delay.percentage.CopyFrom(_percent(f.delay_percent))
    if f.abort_http is not None:
        out.abort.http_status = f.abort_http
        out.abort.percentage.CopyFrom(_percent(f.abort_percent))
    elif f.abort_grpc is not None:
        out.abort.grpc_status = f.abort_grpc
        out.abort.percentage.CopyFrom(_percent(f.abort_percent))
    if f.rate_kbps is not None:
        out.response_rate_limit.CopyFrom(common_fault_pb2.FaultRateLimit(
            fixed_limit=common_fault_pb2.FaultRateLimit.FixedLimit(limit_kbps=f.rate_kbps),
            percentage=_percent(f.rate_percent)))
    if f.max_active is not None:
        out.max_active_faults.value = f.max_active
    return out
