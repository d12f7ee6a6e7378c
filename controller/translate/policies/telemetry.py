"""Telemetry policies -> IR: HTTPListenerPolicy `accessLog` (file, gRPC access log service, OpenTelemetry) and
`tracing` (OpenTelemetry), TrafficPolicy `tracing` (per-route overrides).

A collector is referenced as a Service port or a kgateway Backend (`backendRef`); each Gateway that uses one
gets a cluster of its own for it, `telemetry/...`, speaking HTTP/2 (gRPC), so route traffic to the same
Service keeps its own protocol. A reference that does not resolve leaves that sink (or the tracer) out and
makes the policy Accepted=False with the field and the reason; the rest of the policy still applies.
"""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field

from kgw_rules.wire import stats as wire_stats

from ...ir import ClusterIR, GatewayIR
from ...ir_ext import (
    AccessLogIR,
    BackendClusterIR,
    CustomTagIR,
    GatewayExtIR,
    GrpcServiceIR,
    OtelLogIR,
    RouteTracingIR,
    TracingIR,
)
from ...models.kgateway_telemetry import CommonGrpcService, CustomAttribute, RouteTracing, Tracing
from ..assemble import endpoints
from ..backends import ResolvedBackend, resolve_backend
from ..extensions import ExtensionRefError, RouteContext
from ..grants import GrantIndex
from .backends import backend_cluster

_OPS = {"EQ": "EQ", "GE": "GE", "LE": "LE"}
_UNITS_MS = {"h": 3_600_000, "m": 60_000, "s": 1000, "ms": 1}


@dataclass
class TelemetryClusters:
    """The collectors one Gateway's telemetry sends to, by cluster name."""

    services: dict[str, ResolvedBackend] = field(default_factory=dict)  # each resolved to a Service port
    backends: dict[str, BackendClusterIR] = field(default_factory=dict)


def duration_ms(text: str) -> int:
    """Gateway API duration (`1h30m`, `250ms`) in milliseconds; the models checked the pattern."""
    return sum(int(n) * _UNITS_MS[u] for n, u in re.findall(r"([0-9]+)(h|ms|m|s)", text))


def _filter_type(f) -> dict:
    if f.status_code_filter is not None or f.duration_filter is not None:
        s = f.status_code_filter if f.status_code_filter is not None else f.duration_filter
        key = "status_code_filter" if f.status_code_filter is not None else "duration_filter"
        return {key: {"comparison": {"op": _OPS[s.op], "value": {"default_value": s.value,
                                                                 "runtime_key": "kgw_unused"}}}}
    if f.header_filter is not None:
        h = f.header_filter.header
        matcher = ({"exact": h.value} if h.type == "Exact" else {"safe_regex": {"regex": h.value}})
        return {"header_filter": {"header": {"name": h.name.lower(), "string_match": matcher}}}
    if f.not_health_check_filter is not None:
        return {"not_health_check_filter": {}}
    if f.traceable_filter is not None:
        return {"traceable_filter": {}}
    if f.grpc_status_filter is not None:
        g = f.grpc_status_filter
        return {"grpc_status_filter": {"statuses": list(g.statuses), "exclude": bool(g.exclude)}}
    if f.cel_filter is not None:
        return {"extension_filter": {"name": "envoy.access_loggers.extension_filters.cel", "typed_config": {
            "@type": "type.googleapis.com/envoy.extensions.access_loggers.filters.cel.v3.ExpressionFilter",
            "expression": f.cel_filter.match}}}
    return {"response_flag_filter": {"flags": list(f.response_flag_filter.flags)}}


def access_log_filter(f) -> dict | None:
    if f is None:
        return None
    if f.and_filter:
        return {"and_filter": {"filters": [_filter_type(x) for x in f.and_filter]}}
    if f.or_filter:
        return {"or_filter": {"filters": [_filter_type(x) for x in f.or_filter]}}
    return _filter_type(f)


