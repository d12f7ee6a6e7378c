"""Envoy Listener + HttpConnectionManager with the edge defaults documented in docs/edge-defaults.md.

HTTPS listeners get one filter chain per Gateway listener, picked by SNI, with certificates over SDS; TLS and
TCP listeners get their chains from streams.py (tcp_proxy), beside HTTPS ones when they share a port. The HTTP
filters come from httpfilters (one module each, one declared order); listener policies (access logs, buffer
limits, tracing: telemetry.py) are read from the Gateway's IR while the protos are built."""
from __future__ import annotations

import ipaddress

from envoy.config.core.v3 import address_pb2, base_pb2, protocol_pb2
from envoy.config.core.v3 import extension_pb2 as typed_config_pb2
from envoy.config.listener.v3 import listener_components_pb2, listener_pb2
from envoy.extensions.filters.listener.tls_inspector.v3 import tls_inspector_pb2
from envoy.extensions.filters.network.http_connection_manager.v3 import http_connection_manager_pb2 as hcm_pb2
from envoy.extensions.http.original_ip_detection.xff.v3 import xff_pb2
from envoy.extensions.transport_sockets.tls.v3 import common_pb2, secret_pb2, tls_pb2
from google.protobuf import duration_pb2, wrappers_pb2

from ..ir import ClientValidationIR, FilterChainIR, ListenerIR, VirtualHostIR
from . import deny_responses, httpfilters, telemetry
from .accesslog import access_log
from .common import TLS_TRANSPORT_SOCKET, ads_source, packed
from .context import XdsContext
from .httpfilters import identity
from .streams import stream_chain

HCM = hcm_pb2.HttpConnectionManager
HCM_FILTER = "envoy.filters.network.http_connection_manager"
TLS_INSPECTOR = "envoy.filters.listener.tls_inspector"
XFF_DETECTION = "envoy.http.original_ip_detection.xff"

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


def _seconds(n: int) -> duration_pb2.Duration:
    return duration_pb2.Duration(seconds=n)


def http_connection_manager(ctx: XdsContext, listener: ListenerIR, route_config_name: str | None = None,
                            vhosts: list[VirtualHostIR] | None = None,
                            gateway_listeners: list[str] | None = None) -> hcm_pb2.HttpConnectionManager:
    vhosts = listener.virtual_hosts if vhosts is None else vhosts
    gateway_listeners = listener.gateway_listeners if gateway_listeners is None else gateway_listeners
    hcm = HCM(
        codec_type=HCM.AUTO,
        stat_prefix=f"http-{listener.bind_port}",
        rds=hcm_pb2.Rds(config_source=ads_source(), route_config_name=route_config_name or listener.name),
        http_filters=httpfilters.hcm_filters(ctx, [r for vh in vhosts for r in vh.routes], gateway_listeners),
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
        # The Host port is ignored for matching by the RouteConfiguration (ignore_port_in_host_matching), not
        # stripped here: the backend sees the Host the client sent.
    )
    if any(r.websocket for vh in vhosts for r in vh.routes):
        # WebSocket upgrades are off by default and switched on per route (appProtocol kubernetes.io/ws).
        hcm.upgrade_configs.add(upgrade_type="websocket", enabled=wrappers_pb2.BoolValue(value=False))
    if ctx.ext is not None:
        hcm.access_log.extend(access_log(log) for log in ctx.ext.access_logs)
        if ctx.ext.tracing is not None:
            hcm.tracing.CopyFrom(telemetry.hcm_tracing(ctx.ext.tracing))
        # ListenerPolicy httpSettings: behind a load balancer, trust its x-forwarded-for hops (client_ip, ACL)
        if ctx.ext.use_remote_address is not None:
            hcm.use_remote_address.value = ctx.ext.use_remote_address
        if ctx.ext.xff_num_trusted_hops is not None:
            hcm.xff_num_trusted_hops = ctx.ext.xff_num_trusted_hops
        if ctx.ext.xff_trusted_cidrs:
            # Envoy refuses the detection extension beside use_remote_address or xff_num_trusted_hops
            hcm.use_remote_address.value, hcm.xff_num_trusted_hops = False, 0
            hcm.original_ip_detection_extensions.append(trusted_xff(ctx.ext.xff_trusted_cidrs))
    replies = deny_responses.local_reply_config([r for vh in vhosts for r in vh.routes])
    if replies is not None:
        hcm.local_reply_config.CopyFrom(replies)
    if identity.needs_strip([r for vh in vhosts for r in vh.routes]):
        hcm.early_header_mutation_extensions.append(identity.early_strip())
    return hcm


