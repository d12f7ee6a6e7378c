"""TrafficPolicy headerModifiers: Envoy's header_mutation filter, per route (before rules programs on the way
in, after them on the way out). HTTPRoute header modifier filters stay route fields (applied by the router,
so on the same header they have the last word)."""
from __future__ import annotations

from envoy.config.common.mutation_rules.v3 import mutation_rules_pb2
from envoy.extensions.filters.http.header_mutation.v3 import header_mutation_pb2
from envoy.extensions.filters.network.http_connection_manager.v3 import http_connection_manager_pb2 as hcm_pb2
from google.protobuf import any_pb2
from google.protobuf.message import Message

from ...ir import HeaderKVIR, HeaderModIR, RouteIR
from ...ir_traffic import HeaderMutationIR
from ..context import XdsContext
from ..filters import header_options
from .optional import listed_off, switched_on
from .scope import HcmScope

NAME = "envoy.filters.http.header_mutation"


def _mutation(route: RouteIR) -> HeaderMutationIR | None:
    return route.ext.header_mutation if route.ext else None


def hcm_filters(ctx: XdsContext, scope: HcmScope) -> list[hcm_pb2.HttpFilter]:
    return [listed_off(NAME, header_mutation_pb2.HeaderMutation())] if any(map(_mutation, scope.routes)) else []


def per_route(ctx: XdsContext, route: RouteIR) -> dict[str, any_pb2.Any]:
    m = _mutation(route)
    if m is None:
        return {}
    mutations = header_mutation_pb2.Mutations(
        request_mutations=_list(m.request_set, m.request_add, m.request_remove),
        response_mutations=_list(m.response_set, m.response_add, m.response_remove))
    return {NAME: switched_on(header_mutation_pb2.HeaderMutationPerRoute(mutations=mutations))}


def resources(ctx: XdsContext) -> dict[str, dict[str, Message]]:
    return {}


def _list(set_, add, remove) -> list[mutation_rules_pb2.HeaderMutation]:
    mod = HeaderModIR([HeaderKVIR(h.name, h.value) for h in set_], [HeaderKVIR(h.name, h.value) for h in add])
    out = [mutation_rules_pb2.HeaderMutation(append=o) for o in header_options(mod)]
    return out + [mutation_rules_pb2.HeaderMutation(remove=name) for name in remove]
