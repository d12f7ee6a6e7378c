"""kgateway's BackendConfigPolicy (newest API, `api/v1alpha1/kgateway/backend_config_policy_types.go` in
kgateway-dev/kgateway): per-backend connection settings, protocol options, load balancing, active health
checks, outlier detection and circuit breakers, on Services and Backends.

Field names, defaults and CEL rules follow kgateway; kgw extensions are marked. Fields kgw leaves out (`tls`,
`loadBalancer.zoneAware`) are not modelled: `models/unsupported.py` says why.
"""
from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from .httproute import duration_ms
from .kgateway import KGW_API
from .meta import Duration, Group, K8sModel, Kind, KubeObject, ObjectName
from .traffic import Quantity, at_least, quantity_bytes

Int32 = Annotated[int, Field(ge=0, le=2147483647)]


class TargetReference(K8sModel):
    group: Group
    kind: Kind
    name: ObjectName


class TargetSelector(K8sModel):
    group: Group
    kind: Kind
    match_labels: dict[str, str]


class DNS(K8sModel):
    refresh_rate: Duration | None = None
    jitter: Duration | None = None
    respect_ttl: bool | None = Field(default=None, alias="respectTTL")

    @model_validator(mode="after")
    def _cel(self) -> DNS:
        at_least(self.refresh_rate, 1, "refreshRate")
        if self.jitter and self.refresh_rate and duration_ms(self.jitter) > duration_ms(self.refresh_rate):
            raise ValueError("jitter must be less than or equal to refreshRate")
        return self


class TCPKeepalive(K8sModel):
    keep_alive_probes: Int32 | None = None
    keep_alive_time: Duration | None = None
    keep_alive_interval: Duration | None = None

    @model_validator(mode="after")
    def _cel(self) -> TCPKeepalive:
        at_least(self.keep_alive_time, 1000, "keepAliveTime")
        at_least(self.keep_alive_interval, 1000, "keepAliveInterval")
        return self


class CommonHttpProtocolOptions(K8sModel):
    idle_timeout: Duration | None = None
    max_connection_duration: Duration | None = None
    max_headers_count: Int32 | None = None
    max_stream_duration: Duration | None = None
    max_requests_per_connection: Int32 | None = None


class Http1ProtocolOptions(K8sModel):
    enable_trailers: bool | None = None
    preserve_http1_header_case: bool | None = None
    override_stream_error_on_invalid_http_message: bool | None = None


class ConnectionKeepalive(K8sModel):
    timeout: Duration
    interval: Duration | None = None
    connection_idle_interval: Duration | None = None

    @model_validator(mode="after")
    def _cel(self) -> ConnectionKeepalive:
        for name in ("timeout", "interval", "connection_idle_interval"):
            at_least(getattr(self, name), 1, type(self).model_fields[name].alias or name)
        return self


def _window(value: Quantity | None, what: str) -> None:
    if value is not None and not 65535 <= quantity_bytes(value) <= 2147483647:
        raise ValueError(f"{what} must be between 65535 and 2147483647 bytes (inclusive)")


class Http2ProtocolOptions(K8sModel):
    initial_stream_window_size: Quantity | None = None
    initial_connection_window_size: Quantity | None = None
    max_concurrent_streams: int | None = Field(default=None, ge=1, le=2147483647)
    override_stream_error_on_invalid_http_message: bool | None = None
    connection_keepalive: ConnectionKeepalive | None = None

    @model_validator(mode="after")
    def _cel(self) -> Http2ProtocolOptions:
        _window(self.initial_stream_window_size, "InitialStreamWindowSize")
        _window(self.initial_connection_window_size, "InitialConnectionWindowSize")
        return self


