"""Envoy Listener + HttpConnectionManager with the edge defaults documented in docs/edge-defaults.md."""
from __future__ import annotations

from envoy.config.core.v3 import address_pb2, config_source_pb2, protocol_pb2
from envoy.config.listener.v3 import listener_components_pb2, listener_pb2
from envoy.extensions.filters.http.router.v3 import router_pb2
from envoy.extensions.filters.network.http_connection_manager.v3 import http_connection_manager_pb2 as hcm_pb2
from google.protobuf import any_pb2, duration_pb2, wrappers_pb2

from ..ir import ListenerIR

HCM = hcm_pb2.HttpConnectionManager
HCM_FILTER = "envoy.filters.network.http_connection_manager"
ROUTER_FILTER = "envoy.filters.http.router"

# Edge defaults (each one is explained in docs/edge-defaults.md).
MAX_REQUEST_HEADERS_KB = 60
MAX_HEADERS_COUNT = 100
CONNECTION_IDLE_TIMEOUT_S = 3600
STREAM_IDLE_TIMEOUT_S = 300
REQUEST_TIMEOUT_S = 300
REQUEST_HEADERS_TIMEOUT_S = 10
H2_MAX_CONCURRENT_STREAMS = 100
H2_INITIAL_STREAM_WINDOW = 65536
H2_INITIAL_CONNECTION_WINDOW = 1048576


def ads_source() -> config_source_pb2.ConfigSource:
    return config_source_pb2.ConfigSource(
        ads=config_source_pb2.AggregatedConfigSource(), resource_api_version=config_source_pb2.V3)


def _packed(message) -> any_pb2.Any:
    out = any_pb2.Any()
    out.Pack(message)
    return out


def _seconds(n: int) -> duration_pb2.Duration:
    return duration_pb2.Duration(seconds=n)


def http_connection_manager(listener: ListenerIR) -> hcm_pb2.HttpConnectionManager:
    return HCM(
        codec_type=HCM.AUTO,
        stat_prefix=f"http-{listener.bind_port}",
        rds=hcm_pb2.Rds(config_source=ads_source(), route_config_name=listener.name),
        http_filters=[hcm_pb2.HttpFilter(name=ROUTER_FILTER, typed_config=_packed(router_pb2.Router()))],
        # Route matches see the normalised path: `/a/../b`, `//admin` and `%2Fadmin` cannot bypass them.
        normalize_path=wrappers_pb2.BoolValue(value=True),
        merge_slashes=True,
        path_with_escaped_slashes_action=HCM.UNESCAPE_AND_REDIRECT,
        # kgw is the edge: trust no x-forwarded-for hop, use the peer address as the client address.
        use_remote_address=wrappers_pb2.BoolValue(value=True),
        xff_num_trusted_hops=0,
        max_request_headers_kb=wrappers_pb2.UInt32Value(value=MAX_REQUEST_HEADERS_KB),
        common_http_protocol_options=protocol_pb2.HttpProtocolOptions(
            idle_timeout=_seconds(CONNECTION_IDLE_TIMEOUT_S),
            max_headers_count=wrappers_pb2.UInt32Value(value=MAX_HEADERS_COUNT),
            headers_with_underscores_action=protocol_pb2.HttpProtocolOptions.REJECT_REQUEST,
        ),
        http2_protocol_options=protocol_pb2.Http2ProtocolOptions(
            max_concurrent_streams=wrappers_pb2.UInt32Value(value=H2_MAX_CONCURRENT_STREAMS),
            initial_stream_window_size=wrappers_pb2.UInt32Value(value=H2_INITIAL_STREAM_WINDOW),
            initial_connection_window_size=wrappers_pb2.UInt32Value(value=H2_INITIAL_CONNECTION_WINDOW),
        ),
        stream_idle_timeout=_seconds(STREAM_IDLE_TIMEOUT_S),
        request_timeout=_seconds(REQUEST_TIMEOUT_S),
        request_headers_timeout=_seconds(REQUEST_HEADERS_TIMEOUT_S),
        # Gateway API: the port in Host is ignored for matching (so --port-offset never affects it).
        strip_any_host_port=True,
    )


def listener(ir: ListenerIR) -> listener_pb2.Listener:
    return listener_pb2.Listener(
        name=ir.name,
        address=address_pb2.Address(
            socket_address=address_pb2.SocketAddress(address=ir.bind_address, port_value=ir.bind_port)),
        filter_chains=[listener_components_pb2.FilterChain(filters=[
            listener_components_pb2.Filter(name=HCM_FILTER, typed_config=_packed(http_connection_manager(ir))),
        ])],
    )
