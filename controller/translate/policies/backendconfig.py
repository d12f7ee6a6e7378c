"""BackendConfigPolicy: per-backend settings (connections, protocol options, load balancing, health checks,
outlier detection, circuit breakers) on Services (every port's cluster) and kgateway Backends.

Several policies on one backend merge field by field, the oldest policy first (as kgateway merges them);
a policy none of whose fields is left to decide on a target is Attached=False, Overridden there.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from ...ir_traffic import (
    CircuitBreakersIR,
    ClusterPolicyIR,
    HashPolicyIR,
    HealthCheckIR,
    LoadBalancerIR,
    OutlierDetectionIR,
    SlowStartIR,
)
from ...models import KGW_GROUP
from ...models.httproute import duration_ms
from ...models.traffic import quantity_bytes
from ..backends import H2C_APP_PROTOCOLS
from ..gateways import creation_order
from .backends import backend_cluster
from .status import Ancestors
from .targets import TargetRef

BackendKey = tuple[str, str, str]  # ("Service" | "Backend", namespace, name)
_KINDS = {("", "Service"): "Service", (KGW_GROUP, "Backend"): "Backend"}


@dataclass
class BackendPolicies:
    by_backend: dict[BackendKey, ClusterPolicyIR] = field(default_factory=dict)

    def for_service(self, namespace: str, name: str) -> ClusterPolicyIR | None:
        return self.by_backend.get(("Service", namespace, name))

    def for_backend(self, namespace: str, name: str) -> ClusterPolicyIR | None:
        return self.by_backend.get(("Backend", namespace, name))


def _seconds(text: str | None) -> int | None:
    ms = _ms(text)
    return None if ms is None else ms // 1000


def _ms(text: str | None) -> int | None:
    return duration_ms(text) if text is not None else None


def _slow_start(s) -> SlowStartIR | None:
    if s is None:
        return None
    return SlowStartIR(_ms(s.window), s.aggression, s.min_weight_percent)


def _hash(h) -> HashPolicyIR:
    terminal = bool(h.terminal)
    if h.header is not None:
        return HashPolicyIR("header", h.header.name.lower(), terminal=terminal)
    if h.cookie is not None:
        c = h.cookie
        return HashPolicyIR("cookie", c.name, c.path, _ms(c.ttl), bool(c.secure), bool(c.http_only), c.same_site,
                            terminal)
    return HashPolicyIR("source_ip", terminal=terminal)


def _load_balancer(lb) -> LoadBalancerIR:
    out = LoadBalancerIR("round_robin", healthy_panic_threshold=lb.healthy_panic_threshold,
                         update_merge_window_ms=_ms(lb.update_merge_window),
                         locality_weighted=lb.locality_type == "WeightedLb",
                         close_connections_on_host_set_change=bool(lb.close_connections_on_host_set_change))
    if lb.least_request is not None:
        out.policy, out.choice_count = "least_request", lb.least_request.choice_count
        out.slow_start = _slow_start(lb.least_request.slow_start)
    elif lb.round_robin is not None:
        out.slow_start = _slow_start(lb.round_robin.slow_start)
    elif lb.random is not None:
        out.policy = "random"
    else:
        hashing = lb.ring_hash or lb.maglev
        out.policy = "ring_hash" if lb.ring_hash is not None else "maglev"
        out.use_hostname_for_hashing = bool(hashing.use_hostname_for_hashing)
        out.hash_policies = [_hash(h) for h in hashing.hash_policies or ()]
        if lb.ring_hash is not None:
            out.min_ring_size, out.max_ring_size = lb.ring_hash.minimum_ring_size, lb.ring_hash.maximum_ring_size
    return out


def _health_check(h) -> HealthCheckIR:
    out = HealthCheckIR(duration_ms(h.timeout), duration_ms(h.interval), h.unhealthy_threshold, h.healthy_threshold,
                        "tcp")
    if h.http is not None:
        out.kind, out.path, out.host, out.method = "http", h.http.path, h.http.host, h.http.method
    elif h.grpc is not None:
        out.kind, out.grpc_service, out.authority = "grpc", h.grpc.service_name, h.grpc.authority
    return out


def _outlier(o) -> OutlierDetectionIR:
    return OutlierDetectionIR(o.consecutive_5xx, o.enforcing_consecutive_5xx,
                              bool(o.split_external_local_origin_errors), o.consecutive_local_origin_failure,
                              o.enforcing_consecutive_local_origin_failure, duration_ms(o.interval),
                              duration_ms(o.base_ejection_time), o.max_ejection_percent)


def settings_of(spec) -> ClusterPolicyIR:
    out = ClusterPolicyIR(connect_timeout_ms=_ms(spec.connect_timeout),
                          buffer_limit_bytes=spec.per_connection_buffer_limit_bytes)
    if spec.dns is not None:
        out.dns_refresh_ms, out.dns_jitter_ms = _ms(spec.dns.refresh_rate), _ms(spec.dns.jitter)
        out.dns_respect_ttl = spec.dns.respect_ttl
    if spec.tcp_keepalive is not None:
        k = spec.tcp_keepalive
        out.keepalive_probes = k.keep_alive_probes
        out.keepalive_time_s = _seconds(k.keep_alive_time)
        out.keepalive_interval_s = _seconds(k.keep_alive_interval)
    if spec.common_http_protocol_options is not None:
        c = spec.common_http_protocol_options
        out.idle_timeout_ms, out.max_connection_duration_ms = _ms(c.idle_timeout), _ms(c.max_connection_duration)
        out.max_headers_count, out.max_stream_duration_ms = c.max_headers_count, _ms(c.max_stream_duration)
        out.max_requests_per_connection = c.max_requests_per_connection
    if spec.http1_protocol_options is not None:
        h1 = spec.http1_protocol_options
        out.http1_trailers, out.http1_preserve_case = h1.enable_trailers, h1.preserve_http1_header_case
        out.http1_override_stream_error = h1.override_stream_error_on_invalid_http_message
    if spec.http2_protocol_options is not None:
        h2 = spec.http2_protocol_options
        out.http2_stream_window = (quantity_bytes(h2.initial_stream_window_size)
                                   if h2.initial_stream_window_size is not None else None)
        out.http2_connection_window = (quantity_bytes(h2.initial_connection_window_size)
                                       if h2.initial_connection_window_size is not None else None)
        out.http2_max_concurrent_streams = h2.max_concurrent_streams
        out.http2_override_stream_error = h2.override_stream_error_on_invalid_http_message
        if h2.connection_keepalive is not None:
            ka = h2.connection_keepalive
            out.http2_keepalive_timeout_ms = duration_ms(ka.timeout)
            out.http2_keepalive_interval_ms = _ms(ka.interval)
            out.http2_keepalive_idle_ms = _ms(ka.connection_idle_interval)
    if spec.load_balancer is not None:
        out.load_balancer = _load_balancer(spec.load_balancer)
    if spec.health_check is not None:
        out.health_check = _health_check(spec.health_check)
    if spec.outlier_detection is not None:
        out.outlier_detection = _outlier(spec.outlier_detection)
    if spec.circuit_breakers is not None:
        cb = spec.circuit_breakers
        out.circuit_breakers = CircuitBreakersIR(cb.max_connections, cb.max_pending_requests, cb.max_requests,
                                                 cb.max_retries, bool(cb.track_remaining))
    if spec.upstream_proxy_protocol is not None:
        out.proxy_protocol = spec.upstream_proxy_protocol.version
    return out


_SETTINGS = [f.name for f in dataclasses.fields(ClusterPolicyIR) if f.name != "sources"]


def _merge(into: ClusterPolicyIR, new: ClusterPolicyIR, source: str) -> list[str]:
    """Fill the fields `into` does not have yet (`into` came from older policies); returns those filled."""
    filled = [n for n in _SETTINGS if getattr(new, n) is not None and getattr(into, n) is None]
    for name in filled:
        setattr(into, name, getattr(new, name))
    if filled:
        into.sources.append(source)
    return filled


def _targets(policy, resources) -> list[tuple[TargetRef, BackendKey | None, str]]:
    """(ref for status, backend key or None, why not found)."""
    ns = policy.namespace
    out: list[tuple[TargetRef, BackendKey | None, str]] = []
    refs = [(r.group, r.kind, r.name) for r in policy.spec.target_refs]
    for sel in policy.spec.target_selectors:
        buckets = {"Service": resources.services, "Backend": resources.backends}
        bucket = buckets.get(_KINDS.get((sel.group, sel.kind), ""))
        if bucket is None:
            refs.append((sel.group, sel.kind, ""))
            continue
        refs += [(sel.group, sel.kind, name) for (n, name), obj in sorted(bucket.items())
                 if n == ns and all(obj.metadata.labels.get(k) == v for k, v in sel.match_labels.items())]
    for group, kind, name in dict.fromkeys(refs):
        ref = TargetRef(group, kind, name)
        known = _KINDS.get((group, kind))
        if known is None:
            out.append((ref, None, f"target kind {group or 'core'}/{kind} is not supported (a Service or a Backend)"))
            continue
        bucket = resources.services if known == "Service" else resources.backends
        if (ns, name) not in bucket:
            out.append((ref, None, f"{kind} {ns}/{name} not found"))
            continue
        out.append((ref, (known, ns, name), ""))
    return out


def _speaks_http2(resources, key: BackendKey) -> bool:
    """Does any cluster of this backend speak HTTP/2 (appProtocol h2c/grpc, or a GRPCRoute backend)?"""
    kind, ns, name = key
    if kind != "Service":
        return False
    svc = resources.services[(ns, name)]
    if any((p.app_protocol or "") in H2C_APP_PROTOCOLS for p in svc.spec.ports):
        return True
    return any((ref.namespace or route.namespace, ref.name) == (ns, name) and ref.group == "" and ref.kind == "Service"
               for route in resources.grpc_routes.values() for rule in route.spec.rules for ref in rule.backend_refs)


def _resolved_by_dns(resources, key: BackendKey) -> bool:
    if key[0] != "Backend":
        return False  # Service clusters are EDS: kgw resolves them
    cluster, _ = backend_cluster(resources, key[1], key[2])
    return cluster is not None and cluster.dns


def fitted(policy: ClusterPolicyIR | None, http2: bool, dns: bool) -> ClusterPolicyIR | None:
    """The policy as one cluster can take it: Envoy health-checks gRPC over HTTP/2 only, and hashes on host
    names only for clusters it resolves by DNS (it refuses the cluster otherwise). The rest applies; the
    policy's status names what was left out (`_misfits`)."""
    if policy is None:
        return None
    grpc = policy.health_check is not None and policy.health_check.kind == "grpc" and not http2
    lb = policy.load_balancer
    hostname = lb is not None and lb.use_hostname_for_hashing and not dns
    if not grpc and not hostname:
        return policy
    balancer = dataclasses.replace(lb, use_hostname_for_hashing=False) if lb is not None and hostname else lb
    return dataclasses.replace(policy, health_check=None if grpc else policy.health_check, load_balancer=balancer)


