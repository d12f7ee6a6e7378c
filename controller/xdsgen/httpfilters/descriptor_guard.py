"""Rate-limit descriptors set by rules travel as request headers (`x-kgw-descriptor-<key>`, local_ratelimit.py);
a client must not pick its own bucket by sending one. A connection manager whose limits read descriptors
removes those headers from every request before anything can set them (header modifiers, rules programs),
so a descriptor is present only when the Gateway's own configuration set it."""
from __future__ import annotations

from envoy.config.common.mutation_rules.v3 import mutation_rules_pb2
from envoy.extensions.filters.http.header_mutation.v3 import header_mutation_pb2
from envoy.extensions.filters.network.http_connection_manager.v3 import http_connection_manager_pb2 as hcm_pb2
from google.protobuf import any_pb2
from google.protobuf.message import Message

from kgw_rules.wire import descriptor_header

from ...ir import RouteIR
from ..common import packed
from ..context import XdsContext
from .local_ratelimit import descriptor_keys
from .scope import HcmScope

NAME = "kgw.descriptor_guard"


def hcm_filters(ctx: XdsContext, scope: HcmScope) -> list[hcm_pb2.HttpFilter]:
    keys = descriptor_keys(ctx, scope)
    if not keys:
        return []
    removals = [mutation_rules_pb2.HeaderMutation(remove=descriptor_header(k)) for k in keys]
    config = header_mutation_pb2.HeaderMutation(mutations=header_mutation_pb2.Mutations(request_mutations=removals))
    return [hcm_pb2.HttpFilter(name=NAME, typed_config=packed(config))]


def per_route(ctx: XdsContext, route: RouteIR) -> dict[str, any_pb2.Any]:
    return {}


def resources(ctx: XdsContext) -> dict[str, dict[str, Message]]:
    return {}
