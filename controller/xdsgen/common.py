"""Small proto helpers every generator uses."""
from __future__ import annotations

from envoy.config.core.v3 import config_source_pb2
from google.protobuf import any_pb2, duration_pb2

TLS_TRANSPORT_SOCKET = "envoy.transport_sockets.tls"


def ads_source() -> config_source_pb2.ConfigSource:
    return config_source_pb2.ConfigSource(
        ads=config_source_pb2.AggregatedConfigSource(), resource_api_version=config_source_pb2.V3)


def packed(message) -> any_pb2.Any:
    out = any_pb2.Any()
    out.Pack(message)
    return out


def duration(ms: int) -> duration_pb2.Duration:
    return duration_pb2.Duration(seconds=ms // 1000, nanos=ms % 1000 * 1000000)