def _misfits(resources, key: BackendKey, filled: list[str], settings: ClusterPolicyIR) -> str:
    where = f"{key[0]} {key[1]}/{key[2]}"
    out = []
    hc = settings.health_check
    if "health_check" in filled and hc is not None and hc.kind == "grpc" and not _speaks_http2(resources, key):
        out.append(f"healthCheck.grpc: {where} speaks HTTP/1 (no appProtocol kubernetes.io/h2c or grpc, not a "
                   "GRPCRoute backend) and Envoy checks gRPC over HTTP/2 only: the check is left out")
    lb = settings.load_balancer
    hashes_names = lb is not None and lb.use_hostname_for_hashing
    if "load_balancer" in filled and hashes_names and not _resolved_by_dns(resources, key):
        out.append(f"loadBalancer.useHostnameForHashing: Envoy hashes on host names only for backends it resolves "
                   f"by DNS (a Backend with host names), not {where}: left out")
    return "; ".join(out) + ("; the other settings apply" if out else "")


def apply_backend_policies(resources, opts, statuses: list) -> BackendPolicies:
    result = BackendPolicies()
    for policy in sorted(resources.backend_config_policies.values(), key=creation_order):
        anc = Ancestors(policy, opts)
        settings = settings_of(policy.spec)
        names = [n for n in _SETTINGS if getattr(settings, n) is not None]
        for ref, key, why in _targets(policy, resources):
            if key is None:
                anc.add(ref, "", found=False, why=why)
                continue
            into = result.by_backend.setdefault(key, ClusterPolicyIR())
            filled = _merge(into, dataclasses.replace(settings, sources=[]), f"{policy.namespace}/{policy.name}")
            overridden = "" if filled or not names else (
                f"every setting ({', '.join(names)}) is set on {key[0]} {key[1]}/{key[2]} by an older policy")
            anc.add(ref, _misfits(resources, key, filled, settings), found=True, overridden=overridden)
        statuses.append(anc.status())
    return result
