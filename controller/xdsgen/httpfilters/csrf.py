"""TrafficPolicy csrf: Envoy's CSRF filter, listed off and switched on per route. It refuses (403) a mutating
request (POST, PUT, DELETE, PATCH) whose Origin is neither the destination host nor one of the additional
origins; in shadow mode it only counts them."""
from __future__ import annotations

from envoy.config.core.v3 import base_pb2
from envoy.extensions.filters.http.csrf.v3 import csrf_pb2
from envoy.extensions.filters.network.http_connection_manager.v3 import http_connection_manager_pb2 as hcm_pb2
from envoy.type.matcher.v3 import regex_pb2, string_pb2
from envoy.type.v3 import percent_pb2
from google.protobuf import any_pb2
from google.protobuf.message import Message

from ...ir import RouteIR
from ...ir_security import CsrfIR
from ..context import XdsContext
from .optional import listed_off, switched_on
from .scope import HcmScope

NAME = "envoy.filters.http.csrf"


def _csrf(route: RouteIR) -> CsrfIR | None:
    return route.ext.csrf if route.ext else None


def _percent(n: int, key: str) -> base_pb2.RuntimeFractionalPercent:
    return base_pb2.RuntimeFractionalPercent(
        default_value=percent_pb2.FractionalPercent(numerator=n, denominator=percent_pb2.FractionalPercent.HUNDRED),
        runtime_key=f"kgw.csrf.{key}")


def _origin(kind: str, value: str, ignore_case: bool) -> string_pb2.StringMatcher:
    if kind == "safe_regex":
        return string_pb2.StringMatcher(safe_regex=regex_pb2.RegexMatcher(regex=value))
    out = string_pb2.StringMatcher(ignore_case=ignore_case)
    setattr(out, kind, value)
    return out


def policy(c: CsrfIR) -> csrf_pb2.CsrfPolicy:
    out = csrf_pb2.CsrfPolicy(filter_enabled=_percent(c.enabled_percent, "enabled"),
                              additional_origins=[_origin(*o) for o in c.origins])
    if c.shadow_percent:
        out.shadow_enabled.CopyFrom(_percent(c.shadow_percent, "shadowed"))
    return out


def hcm_filters(ctx: XdsContext, scope: HcmScope) -> list[hcm_pb2.HttpFilter]:
    if not any(map(_csrf, scope.routes)):
        return []
    return [listed_off(NAME, csrf_pb2.CsrfPolicy(filter_enabled=_percent(0, "enabled")))]


def per_route(ctx: XdsContext, route: RouteIR) -> dict[str, any_pb2.Any]:
    c = _csrf(route)
    return {NAME: switched_on(policy(c))} if c is not None else {}


def resources(ctx: XdsContext) -> dict[str, dict[str, Message]]:
    return {}