class TelemetryResolver:
    """Resolves collector references of one policy for one Gateway, collecting clusters and problems."""

    def __init__(self, resources, policy, clusters: TelemetryClusters, problems: list[str]) -> None:
        self.resources, self.policy, self.clusters, self.problems = resources, policy, clusters, problems
        self.ctx = RouteContext(policy.KIND, policy.namespace, resources, GrantIndex(resources))

    def grpc(self, svc: CommonGrpcService, where: str) -> GrpcServiceIR | None:
        ref = svc.backend_ref
        try:
            target = resolve_backend(ref, self.ctx)
        except ExtensionRefError as e:
            self.problems.append(f"{where}.backendRef: {e.message}")
            return None
        if target.key is not None:
            name = "telemetry/" + target.cluster
            self.clusters.services[name] = target
        else:  # a kgateway Backend
            ns = ref.namespace or self.policy.namespace
            backend, problem = backend_cluster(self.resources, ns, ref.name)
            if backend is None or backend.lambda_ is not None:
                self.problems.append(f"{where}.backendRef: " + (problem or f"Backend {ns}/{ref.name} is an AWS "
                                                                 "Lambda, not a gRPC collector"))
                return None
            name = "telemetry/" + backend.name
            self.clusters.backends[name] = dataclasses.replace(backend, name=name, http2=True)
        retry = svc.retry_policy
        backoff = retry.retry_back_off if retry is not None else None
        return GrpcServiceIR(
            cluster=name, authority=svc.authority, max_receive_message_length=svc.max_receive_message_length,
            skip_envoy_headers=bool(svc.skip_envoy_headers),
            timeout_ms=duration_ms(svc.timeout) if svc.timeout else None,
            initial_metadata=[(h.key, h.value or "") for h in svc.initial_metadata],
            retry_base_ms=duration_ms(backoff.base_interval) if backoff else None,
            retry_max_ms=duration_ms(backoff.max_interval) if backoff and backoff.max_interval else None,
            num_retries=retry.num_retries if retry is not None else None)

    def access_log(self, log, where: str) -> AccessLogIR | None:
        flt = access_log_filter(log.filter)
        if log.file_sink is not None:
            sink = log.file_sink
            return AccessLogIR("file", path=sink.path, text_format=sink.string_format,
                               json_format=dict(sink.json_format) if sink.json_format else None, filter=flt)
        if log.grpc_service is not None:
            g = log.grpc_service
            grpc = self.grpc(g, f"{where}.grpcService")
            if grpc is None:
                return None
            return AccessLogIR("grpc", filter=flt, grpc=grpc, log_name=g.log_name,
                               request_headers=[h.lower() for h in g.additional_request_headers_to_log],
                               response_headers=[h.lower() for h in g.additional_response_headers_to_log],
                               response_trailers=[h.lower() for h in g.additional_response_trailers_to_log])
        otel = log.open_telemetry
        grpc = self.grpc(otel.grpc_service, f"{where}.openTelemetry.grpcService")
        if grpc is None:
            return None
        return AccessLogIR("otel", filter=flt, grpc=grpc, log_name=otel.grpc_service.log_name, otel=OtelLogIR(
            body=otel.body, attributes=otel.attributes.to_otlp() if otel.attributes else None,
            resource_attributes=otel.resource_attributes.to_otlp() if otel.resource_attributes else None,
            disable_builtin_labels=bool(otel.disable_builtin_labels)))

    def tracing(self, t: Tracing, where: str, gateway: tuple[str, str]) -> TracingIR | None:
        otel = t.provider.open_telemetry
        assert otel is not None  # TracingProvider's validator requires it
        grpc = self.grpc(otel.grpc_service, f"{where}.provider.openTelemetry.grpcService")
        if grpc is None:
            return None
        return TracingIR(
            grpc=grpc, service_name=otel.service_name or f"{gateway[1]}.{gateway[0]}",
            resource_detectors=["environment" for _ in otel.resource_detectors],
            sampler="always_on" if otel.sampler is not None else None,
            client_sampling=t.client_sampling, random_sampling=t.random_sampling,
            overall_sampling=t.overall_sampling, verbose=bool(t.verbose), max_path_tag_length=t.max_path_tag_length,
            spawn_upstream_span=bool(t.spawn_upstream_span), custom_tags=custom_tags(t.attributes))


