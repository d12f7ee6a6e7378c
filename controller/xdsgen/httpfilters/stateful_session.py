"""HTTPRoute sessionPersistence: Envoy's stateful session filter pins a client to the endpoint that served it,
by a cookie or a header Envoy sets on the response and the client sends back (an endpoint that is gone or
unhealthy is replaced by the load balancer's choice, not refused)."""
from __future__ import annotations

from envoy.extensions.filters.http.stateful_session.v3 import stateful_session_pb2 as ss_pb2
from envoy.extensions.filters.network.http_connection_manager.v3 import http_connection_manager_pb2 as hcm_pb2
from envoy.extensions.http.stateful_session.cookie.v3 import cookie_pb2
from envoy.extensions.http.stateful_session.header.v3 import header_pb2
from google.protobuf import any_pb2
from google.protobuf.message import Message

from ...ir import RouteIR
from ...ir_traffic import SessionIR
from ..common import duration, packed
from ..context import XdsContext
from .optional import listed_off, switched_on
from .scope import HcmScope

NAME = "envoy.filters.http.stateful_session"


def _session(route: RouteIR) -> SessionIR | None:
    return route.session if route.direct_response_status is None else None


def hcm_filters(ctx: XdsContext, scope: HcmScope) -> list[hcm_pb2.HttpFilter]:
    return [listed_off(NAME, ss_pb2.StatefulSession())] if any(map(_session, scope.routes)) else []


def per_route(ctx: XdsContext, route: RouteIR) -> dict[str, any_pb2.Any]:
    s = _session(route)
    return {NAME: switched_on(ss_pb2.StatefulSessionPerRoute(stateful_session=session_config(s)))} if s else {}


def resources(ctx: XdsContext) -> dict[str, dict[str, Message]]:
    return {}


def session_config(s: SessionIR) -> ss_pb2.StatefulSession:
    out = ss_pb2.StatefulSession()
    if s.type == "Header":
        out.session_state.name = "envoy.http.stateful_session.header"
        out.session_state.typed_config.CopyFrom(packed(header_pb2.HeaderBasedSessionState(name=s.name)))
        return out
    state = cookie_pb2.CookieBasedSessionState()
    state.cookie.name, state.cookie.path = s.name, s.path
    state.cookie.ttl.CopyFrom(duration((s.ttl_s or 0) * 1000))  # 0: a session cookie
    out.session_state.name = "envoy.http.stateful_session.cookie"
    out.session_state.typed_config.CopyFrom(packed(state))
    return out
