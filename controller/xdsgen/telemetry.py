"""Telemetry protos from the IR: the gRPC service a collector is reached over (access logs, accesslog.py, use
it too), the connection manager's OpenTelemetry tracer and per-route tracing overrides. Built while the
listener and route protos are built (listeners.py, routes.py), from GatewayExtIR and RouteExtIR alone."""
from __future__ import annotations

from envoy.config.core.v3 import base_pb2, grpc_service_pb2
from envoy.config.route.v3 import route_components_pb2 as rc
from envoy.config.trace.v3 import http_tracer_pb2, opentelemetry_pb2
from envoy.extensions.filters.network.http_connection_manager.v3 import http_connection_manager_pb2 as hcm_pb2
from envoy.extensions.tracers.opentelemetry.resource_detectors.v3 import environment_resource_detector_pb2 as env_rd
from envoy.extensions.tracers.opentelemetry.samplers.v3 import always_on_sampler_pb2
from envoy.type.tracing.v3 import custom_tag_pb2
from envoy.type.v3 import percent_pb2
from google.protobuf import duration_pb2

from ..ir_ext import CustomTagIR, GrpcServiceIR, RouteTracingIR, TracingIR

OTEL_TRACER = "envoy.tracers.opentelemetry"
_METADATA_KINDS = {"request": "request", "route": "route", "cluster": "cluster", "host": "host"}


def _ms(ms: int) -> duration_pb2.Duration:
    return duration_pb2.Duration(seconds=ms // 1000, nanos=(ms % 1000) * 1_000_000)


def grpc_service(g: GrpcServiceIR) -> grpc_service_pb2.GrpcService:
    out = grpc_service_pb2.GrpcService()
    eg = out.envoy_grpc
    eg.cluster_name = g.cluster
    if g.authority:
        eg.authority = g.authority
    if g.max_receive_message_length is not None:
        eg.max_receive_message_length.value = g.max_receive_message_length
    eg.skip_envoy_headers = g.skip_envoy_headers
    if g.retry_base_ms is not None or g.num_retries is not None:
        if g.retry_base_ms is not None:
            eg.retry_policy.retry_back_off.base_interval.CopyFrom(_ms(g.retry_base_ms))
            if g.retry_max_ms is not None:
                eg.retry_policy.retry_back_off.max_interval.CopyFrom(_ms(g.retry_max_ms))
        if g.num_retries is not None:
            eg.retry_policy.num_retries.value = g.num_retries
    if g.timeout_ms is not None:
        out.timeout.CopyFrom(_ms(g.timeout_ms))
    out.initial_metadata.extend(base_pb2.HeaderValue(key=k, value=v) for k, v in g.initial_metadata)
    return out


def custom_tag(t: CustomTagIR) -> custom_tag_pb2.CustomTag:
    out = custom_tag_pb2.CustomTag(tag=t.tag)
    if t.source == "literal":
        out.literal.value = t.value
    elif t.source == "environment":
        out.environment.name = t.value
        if t.default is not None:
            out.environment.default_value = t.default
    elif t.source == "request_header":
        out.request_header.name = t.value
        if t.default is not None:
            out.request_header.default_value = t.default
    else:
        getattr(out.metadata.kind, _METADATA_KINDS[t.metadata_kind]).SetInParent()
        out.metadata.metadata_key.key = t.value
        for seg in t.metadata_path:
            out.metadata.metadata_key.path.add(key=seg)
        if t.default is not None:
            out.metadata.default_value = t.default
    return out


def hcm_tracing(t: TracingIR) -> hcm_pb2.HttpConnectionManager.Tracing:
    """Envoy's OpenTelemetry tracer: spans over OTLP/gRPC, W3C trace context (traceparent) propagated."""
    otel = opentelemetry_pb2.OpenTelemetryConfig(grpc_service=grpc_service(t.grpc), service_name=t.service_name)
    for _ in t.resource_detectors:
        rd = otel.resource_detectors.add(name="envoy.tracers.opentelemetry.resource_detectors.environment")
        rd.typed_config.Pack(env_rd.EnvironmentResourceDetectorConfig())
    if t.sampler == "always_on":
        otel.sampler.name = "envoy.tracers.opentelemetry.samplers.always_on"
        otel.sampler.typed_config.Pack(always_on_sampler_pb2.AlwaysOnSamplerConfig())
    out = hcm_pb2.HttpConnectionManager.Tracing(
        provider=http_tracer_pb2.Tracing.Http(name=OTEL_TRACER), verbose=t.verbose,
        custom_tags=[custom_tag(c) for c in t.custom_tags])
    if t.spawn_upstream_span:
        out.spawn_upstream_span.value = True
    out.provider.typed_config.Pack(otel)
    for name in ("client_sampling", "random_sampling", "overall_sampling"):
        value = getattr(t, name)
        if value is not None:
            getattr(out, name).CopyFrom(percent_pb2.Percent(value=value))
    if t.max_path_tag_length is not None:
        out.max_path_tag_length.value = t.max_path_tag_length
    return out


def route_tracing(t: RouteTracingIR) -> rc.Tracing:
    out = rc.Tracing(custom_tags=[custom_tag(c) for c in t.custom_tags])
    for name in ("client_sampling", "random_sampling", "overall_sampling"):
        value = getattr(t, name)
        if value is not None:
            getattr(out, name).numerator = value  # denominator HUNDRED, the default
    return out