def custom_tags(attributes: list[CustomAttribute]) -> list[CustomTagIR]:
    out = []
    for a in attributes:
        if a.literal is not None:
            out.append(CustomTagIR(a.name, "literal", a.literal.value))
        elif a.environment is not None:
            out.append(CustomTagIR(a.name, "environment", a.environment.name, a.environment.default_value))
        elif a.request_header is not None:
            out.append(CustomTagIR(a.name, "request_header", a.request_header.name, a.request_header.default_value))
        else:
            m = a.metadata
            assert m is not None  # CustomAttribute's validator requires exactly one source
            out.append(CustomTagIR(a.name, "metadata", m.metadata_key.key, m.default_value, m.kind.lower(),
                                   [seg.key for seg in m.metadata_key.path]))
    return out


def route_tracing(t: RouteTracing) -> RouteTracingIR:
    """`disable` is sampling at 0 %: Envoy has no per-route switch, and no span is started at 0 %."""
    if t.disable is not None:
        return RouteTracingIR(0, 0, 0)
    return RouteTracingIR(t.client_sampling, t.random_sampling, t.overall_sampling, custom_tags(t.attributes))


LOG_NAMESPACE = "kgw"  # %DYNAMIC_METADATA(kgw:NAME)%: the rules log field NAME
_DYNAMIC_METADATA = re.compile(r"%DYNAMIC_METADATA\(([^:()%]+):([^:()%]+)\)((?::[0-9]+)?)%")


def _formats_read_fields(text: str, fields: set[str]) -> str:
    """Log fields are filter state, which the rules filter can write (Envoy dynamic metadata it cannot): an
    access-log format's %DYNAMIC_METADATA(NAMESPACE:KEY)% reads the field NAMESPACE.KEY that kgateway's
    `transformation.*.dynamicMetadata` sets, and %DYNAMIC_METADATA(kgw:NAME)% the field NAME of `set log`."""
    def swap(m: re.Match) -> str:
        name = f"{m.group(1)}.{m.group(2)}"
        if name not in fields and m.group(1) == LOG_NAMESPACE:
            name = m.group(2)
        if name not in fields:
            return m.group(0)
        return wire_stats.log_field_format(name)[:-1] + m.group(3) + "%"
    return _DYNAMIC_METADATA.sub(swap, text)


def _rewrite(value, fields: set[str]):
    if isinstance(value, str):
        return _formats_read_fields(value, fields)
    if isinstance(value, dict):
        return {k: _rewrite(v, fields) for k, v in value.items()}
    if isinstance(value, list):
        return [_rewrite(v, fields) for v in value]
    return value


def finish(ir: GatewayIR, ext: GatewayExtIR, resources, clusters: TelemetryClusters) -> None:
    """The Gateway's telemetry clusters, and what its access logs must know of the programs it runs."""
    fields = sorted({f for p in ext.programs for f in p.log_fields})
    names = set(fields)
    for log in ext.access_logs:
        if log.sink == "grpc":
            log.log_fields = fields
        log.text_format, log.json_format = _rewrite(log.text_format, names), _rewrite(log.json_format, names)
        if log.otel is not None:
            log.otel = OtelLogIR(**_rewrite(dataclasses.asdict(log.otel), names))
    for name, target in sorted(clusters.services.items()):
        assert target.key is not None and target.port is not None  # only Service ports are kept (grpc())
        ir.clusters.append(ClusterIR(name, *target.key, endpoints(resources, target.key, target.port), http2=True))
    ir.clusters.sort(key=lambda c: c.name)
    ext.backend_clusters = sorted([*ext.backend_clusters, *clusters.backends.values()], key=lambda b: b.name)