class SlowStart(K8sModel):
    window: Duration | None = None
    aggression: str | None = None
    min_weight_percent: int | None = Field(default=None, ge=0, le=100)

    @model_validator(mode="after")
    def _cel(self) -> SlowStart:
        if self.aggression is not None and not (
                re.fullmatch(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)", self.aggression) and float(self.aggression) > 0):
            raise ValueError("Aggression, if specified, must be a string representing a number greater than 0.0")
        return self


class HashHeader(K8sModel):
    name: Annotated[str, StringConstraints(min_length=1)]


class HashCookie(K8sModel):
    name: Annotated[str, StringConstraints(min_length=1)]
    path: str | None = None
    ttl: Duration | None = None
    secure: bool | None = None
    http_only: bool | None = None
    same_site: Literal["Strict", "Lax", "None"] | None = None


class SourceIP(K8sModel):
    pass


class HashPolicy(K8sModel):
    header: HashHeader | None = None
    cookie: HashCookie | None = None
    source_ip: SourceIP | None = Field(default=None, alias="sourceIP")
    terminal: bool | None = None

    @model_validator(mode="after")
    def _one(self) -> HashPolicy:
        if sum(x is not None for x in (self.header, self.cookie, self.source_ip)) != 1:
            raise ValueError("set exactly one of header, cookie and sourceIP")
        return self


class LeastRequest(K8sModel):
    choice_count: int = Field(default=2, ge=0, le=2147483647)
    slow_start: SlowStart | None = None


class RoundRobin(K8sModel):
    slow_start: SlowStart | None = None


class RingHash(K8sModel):
    minimum_ring_size: int | None = Field(default=None, ge=0)
    maximum_ring_size: int | None = Field(default=None, ge=0)
    use_hostname_for_hashing: bool | None = None
    hash_policies: list[HashPolicy] | None = Field(default=None, min_length=1, max_length=16)


class Maglev(K8sModel):
    use_hostname_for_hashing: bool | None = None
    hash_policies: list[HashPolicy] | None = Field(default=None, min_length=1, max_length=16)


class RandomLB(K8sModel):
    pass


LB_KINDS = ("least_request", "round_robin", "ring_hash", "maglev", "random")


class LoadBalancer(K8sModel):
    healthy_panic_threshold: int | None = Field(default=None, ge=0, le=100)
    update_merge_window: Duration | None = None
    least_request: LeastRequest | None = None
    round_robin: RoundRobin | None = None
    ring_hash: RingHash | None = None
    maglev: Maglev | None = None
    random: RandomLB | None = None
    locality_type: Literal["WeightedLb"] | None = None
    close_connections_on_host_set_change: bool | None = None

    @model_validator(mode="after")
    def _one(self) -> LoadBalancer:
        if sum(getattr(self, k) is not None for k in LB_KINDS) != 1:
            raise ValueError("set exactly one of leastRequest, roundRobin, ringHash, maglev and random")
        return self


class HealthCheckHttp(K8sModel):
    host: str | None = None
    path: str
    method: Literal["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "TRACE", "PATCH"] | None = None


class HealthCheckGrpc(K8sModel):
    service_name: str | None = None
    authority: str | None = None


class HealthCheckTcp(K8sModel):
    """kgw extension: a plain TCP connect check (kgateway has HTTP and gRPC checks only)."""


class HealthCheck(K8sModel):
    timeout: Duration
    interval: Duration
    unhealthy_threshold: Int32
    healthy_threshold: Int32
    http: HealthCheckHttp | None = None
    grpc: HealthCheckGrpc | None = None
    tcp: HealthCheckTcp | None = None

    @model_validator(mode="after")
    def _one(self) -> HealthCheck:
        if sum(x is not None for x in (self.http, self.grpc, self.tcp)) != 1:
            raise ValueError("exactly one of http or grpc must be set (or kgw's tcp)")
        if duration_ms(self.timeout) == 0 or duration_ms(self.interval) == 0:
            raise ValueError("timeout and interval must be longer than 0")
        return self


class OutlierDetection(K8sModel):
    consecutive_5xx: Int32 = Field(default=5, alias="consecutive5xx")
    enforcing_consecutive_5xx: int | None = Field(default=None, ge=0, le=100, alias="enforcingConsecutive5xx")
    split_external_local_origin_errors: bool | None = None
    consecutive_local_origin_failure: Int32 | None = None
    enforcing_consecutive_local_origin_failure: int | None = Field(default=None, ge=0, le=100)
    interval: Duration = "10s"
    base_ejection_time: Duration = "30s"
    max_ejection_percent: int = Field(default=10, ge=0, le=100)

    @model_validator(mode="after")
    def _cel(self) -> OutlierDetection:
        at_least(self.interval, 1, "interval")
        at_least(self.base_ejection_time, 1, "baseEjectionTime")
        return self


class CircuitBreakers(K8sModel):
    max_connections: int | None = Field(default=None, ge=1, le=2147483647)
    max_pending_requests: int | None = Field(default=None, ge=1, le=2147483647)
    max_requests: int | None = Field(default=None, ge=1, le=2147483647)
    max_retries: Int32 | None = None
    track_remaining: bool | None = None

    @model_validator(mode="after")
    def _one(self) -> CircuitBreakers:
        if all(x is None for x in (self.max_connections, self.max_pending_requests, self.max_requests,
                                   self.max_retries)):
            raise ValueError("set at least one of maxConnections, maxPendingRequests, maxRequests and maxRetries")
        return self


class UpstreamProxyProtocol(K8sModel):
    version: Literal["V1", "V2"] = "V1"


class BackendConfigPolicySpec(K8sModel):
    target_refs: list[TargetReference] = Field(default=[], max_length=16)
    target_selectors: list[TargetSelector] = Field(default=[], max_length=16)
    connect_timeout: Duration | None = None
    dns: DNS | None = None
    per_connection_buffer_limit_bytes: Int32 | None = None
    tcp_keepalive: TCPKeepalive | None = None
    common_http_protocol_options: CommonHttpProtocolOptions | None = None
    http1_protocol_options: Http1ProtocolOptions | None = None
    http2_protocol_options: Http2ProtocolOptions | None = None
    load_balancer: LoadBalancer | None = None
    health_check: HealthCheck | None = None
    outlier_detection: OutlierDetection | None = None
    circuit_breakers: CircuitBreakers | None = None
    upstream_proxy_protocol: UpstreamProxyProtocol | None = None

    @model_validator(mode="after")
    def _cel(self) -> BackendConfigPolicySpec:
        if not self.target_refs and not self.target_selectors:
            raise ValueError("targetRefs must name at least one target")
        if self.http1_protocol_options is not None and self.http2_protocol_options is not None:
            raise ValueError("set at most one of http1ProtocolOptions and http2ProtocolOptions")
        return self


class BackendConfigPolicy(KubeObject):
    API_VERSIONS = (KGW_API,)
    KIND = "BackendConfigPolicy"
    spec: BackendConfigPolicySpec
