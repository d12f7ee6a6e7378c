"""kgw rules programs: an ECDS-configured wasm filter (`kgw.rules`) whose configuration is a bundle
(kgw_rules.wire) mapping Envoy route names to program lists (docs/data-plane.md). It is on every connection
manager of a Gateway that runs programs anywhere; routes that run none switch it off
(FilterConfig{disabled: true}), so they never enter the VM. The wasm filter has no per-route config type, so
switching it off per route is the only per-route choice it offers. Programs placed before authentication
(transformation.filterStage) run in a second instance early in the chain (httpfilters/__init__.py, ORDER)."""
from __future__ import annotations

import functools
from collections.abc import Sequence

from envoy.config.core.v3 import base_pb2, config_source_pb2, extension_pb2
from envoy.config.route.v3 import route_components_pb2 as rc
from envoy.extensions.filters.http.wasm.v3 import wasm_pb2 as http_wasm_pb2
from envoy.extensions.filters.network.http_connection_manager.v3 import http_connection_manager_pb2 as hcm_pb2
from envoy.extensions.wasm.v3 import wasm_pb2
from google.protobuf import any_pb2, wrappers_pb2
from google.protobuf.message import Message

import kgw_rules
from kgw_rules.wire import BundleRoute, encode_bundle, variant_for

from ...ads.types import EXTENSION_CONFIG
from ...ir import RouteIR
from ..common import ads_source, packed
from ..context import XdsContext, programs_of
from .scope import HcmScope

NAME = "kgw.rules"
WASM_TYPE = "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm"
_DISABLED = packed(rc.FilterConfig(disabled=True))  # packed once: most routes of a Gateway carry it


class WasmRules:
    """One instance of the filter: `before_auth` picks the programs placed before authentication
    (transformation.filterStage), which get their own instance, ECDS resource and bundle."""

    def __init__(self, name: str, before_auth: bool) -> None:
        self.name, self.before_auth = name, before_auth

    def hcm_filters(self, ctx: XdsContext, scope: HcmScope) -> list[hcm_pb2.HttpFilter]:
        if not ctx.rule_routes(self.before_auth) or ctx.native:  # the native build: rules_native.py
            return []
        return [hcm_pb2.HttpFilter(name=self.name, config_discovery=config_source_pb2.ExtensionConfigSource(
            config_source=ads_source(), type_urls=[WASM_TYPE]))]

    def per_route(self, ctx: XdsContext, route: RouteIR) -> dict[str, any_pb2.Any]:
        routes = ctx.rule_routes(self.before_auth)
        if routes and route.name not in routes and not ctx.native:
            return {self.name: _DISABLED}
        return {}

    def resources(self, ctx: XdsContext) -> dict[str, dict[str, Message]]:
        if ctx.ext is None or not ctx.rule_routes(self.before_auth) or ctx.native:
            return {}
        return {EXTENSION_CONFIG: {self.name: self._config(ctx)}}

    def _config(self, ctx: XdsContext) -> extension_pb2.TypedExtensionConfig:
        assert ctx.ext is not None
        programs = [p for p in ctx.ext.programs if p.before_auth == self.before_auth]
        env_names = sorted({name for p in programs for name in p.env_names})
        build = variant_for(p.needs for p in programs)
        return extension_config(self.bundle(ctx), env_names, build.filename, self.name)

    def bundle(self, ctx: XdsContext) -> bytes:
        """The plugin configuration: its programs and, per route that runs some of them, their list."""
        ext = ctx.ext
        assert ext is not None  # resources() asks only for a Gateway that runs programs
        routes, table, seen = ctx.rule_routes(self.before_auth), [], set()
        for r in ctx.routes:
            if r.name not in routes or r.name in seen:
                continue
            seen.add(r.name)
            table.append(BundleRoute(r.name.encode(), route_label(r).encode(),
                                     tuple(programs_of(r, ext, self.before_auth))))
        return encode_bundle({p.id: p.blob for p in ext.programs if p.before_auth == self.before_auth}, table)


rules = WasmRules(NAME, before_auth=False)
rules_before_auth = WasmRules(NAME + ".before-auth", before_auth=True)


def route_label(route: RouteIR) -> str:
    """What rules see as `route`: namespace/name/rule-index."""
    return route.ref.label if route.ref else route.name


@functools.cache
def _wasm(filename: str) -> bytes:
    """The module travels inline, over xDS: a proxy pod has no kgw package on its filesystem, and the same
    bytes (one V8 module per worker, shared by every configuration that names them) serve every Gateway."""
    return kgw_rules.filter_wasm_path(filename).read_bytes()


def extension_config(bundle_bytes: bytes, env_names: Sequence[str] = (),
                     filename: str = "kgw_filter.wasm", name: str = NAME) -> extension_pb2.TypedExtensionConfig:
    """`env_names`: the Envoy process's environment variables the programs read with env(); the VM sees
    only those listed (WASI environ_get answers from vm_config.environment_variables). `filename`: the build
    of the filter that exports only the callbacks the programs need (kgw_rules.wire.variants). `name`: the
    filter instance's; Envoy's ECDS subscription refuses a resource whose inner name is not the one it asked
    for ("Unexpected resource name in ExtensionConfigDS response")."""
    plugin = wasm_pb2.PluginConfig(
        name="kgw", allow_on_headers_stop_iteration=wrappers_pb2.BoolValue(value=True),
        failure_policy=wasm_pb2.FAIL_RELOAD,
        vm_config=wasm_pb2.VmConfig(runtime="envoy.wasm.runtime.v8", code=base_pb2.AsyncDataSource(
            local=base_pb2.DataSource(inline_bytes=_wasm(filename)))),
    )
    if env_names:
        plugin.vm_config.environment_variables.host_env_keys.extend(env_names)
    plugin.configuration.Pack(wrappers_pb2.BytesValue(value=bundle_bytes))
    return extension_pb2.TypedExtensionConfig(name=name, typed_config=packed(http_wasm_pb2.Wasm(config=plugin)))
