"""TrafficPolicy responseCompression: Envoy's compressor filter. Envoy takes one library per filter and its
size and content-type thresholds only at the filter level, so a connection manager lists one compressor per
distinct (library, thresholds) its routes use, all listed off; a route switches on one per library it offers.
Envoy picks among those the client accepts best (Accept-Encoding q-values); on a tie the route's first
library (`choose_first`)."""
from __future__ import annotations

import hashlib

from envoy.extensions.compression.brotli.compressor.v3 import brotli_pb2
from envoy.extensions.compression.gzip.compressor.v3 import gzip_pb2
from envoy.extensions.compression.zstd.compressor.v3 import zstd_pb2
from envoy.extensions.filters.http.compressor.v3 import compressor_pb2
from envoy.extensions.filters.network.http_connection_manager.v3 import http_connection_manager_pb2 as hcm_pb2
from google.protobuf import any_pb2
from google.protobuf.message import Message

from ...ir import RouteIR
from ..common import packed
from ..context import XdsContext
from .optional import listed_off, switched_on
from .scope import HcmScope

NAME = "envoy.filters.http.compressor"
LIBRARIES: dict[str, tuple[str, type[Message]]] = {
    "Gzip": ("envoy.compression.gzip.compressor", gzip_pb2.Gzip),
    "Brotli": ("envoy.compression.brotli.compressor", brotli_pb2.Brotli),
    "Zstd": ("envoy.compression.zstd.compressor", zstd_pb2.Zstd),
}
Instance = tuple[str, int | None, tuple[str, ...], bool]  # library, min length, content types, first choice
# Envoy requires one of `disabled` and `overrides`: no override switches the compressor on as configured
_PER_ROUTE = compressor_pb2.CompressorPerRoute(overrides=compressor_pb2.CompressorOverrides())


def _instances(route: RouteIR) -> list[Instance]:
    c = route.ext.compression if route.ext else None
    if c is None or c.disabled or not c.libraries or route.direct_response_status is not None:
        return []
    return [(lib, c.min_content_length, tuple(c.content_types), i == 0) for i, lib in enumerate(c.libraries)]


def instance_name(inst: Instance) -> str:
    digest = hashlib.sha256(repr(inst).encode()).hexdigest()[:8]
    return f"{NAME}.{inst[0].lower()}.{digest}"


def _config(inst: Instance) -> compressor_pb2.Compressor:
    library, min_length, content_types, first = inst
    extension, message = LIBRARIES[library]
    out = compressor_pb2.Compressor(choose_first=first)
    out.compressor_library.name = extension
    out.compressor_library.typed_config.CopyFrom(packed(message()))
    common = out.response_direction_config.common_config
    if min_length is not None:
        common.min_content_length.value = min_length
    common.content_type.extend(content_types)  # [] = Envoy's defaults (kgateway's documented list)
    return out


def hcm_filters(ctx: XdsContext, scope: HcmScope) -> list[hcm_pb2.HttpFilter]:
    seen: dict[Instance, None] = {}
    for r in scope.routes:
        seen.update(dict.fromkeys(_instances(r)))
    return [listed_off(instance_name(i), _config(i)) for i in sorted(seen, key=instance_name)]


def per_route(ctx: XdsContext, route: RouteIR) -> dict[str, any_pb2.Any]:
    return {instance_name(i): switched_on(_PER_ROUTE) for i in _instances(route)}


def resources(ctx: XdsContext) -> dict[str, dict[str, Message]]:
    return {}
