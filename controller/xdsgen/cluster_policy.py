"""BackendConfigPolicy settings as Cluster fields, set while a cluster is built (clusters.py, backends.py):
connection limits and keepalives, HTTP protocol options, load balancer, active health checks, outlier
detection, circuit breakers, the upstream PROXY protocol."""
from __future__ import annotations

from envoy.config.cluster.v3 import circuit_breaker_pb2, cluster_pb2, outlier_detection_pb2
from envoy.config.core.v3 import base_pb2, health_check_pb2, protocol_pb2, proxy_protocol_pb2
from envoy.extensions.http.header_formatters.preserve_case.v3 import preserve_case_pb2
from envoy.extensions.transport_sockets.proxy_protocol.v3 import upstream_proxy_protocol_pb2
from envoy.extensions.transport_sockets.raw_buffer.v3 import raw_buffer_pb2
from envoy.extensions.upstreams.http.v3 import http_protocol_options_pb2 as hpo
from envoy.type.v3 import percent_pb2

from ..ir_traffic import ClusterPolicyIR, HealthCheckIR, LoadBalancerIR, OutlierDetectionIR, SlowStartIR
from .common import duration, packed

HTTP_PROTOCOL_OPTIONS = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions"
_LB = {"round_robin": cluster_pb2.Cluster.ROUND_ROBIN, "least_request": cluster_pb2.Cluster.LEAST_REQUEST,
       "random": cluster_pb2.Cluster.RANDOM, "ring_hash": cluster_pb2.Cluster.RING_HASH,
       "maglev": cluster_pb2.Cluster.MAGLEV}


def protocol_options(http2: bool, p: ClusterPolicyIR | None) -> hpo.HttpProtocolOptions | None:
    """The cluster's HttpProtocolOptions: HTTP/2 with prior knowledge for h2c/gRPC backends, and the policy's
    common, HTTP/1 (only for HTTP/1 backends) and HTTP/2 (only for HTTP/2 backends) options."""
    out = hpo.HttpProtocolOptions()
    explicit = out.explicit_http_config
    if http2:
        explicit.http2_protocol_options.SetInParent()
    if p is not None:
        _common(p, out.common_http_protocol_options)
        if http2:
            _http2(p, explicit.http2_protocol_options)
        else:
            _http1(p, explicit.http_protocol_options)
    if not out.HasField("explicit_http_config") and not out.HasField("common_http_protocol_options"):
        return None
    if not out.HasField("explicit_http_config"):
        explicit.http_protocol_options.SetInParent()  # Envoy requires one of the upstream protocol choices
    return out


def _common(p: ClusterPolicyIR, c: protocol_pb2.HttpProtocolOptions) -> None:
    if p.idle_timeout_ms is not None:
        c.idle_timeout.CopyFrom(duration(p.idle_timeout_ms))
    if p.max_connection_duration_ms is not None:
        c.max_connection_duration.CopyFrom(duration(p.max_connection_duration_ms))
    if p.max_headers_count is not None:
        c.max_headers_count.value = p.max_headers_count
    if p.max_stream_duration_ms is not None:
        c.max_stream_duration.CopyFrom(duration(p.max_stream_duration_ms))
    if p.max_requests_per_connection:  # 0 = unlimited, Envoy's default
        c.max_requests_per_connection.value = p.max_requests_per_connection


def _http1(p: ClusterPolicyIR, h1: protocol_pb2.Http1ProtocolOptions) -> None:
    if p.http1_trailers is not None:
        h1.enable_trailers = p.http1_trailers
    if p.http1_preserve_case:
        h1.header_key_format.stateful_formatter.name = "envoy.http.stateful_header_formatters.preserve_case"
        h1.header_key_format.stateful_formatter.typed_config.CopyFrom(
            packed(preserve_case_pb2.PreserveCaseFormatterConfig()))
    if p.http1_override_stream_error is not None:
        h1.override_stream_error_on_invalid_http_message.value = p.http1_override_stream_error


