"""IR of the traffic and resilience settings: per route (kgateway TrafficPolicy, HTTPRoute sessionPersistence)
and per cluster (kgateway BackendConfigPolicy). Plain typed dataclasses; units are in the names (`_ms`)."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class TokenBucketIR:
    max_tokens: int
    tokens_per_fill: int
    fill_interval_ms: int


@dataclass
class DescriptorIR:
    """A bucket for the requests whose rules set these descriptor entries ((key, value); value "" = a bucket
    per distinct value)."""

    entries: list[tuple[str, str]]
    bucket: TokenBucketIR


@dataclass
class LocalRateLimitIR:
    bucket: TokenBucketIR
    percent_enabled: int = 100
    percent_enforced: int = 100
    descriptors: list[DescriptorIR] = field(default_factory=list)


@dataclass
class CompressionIR:
    """Response compression (libraries in preference order) and request decompression; `disabled` switches off
    what a less specific policy turned on."""

    libraries: list[str] = field(default_factory=list)  # "Gzip" | "Brotli" | "Zstd"; [] = no compression
    min_content_length: int | None = None
    content_types: list[str] = field(default_factory=list)
    decompress: list[str] = field(default_factory=list)
    disabled: bool = False
    decompress_disabled: bool = False


@dataclass
class FaultIR:
    delay_ms: int | None = None
    delay_percent: int = 100
    abort_http: int | None = None
    abort_grpc: int | None = None
    abort_percent: int = 100
    rate_kbps: int | None = None
    rate_percent: int = 100
    max_active: int | None = None
    disabled: bool = False


@dataclass
class BufferIR:
    max_bytes: int | None = None
    disabled: bool = False


@dataclass
class HeaderPairIR:
    name: str
    value: str


@dataclass
class HeaderMutationIR:
    """TrafficPolicy headerModifiers: applied by Envoy's header_mutation filter (before kgw rules)."""

    request_set: list[HeaderPairIR] = field(default_factory=list)
    request_add: list[HeaderPairIR] = field(default_factory=list)
    request_remove: list[str] = field(default_factory=list)
    response_set: list[HeaderPairIR] = field(default_factory=list)
    response_add: list[HeaderPairIR] = field(default_factory=list)
    response_remove: list[str] = field(default_factory=list)


@dataclass
class InternalRedirectIR:
    codes: list[int] = field(default_factory=list)  # [] = 302 only (Envoy's default)
    allow_cross_scheme: bool = False
    copy_headers: list[str] = field(default_factory=list)
    max_redirects: int | None = None


@dataclass
class PathRegexIR:
    pattern: str
    substitution: str


@dataclass
class SessionIR:
    """HTTPRoute sessionPersistence: Envoy's stateful session filter pins a client to one endpoint."""

    type: str  # "Cookie" | "Header"
    name: str
    ttl_s: int | None = None  # a permanent cookie's Max-Age; None: a session cookie
    path: str = "/"


# --- per cluster (BackendConfigPolicy) --------------------------------------------------------------------

@dataclass
class SlowStartIR:
    window_ms: int | None = None
    aggression: str | None = None  # a decimal number as text (a runtime value in Envoy)
    min_weight_percent: int | None = None


@dataclass
class HashPolicyIR:
    kind: str  # "header" | "cookie" | "source_ip"
    name: str = ""
    path: str | None = None
    ttl_ms: int | None = None  # a cookie Envoy generates when the client has none
    secure: bool = False
    http_only: bool = False
    same_site: str | None = None
    terminal: bool = False


@dataclass
class LoadBalancerIR:
    policy: str  # "round_robin" | "least_request" | "random" | "ring_hash" | "maglev"
    choice_count: int | None = None
    slow_start: SlowStartIR | None = None
    min_ring_size: int | None = None
    max_ring_size: int | None = None
    use_hostname_for_hashing: bool = False
    hash_policies: list[HashPolicyIR] = field(default_factory=list)
    healthy_panic_threshold: int | None = None
    update_merge_window_ms: int | None = None
    locality_weighted: bool = False
    close_connections_on_host_set_change: bool = False


@dataclass
class HealthCheckIR:
    timeout_ms: int
    interval_ms: int
    unhealthy_threshold: int
    healthy_threshold: int
    kind: str  # "http" | "grpc" | "tcp"
    path: str = ""
    host: str | None = None
    method: str | None = None
    grpc_service: str | None = None
    authority: str | None = None


@dataclass
class OutlierDetectionIR:
    consecutive_5xx: int = 5
    enforcing_consecutive_5xx: int | None = None
    split_external_local_origin_errors: bool = False
    consecutive_local_origin_failure: int | None = None
    enforcing_consecutive_local_origin_failure: int | None = None
    interval_ms: int = 10_000
    base_ejection_time_ms: int = 30_000
    max_ejection_percent: int = 10


@dataclass
class CircuitBreakersIR:
    max_connections: int | None = None
    max_pending_requests: int | None = None
    max_requests: int | None = None
    max_retries: int | None = None
    track_remaining: bool = False


@dataclass
class ClusterPolicyIR:
    """What BackendConfigPolicies set on one cluster (each field from the oldest policy that sets it)."""

    sources: list[str] = field(default_factory=list)  # "namespace/name" of the policies that contributed
    connect_timeout_ms: int | None = None
    buffer_limit_bytes: int | None = None
    keepalive_probes: int | None = None
    keepalive_time_s: int | None = None
    keepalive_interval_s: int | None = None
    idle_timeout_ms: int | None = None
    max_connection_duration_ms: int | None = None
    max_headers_count: int | None = None
    max_stream_duration_ms: int | None = None
    max_requests_per_connection: int | None = None
    http1_trailers: bool | None = None
    http1_preserve_case: bool | None = None
    http1_override_stream_error: bool | None = None
    http2_stream_window: int | None = None
    http2_connection_window: int | None = None
    http2_max_concurrent_streams: int | None = None
    http2_override_stream_error: bool | None = None
    http2_keepalive_timeout_ms: int | None = None
    http2_keepalive_interval_ms: int | None = None
    http2_keepalive_idle_ms: int | None = None
    dns_refresh_ms: int | None = None
    dns_jitter_ms: int | None = None
    dns_respect_ttl: bool | None = None
    load_balancer: LoadBalancerIR | None = None
    health_check: HealthCheckIR | None = None
    outlier_detection: OutlierDetectionIR | None = None
    circuit_breakers: CircuitBreakersIR | None = None
    proxy_protocol: str | None = None  # "V1" | "V2"
