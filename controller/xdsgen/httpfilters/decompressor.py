"""TrafficPolicy requestDecompression: Envoy's decompressor filter, one per library (Envoy picks it by the
request's Content-Encoding), listed off and switched on per route; responses are left as they are."""
from __future__ import annotations

from envoy.config.route.v3 import route_components_pb2 as rc
from envoy.extensions.compression.brotli.decompressor.v3 import brotli_pb2
from envoy.extensions.compression.gzip.decompressor.v3 import gzip_pb2
from envoy.extensions.compression.zstd.decompressor.v3 import zstd_pb2
from envoy.extensions.filters.http.decompressor.v3 import decompressor_pb2
from envoy.extensions.filters.network.http_connection_manager.v3 import http_connection_manager_pb2 as hcm_pb2
from google.protobuf import any_pb2
from google.protobuf.message import Message

from ...ir import RouteIR
from ..common import packed
from ..context import XdsContext
from .optional import listed_off
from .scope import HcmScope

NAME = "envoy.filters.http.decompressor"
# The decompressor has no per-route message: a FilterConfig whose `config` is present but empty switches a
# listed-off filter on with its own config (Envoy's route config parsing; without `config` it is an error).
_ON = packed(rc.FilterConfig(config=any_pb2.Any()))
LIBRARIES: dict[str, tuple[str, type[Message]]] = {
    "Gzip": ("envoy.compression.gzip.decompressor", gzip_pb2.Gzip),
    "Brotli": ("envoy.compression.brotli.decompressor", brotli_pb2.Brotli),
    "Zstd": ("envoy.compression.zstd.decompressor", zstd_pb2.Zstd),
}


def _libraries(route: RouteIR) -> list[str]:
    c = route.ext.compression if route.ext else None
    if c is None or c.decompress_disabled:
        return []
    return list(c.decompress)


def _name(library: str) -> str:
    return f"{NAME}.{library.lower()}"


def _config(library: str) -> decompressor_pb2.Decompressor:
    extension, message = LIBRARIES[library]
    out = decompressor_pb2.Decompressor()
    out.decompressor_library.name = extension
    out.decompressor_library.typed_config.CopyFrom(packed(message()))
    out.response_direction_config.common_config.enabled.default_value.value = False
    out.response_direction_config.common_config.enabled.runtime_key = "kgw.decompressor.responses"
    return out


def hcm_filters(ctx: XdsContext, scope: HcmScope) -> list[hcm_pb2.HttpFilter]:
    used = {lib for r in scope.routes for lib in _libraries(r)}
    return [listed_off(_name(lib), _config(lib)) for lib in LIBRARIES if lib in used]


def per_route(ctx: XdsContext, route: RouteIR) -> dict[str, any_pb2.Any]:
    return {_name(lib): _ON for lib in _libraries(route)}


def resources(ctx: XdsContext) -> dict[str, dict[str, Message]]:
    return {}