def trusted_xff(cidrs: list[str]) -> typed_config_pb2.TypedExtensionConfig:
    """Envoy's XFF original-IP detection: x-forwarded-for entries appended by a trusted peer are skipped from the
    right; the peer itself is still appended for the upstream (skip_xff_append false), as at the edge."""
    config = xff_pb2.XffConfig(skip_xff_append=wrappers_pb2.BoolValue(value=False))
    for cidr in cidrs:
        net = ipaddress.ip_network(cidr)
        config.xff_trusted_cidrs.cidrs.add(address_prefix=str(net.network_address),
                                           prefix_len=wrappers_pb2.UInt32Value(value=net.prefixlen))
    return typed_config_pb2.TypedExtensionConfig(name=XFF_DETECTION, typed_config=packed(config))


def _tls_chain(ctx: XdsContext, ir: ListenerIR, fc: FilterChainIR) -> listener_components_pb2.FilterChain:
    tls = tls_pb2.DownstreamTlsContext()
    common = tls.common_tls_context
    common.alpn_protocols.extend(["h2", "http/1.1"])
    common.tls_certificate_sds_secret_configs.extend(
        secret_pb2.SdsSecretConfig(name=name, sds_config=ads_source()) for name in fc.secrets)
    if ir.client_validation is not None:
        _client_validation(tls, ir.client_validation)
    hcm = http_connection_manager(ctx, ir, fc.name, fc.virtual_hosts, [fc.gateway_listener])
    return listener_components_pb2.FilterChain(
        name=fc.name,
        filter_chain_match=listener_components_pb2.FilterChainMatch(server_names=fc.server_names),
        transport_socket=base_pb2.TransportSocket(name=TLS_TRANSPORT_SOCKET, typed_config=packed(tls)),
        filters=[listener_components_pb2.Filter(name=HCM_FILTER, typed_config=packed(hcm))],
    )


def _client_validation(tls: tls_pb2.DownstreamTlsContext, v: ClientValidationIR) -> None:
    """Ask for a client certificate checked against the CA bundle (SDS). AllowValidOnly requires one that
    verifies; AllowInsecureFallback still asks, but lets clients in without one or with one that fails."""
    sds = secret_pb2.SdsSecretConfig(name=v.ca_secret, sds_config=ads_source())
    if v.insecure_fallback:
        combined = tls.common_tls_context.combined_validation_context
        combined.default_validation_context.trust_chain_verification = \
            common_pb2.CertificateValidationContext.ACCEPT_UNTRUSTED
        combined.validation_context_sds_secret_config.CopyFrom(sds)
    else:
        tls.common_tls_context.validation_context_sds_secret_config.CopyFrom(sds)
        tls.require_client_certificate.value = True


def listener(ctx: XdsContext, ir: ListenerIR) -> listener_pb2.Listener:
    out = listener_pb2.Listener(
        name=ir.name,
        address=address_pb2.Address(
            socket_address=address_pb2.SocketAddress(address=ir.bind_address, port_value=ir.bind_port)))
    if ir.filter_chains or ir.stream_chains:  # HTTPS, TLS, TCP: a chain per Gateway listener or SNI name
        if ir.filter_chains or any(sc.server_names or sc.secrets for sc in ir.stream_chains):
            # the TLS inspector reads SNI, which picks the chain (and so the Gateway listener)
            out.listener_filters.append(listener_components_pb2.ListenerFilter(
                name=TLS_INSPECTOR, typed_config=packed(tls_inspector_pb2.TlsInspector())))
        out.filter_chains.extend(_tls_chain(ctx, ir, fc) for fc in ir.filter_chains)
        out.filter_chains.extend(stream_chain(ctx, ir.bind_port, sc) for sc in ir.stream_chains)
    else:
        out.filter_chains.append(listener_components_pb2.FilterChain(filters=[
            listener_components_pb2.Filter(name=HCM_FILTER, typed_config=packed(http_connection_manager(ctx, ir))),
        ]))
    if ctx.ext is not None and ctx.ext.buffer_limit_bytes is not None:  # ListenerPolicy
        out.per_connection_buffer_limit_bytes.value = ctx.ext.buffer_limit_bytes
    return out