def _http2(p: ClusterPolicyIR, h2: protocol_pb2.Http2ProtocolOptions) -> None:
    if p.http2_stream_window is not None:
        h2.initial_stream_window_size.value = p.http2_stream_window
    if p.http2_connection_window is not None:
        h2.initial_connection_window_size.value = p.http2_connection_window
    if p.http2_max_concurrent_streams is not None:
        h2.max_concurrent_streams.value = p.http2_max_concurrent_streams
    if p.http2_override_stream_error is not None:
        h2.override_stream_error_on_invalid_http_message.value = p.http2_override_stream_error
    if p.http2_keepalive_timeout_ms is not None:
        ka = h2.connection_keepalive
        ka.timeout.CopyFrom(duration(p.http2_keepalive_timeout_ms))
        if p.http2_keepalive_interval_ms is not None:
            ka.interval.CopyFrom(duration(p.http2_keepalive_interval_ms))
        if p.http2_keepalive_idle_ms is not None:
            ka.connection_idle_interval.CopyFrom(duration(p.http2_keepalive_idle_ms))


def _slow_start(s: SlowStartIR, out: cluster_pb2.Cluster.SlowStartConfig) -> None:
    if s.window_ms is not None:
        out.slow_start_window.CopyFrom(duration(s.window_ms))
    if s.aggression is not None:
        out.aggression.default_value = float(s.aggression)
        out.aggression.runtime_key = "kgw.slow_start.aggression"
    if s.min_weight_percent is not None:
        out.min_weight_percent.value = s.min_weight_percent


def _load_balancer(lb: LoadBalancerIR, c: cluster_pb2.Cluster) -> None:
    c.lb_policy = _LB[lb.policy]
    if lb.policy == "least_request":
        if lb.choice_count is not None:
            c.least_request_lb_config.choice_count.value = lb.choice_count
        if lb.slow_start is not None:
            _slow_start(lb.slow_start, c.least_request_lb_config.slow_start_config)
    elif lb.policy == "round_robin" and lb.slow_start is not None:
        _slow_start(lb.slow_start, c.round_robin_lb_config.slow_start_config)
    elif lb.policy == "ring_hash":
        if lb.min_ring_size is not None:
            c.ring_hash_lb_config.minimum_ring_size.value = lb.min_ring_size
        if lb.max_ring_size is not None:
            c.ring_hash_lb_config.maximum_ring_size.value = lb.max_ring_size
    common = c.common_lb_config
    if lb.use_hostname_for_hashing:
        common.consistent_hashing_lb_config.use_hostname_for_hashing = True
    if lb.healthy_panic_threshold is not None:
        common.healthy_panic_threshold.CopyFrom(percent_pb2.Percent(value=lb.healthy_panic_threshold))
    if lb.update_merge_window_ms is not None:
        common.update_merge_window.CopyFrom(duration(lb.update_merge_window_ms))
    if lb.locality_weighted:
        common.locality_weighted_lb_config.SetInParent()
    if lb.close_connections_on_host_set_change:
        common.close_connections_on_host_set_change = True


def _health_check(h: HealthCheckIR) -> health_check_pb2.HealthCheck:
    out = health_check_pb2.HealthCheck(timeout=duration(h.timeout_ms), interval=duration(h.interval_ms))
    out.unhealthy_threshold.value, out.healthy_threshold.value = h.unhealthy_threshold, h.healthy_threshold
    if h.kind == "http":
        out.http_health_check.path = h.path
        if h.host:
            out.http_health_check.host = h.host
        if h.method:
            out.http_health_check.method = base_pb2.RequestMethod.Value(h.method)
    elif h.kind == "grpc":
        out.grpc_health_check.SetInParent()
        if h.grpc_service:
            out.grpc_health_check.service_name = h.grpc_service
        if h.authority:
            out.grpc_health_check.authority = h.authority
    else:
        out.tcp_health_check.SetInParent()
    return out


