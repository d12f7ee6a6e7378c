"""The intermediate representation: what one Gateway's Envoy should do, free of Kubernetes and of protobuf.

Plain dataclasses of str/int/bool/list so golden files can dump them with `dataclasses.asdict`.
One `GatewayIR` per programmed Gateway; its `listeners` are Envoy listeners (one per bound
address:port; several Gateway listeners that share a port share one Envoy listener).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field


@dataclass
class StringMatchIR:
    name: str
    type: str  # "Exact" | "RegularExpression"
    value: str


@dataclass
class MatchIR:
    path_type: str  # "Exact" | "PathPrefix" | "RegularExpression"
    path: str
    method: str | None = None
    headers: list[StringMatchIR] = field(default_factory=list)  # names lower-cased, first occurrence wins
    query_params: list[StringMatchIR] = field(default_factory=list)


@dataclass
class WeightedClusterIR:
    """A weighted backend. `cluster` is None for an invalid backendRef: its share of traffic gets 500."""

    cluster: str | None
    weight: int


@dataclass
class RouteIR:
    name: str  # "httproute/<ns>/<name>/rule/<i>/match/<j>", stable across reloads
    match: MatchIR
    backends: list[WeightedClusterIR] = field(default_factory=list)
    direct_response_status: int | None = None  # 500 when no backend of the rule is usable
    timeout_ms: int | None = None  # HTTPRoute rule timeouts.request; 0 disables the timeout


@dataclass
class VirtualHostIR:
    name: str  # the domain itself: unique within a route configuration
    domains: list[str]
    routes: list[RouteIR] = field(default_factory=list)  # precedence-sorted: first match wins in Envoy


@dataclass
class ListenerIR:
    name: str  # "<bind address>:<bind port>"; the RouteConfiguration has the same name
    bind_address: str
    bind_port: int  # declared port + port offset
    declared_port: int  # the Gateway listener's port, used for Host matching and redirects
    protocol: str  # "HTTP"
    gateway_listeners: list[str] = field(default_factory=list)  # Gateway listener names merged here
    hostnames: list[str] = field(default_factory=list)  # their hostnames ("" = any)
    virtual_hosts: list[VirtualHostIR] = field(default_factory=list)


@dataclass
class EndpointIR:
    address: str
    port: int


@dataclass
class ClusterIR:
    name: str  # "<namespace>/<service>/<port>"
    service_namespace: str
    service_name: str
    service_port: int
    endpoints: list[EndpointIR] = field(default_factory=list)  # sorted, de-duplicated, ready only


@dataclass
class GatewayIR:
    namespace: str
    name: str
    address: str
    listeners: list[ListenerIR] = field(default_factory=list)
    clusters: list[ClusterIR] = field(default_factory=list)  # sorted by name

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    def to_dict(self) -> dict:
        return {"key": self.key, **dataclasses.asdict(self)}
