"""kgw rules programs in the native build of the filter (GatewayParameters `dataPlane: Native`): Envoy's
dynamic-module HTTP filter loading `libkgw_rules.so` (docs/data-plane.md, "Native"). The connection manager
lists it with no programs of its own; each route that runs programs carries them in a
DynamicModuleFilterPerRoute (a bundle whose only entry is the wildcard, so no route name is read), so a
rule change is a route update that drains nothing. Routes without programs switch it off
(FilterConfig{disabled: true}). The module file cannot travel over xDS: it must be on the proxy's
filesystem (the deployer's init container, or `kgw up`)."""
from __future__ import annotations

from envoy.config.route.v3 import route_components_pb2 as rc
from envoy.extensions.dynamic_modules.v3 import dynamic_modules_pb2 as dm_pb2
from envoy.extensions.filters.http.dynamic_modules.v3 import dynamic_modules_pb2 as dmf_pb2
from envoy.extensions.filters.network.http_connection_manager.v3 import http_connection_manager_pb2 as hcm_pb2
from google.protobuf import any_pb2, wrappers_pb2
from google.protobuf.message import Message

from kgw_rules.filter import NATIVE_MODULE_NAME
from kgw_rules.wire import BundleRoute, encode_bundle

from ...ir import RouteIR
from ..common import packed
from ..context import XdsContext, programs_of
from .rules import route_label
from .scope import HcmScope

NAME = "kgw.native"
FILTER_NAME = "kgw"  # the name the module is told its filter has
_MODULE = dm_pb2.DynamicModuleConfig(name=NATIVE_MODULE_NAME, do_not_close=True)
_DISABLED = packed(rc.FilterConfig(disabled=True))


class NativeRules:
    """One instance of the module's filter: `before_auth` picks the programs placed before authentication
    (transformation.filterStage), run by a second instance early in the chain."""

    def __init__(self, name: str, before_auth: bool) -> None:
        self.name, self.before_auth = name, before_auth

    def hcm_filters(self, ctx: XdsContext, scope: HcmScope) -> list[hcm_pb2.HttpFilter]:
        if not ctx.rule_routes(self.before_auth) or not ctx.native:
            return []
        return [hcm_pb2.HttpFilter(name=self.name, typed_config=packed(dmf_pb2.DynamicModuleFilter(
            dynamic_module_config=_MODULE, filter_name=FILTER_NAME)))]

    def per_route(self, ctx: XdsContext, route: RouteIR) -> dict[str, any_pb2.Any]:
        routes = ctx.rule_routes(self.before_auth)
        if not routes or not ctx.native:
            return {}
        if route.name not in routes:
            return {self.name: _DISABLED}
        return {self.name: packed(dmf_pb2.DynamicModuleFilterPerRoute(
            dynamic_module_config=_MODULE, per_route_config_name=FILTER_NAME,
            filter_config=packed(wrappers_pb2.BytesValue(value=route_programs(ctx, route, self.before_auth)))))}

    def resources(self, ctx: XdsContext) -> dict[str, dict[str, Message]]:
        return {}


def route_programs(ctx: XdsContext, route: RouteIR, before_auth: bool = False) -> bytes:
    """The route's programs, in run order, as a bundle with one wildcard entry (kgw_rules.wire)."""
    ext = ctx.ext
    assert ext is not None  # program routes exist only with programs
    ids = programs_of(route, ext, before_auth)
    blobs = {p.id: p.blob for p in ext.programs if p.id in ids}
    return encode_bundle(blobs, [BundleRoute(b"", route_label(route).encode(), tuple(ids))])


rules_native = NativeRules(NAME, before_auth=False)
rules_native_before_auth = NativeRules(NAME + ".before-auth", before_auth=True)