def _outlier(o: OutlierDetectionIR) -> outlier_detection_pb2.OutlierDetection:
    out = outlier_detection_pb2.OutlierDetection(
        interval=duration(o.interval_ms), base_ejection_time=duration(o.base_ejection_time_ms),
        split_external_local_origin_errors=o.split_external_local_origin_errors)
    out.consecutive_5xx.value, out.max_ejection_percent.value = o.consecutive_5xx, o.max_ejection_percent
    if o.enforcing_consecutive_5xx is not None:
        out.enforcing_consecutive_5xx.value = o.enforcing_consecutive_5xx
    if o.consecutive_local_origin_failure is not None:
        out.consecutive_local_origin_failure.value = o.consecutive_local_origin_failure
    if o.enforcing_consecutive_local_origin_failure is not None:
        out.enforcing_consecutive_local_origin_failure.value = o.enforcing_consecutive_local_origin_failure
    return out


def apply_policy(c: cluster_pb2.Cluster, p: ClusterPolicyIR | None, dns: bool) -> None:
    """The policy's cluster-level fields (HTTP protocol options are protocol_options' job)."""
    if p is None:
        return
    if p.connect_timeout_ms is not None:
        c.connect_timeout.CopyFrom(duration(p.connect_timeout_ms))
    if p.buffer_limit_bytes is not None:
        c.per_connection_buffer_limit_bytes.value = p.buffer_limit_bytes
    if p.keepalive_probes is not None or p.keepalive_time_s is not None or p.keepalive_interval_s is not None:
        ka = c.upstream_connection_options.tcp_keepalive
        for field, value in (("keepalive_probes", p.keepalive_probes), ("keepalive_time", p.keepalive_time_s),
                             ("keepalive_interval", p.keepalive_interval_s)):
            if value is not None:
                getattr(ka, field).value = value
    if dns:  # DNS settings only mean something for clusters Envoy resolves itself (kgateway: the same)
        if p.dns_refresh_ms is not None:
            c.dns_refresh_rate.CopyFrom(duration(p.dns_refresh_ms))
        if p.dns_jitter_ms is not None:
            c.dns_jitter.CopyFrom(duration(p.dns_jitter_ms))
        if p.dns_respect_ttl is not None:
            c.respect_dns_ttl = p.dns_respect_ttl
    if p.load_balancer is not None:
        _load_balancer(p.load_balancer, c)
    if p.health_check is not None:
        c.health_checks.append(_health_check(p.health_check))
    if p.outlier_detection is not None:
        c.outlier_detection.CopyFrom(_outlier(p.outlier_detection))
    if p.circuit_breakers is not None:
        cb = p.circuit_breakers
        t = circuit_breaker_pb2.CircuitBreakers.Thresholds(track_remaining=cb.track_remaining)
        for field in ("max_connections", "max_pending_requests", "max_requests", "max_retries"):
            if getattr(cb, field) is not None:
                getattr(t, field).value = getattr(cb, field)
        c.circuit_breakers.thresholds.append(t)
    if p.proxy_protocol is not None:
        inner = c.transport_socket if c.HasField("transport_socket") else base_pb2.TransportSocket(
            name="envoy.transport_sockets.raw_buffer", typed_config=packed(raw_buffer_pb2.RawBuffer()))
        version = proxy_protocol_pb2.ProxyProtocolConfig.V2 if p.proxy_protocol == "V2" else \
            proxy_protocol_pb2.ProxyProtocolConfig.V1
        wrapped = upstream_proxy_protocol_pb2.ProxyProtocolUpstreamTransport(
            config=proxy_protocol_pb2.ProxyProtocolConfig(version=version), transport_socket=inner)
        c.transport_socket.CopyFrom(base_pb2.TransportSocket(
            name="envoy.transport_sockets.upstream_proxy_protocol", typed_config=packed(wrapped)))
