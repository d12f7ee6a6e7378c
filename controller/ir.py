"""The intermediate representation: what one Gateway's Envoy should do, free of Kubernetes and of protobuf.

Plain dataclasses of str/int/bool/list so golden files can dump them with `dataclasses.asdict`.
One `GatewayIR` per programmed Gateway; its `listeners` are Envoy listeners (one per bound
address:port; several Gateway listeners that share a port share one Envoy listener).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from .ir_ext import GatewayExtIR, RouteExtIR
from .ir_traffic import ClusterPolicyIR, SessionIR


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
class HeaderKVIR:
    name: str
    value: str


@dataclass
class HeaderModIR:
    """RequestHeaderModifier / ResponseHeaderModifier: set overwrites, add appends, remove deletes."""

    set: list[HeaderKVIR] = field(default_factory=list)
    add: list[HeaderKVIR] = field(default_factory=list)
    remove: list[str] = field(default_factory=list)


@dataclass
class PathModIR:
    type: str  # "ReplaceFullPath" | "ReplacePrefixMatch"
    value: str
    match_prefix: str = ""  # the rule's PathPrefix value (ReplacePrefixMatch only)


@dataclass
class RedirectIR:
    scheme: str | None = None
    hostname: str | None = None
    port: int | None = None  # None: derived from the scheme or the listener (see xdsgen.routes)
    path: PathModIR | None = None
    status_code: int = 302


@dataclass
class RewriteIR:
    hostname: str | None = None
    path: PathModIR | None = None


@dataclass
class MirrorIR:
    cluster: str
    numerator: int = 100  # share of requests mirrored = numerator / denominator
    denominator: int = 100


@dataclass
class CorsIR:
    allow_origins: list[str] = field(default_factory=list)
    allow_credentials: bool = False
    allow_methods: list[str] = field(default_factory=list)
    allow_headers: list[str] = field(default_factory=list)
    expose_headers: list[str] = field(default_factory=list)
    max_age: int = 5
    disabled: bool = False  # a TrafficPolicy `cors.disable`: switches off a less specific policy's CORS


@dataclass
class RetryIR:
    """HTTPRoute rule `retry` (connection failures are always retried, these status codes too), or a
    TrafficPolicy `retry` (its `retryOn` conditions, these status codes too)."""

    codes: list[int] = field(default_factory=list)
    attempts: int | None = None  # retries after the first try; None: Envoy's default (1)
    backoff_ms: int | None = None  # minimum wait between tries; None: Envoy's default (25 ms)
    retry_on: list[str] = field(default_factory=list)  # Envoy retry_on conditions; []: connection failures
    per_try_timeout_ms: int | None = None  # TrafficPolicy retry.perTryTimeout (timeouts.backendRequest wins)
    host_predicates: list[str] = field(default_factory=list)  # "PreviousHosts" | "OmitCanaryHosts"


@dataclass
class WeightedClusterIR:
    """A weighted backend. `cluster` is None for an invalid backendRef: its share of traffic gets 500."""

    cluster: str | None
    weight: int
    request_headers: HeaderModIR | None = None  # backendRef-level filters
    response_headers: HeaderModIR | None = None


@dataclass(frozen=True)
class RouteRef:
    """Which route rule and match a RouteIR comes from."""

    kind: str  # "HTTPRoute" | "GRPCRoute"
    namespace: str
    name: str
    rule: int
    match: int

    @property
    def envoy_name(self) -> str:
        """The Envoy route name, stable across reloads: "httproute/<ns>/<name>/rule/<i>/match/<j>"."""
        return f"{self.kind.lower()}/{self.namespace}/{self.name}/rule/{self.rule}/match/{self.match}"

    @property
    def label(self) -> str:
        """What rules programs see as `route`: "<ns>/<name>/<rule index>"."""
        return f"{self.namespace}/{self.name}/{self.rule}"


@dataclass
class RouteIR:
    name: str  # the Envoy route name (RouteRef.envoy_name for route rules)
    match: MatchIR
    rule_name: str | None = None  # the rule's `name`, for policies that target a rule
    backends: list[WeightedClusterIR] = field(default_factory=list)
    direct_response_status: int | None = None  # 500 when no backend of the rule is usable
    timeout_ms: int | None = None  # HTTPRoute rule timeouts.request; 0 disables the timeout
    ext: RouteExtIR | None = None  # kgateway extensions (DirectResponse, Backend, RoutePolicy)
    backend_timeout_ms: int | None = None  # timeouts.backendRequest: each attempt to a backend
    request_headers: HeaderModIR | None = None
    response_headers: HeaderModIR | None = None
    redirect: RedirectIR | None = None
    rewrite: RewriteIR | None = None
    mirrors: list[MirrorIR] = field(default_factory=list)
    cors: CorsIR | None = None
    retry: RetryIR | None = None
    idle_timeout_ms: int | None = None  # TrafficPolicy timeouts.streamIdle; 0 disables
    session: SessionIR | None = None  # HTTPRoute rule sessionPersistence
    grpc: bool = False  # a GRPCRoute rule
    websocket: bool = False  # a backend's Service port has appProtocol kubernetes.io/ws: allow the upgrade
    ref: RouteRef | None = None  # the route rule it comes from (None for routes kgw adds, e.g. 421s)


@dataclass
class VirtualHostIR:
    name: str  # the domain itself: unique within a route configuration
    domains: list[str]
    routes: list[RouteIR] = field(default_factory=list)  # precedence-sorted: first match wins in Envoy


@dataclass
class FilterChainIR:
    """One HTTPS Gateway listener on a shared port: selected by SNI, with its own certificates and routes."""

    name: str  # "<bind address>:<bind port>/<gateway listener name>"; also its RouteConfiguration's name
    gateway_listener: str
    server_names: list[str]  # [] = any SNI (a listener without hostname)
    secrets: list[str]  # SDS secret names ("<namespace>/<secret>")
    virtual_hosts: list[VirtualHostIR] = field(default_factory=list)


@dataclass
class ClientValidationIR:
    """Client certificates an HTTPS port asks for (Gateway spec.tls.frontend), checked against a CA bundle."""

    ca_secret: str  # SDS validation context name
    insecure_fallback: bool = False  # AllowInsecureFallback: no certificate, or one that fails, is let in too


@dataclass
class L4BackendIR:
    """A weighted backend of a TLSRoute or TCPRoute. `cluster` is None for an invalid backendRef: its share of
    connections is refused (closed), as the spec asks."""

    cluster: str | None
    weight: int


@dataclass
class L4RouteIR:
    name: str  # "<kind>/<namespace>/<name>", e.g. "tlsroute/default/db"
    backends: list[L4BackendIR] = field(default_factory=list)  # weight 0 left out


@dataclass
class StreamChainIR:
    """A filter chain that forwards whole connections (tcp_proxy): a TCP listener's only chain, or one per SNI
    name a TLS listener serves (Passthrough: the bytes as they come; Terminate: decrypted with `secrets`)."""

    name: str  # "<bind address>:<bind port>/<gateway listener>[/<server name>]"
    gateway_listener: str
    server_names: list[str]  # [] = any connection (TCP)
    secrets: list[str] = field(default_factory=list)  # TLS Terminate: SDS secret names; [] = not terminated
    route: L4RouteIR | None = None  # None: no route serves this name, connections are closed


@dataclass
class ListenerIR:
    name: str  # "<bind address>:<bind port>"; the RouteConfiguration has the same name
    bind_address: str
    bind_port: int  # declared port + port offset
    declared_port: int  # the Gateway listener's port, used for Host matching and redirects
    protocol: str  # "HTTP" | "HTTPS" | "TLS" | "TCP"; "HTTPS" when HTTPS and TLS listeners share the port
    gateway_listeners: list[str] = field(default_factory=list)  # Gateway listener names merged here
    hostnames: list[str] = field(default_factory=list)  # their hostnames ("" = any)
    virtual_hosts: list[VirtualHostIR] = field(default_factory=list)  # HTTP: one RouteConfiguration
    filter_chains: list[FilterChainIR] = field(default_factory=list)  # HTTPS: one per Gateway listener
    client_validation: ClientValidationIR | None = None  # HTTPS: client certificates this port requires
    stream_chains: list[StreamChainIR] = field(default_factory=list)  # TLS and TCP listeners


@dataclass
class UdpListenerIR:
    """A UDP Gateway listener: udp_proxy to the cluster of the oldest UDPRoute attached (None: datagrams dropped)."""

    name: str  # "<bind address>:<bind port>/udp"
    bind_address: str
    bind_port: int
    declared_port: int
    gateway_listener: str
    cluster: str | None = None  # a UdpClusterIR


@dataclass
class SecretIR:
    """An SDS secret: a certificate and its key ("<namespace>/<secret>"), or a CA bundle to validate peers
    against ("<use>:<source>", e.g. "frontend-ca:443"; a colon never appears in a Kubernetes name)."""

    name: str
    certificate_chain: str = ""  # PEM
    private_key: str = ""  # PEM
    trusted_ca: str = ""  # PEM bundle: a validation context


@dataclass
class SubjectAltNameIR:
    type: str  # "DNS" | "URI"
    value: str


@dataclass
class UpstreamTLSIR:
    """TLS to a backend (BackendTLSPolicy): SNI, the CAs its certificate must chain to, the names it must hold."""

    sni: str
    ca_secret: str = ""  # SDS validation context; "" with system_ca
    system_ca: bool = False  # wellKnownCACertificates: System (the proxy's CA bundle file)
    subject_alt_names: list[SubjectAltNameIR] = field(default_factory=list)  # one must match
    client_certificate: str = ""  # SDS certificate the Gateway presents (spec.tls.backend.clientCertificateRef)
    policy: str = ""  # "<namespace>/<name>" of the BackendTLSPolicy


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
    http2: bool = False  # appProtocol kubernetes.io/h2c or grpc, or a GRPCRoute backend: HTTP/2 prior knowledge
    upstream_tls: UpstreamTLSIR | None = None  # BackendTLSPolicy
    unusable: str = ""  # why it has no endpoints although the Service has some (a BackendTLSPolicy without a CA)
    policy: ClusterPolicyIR | None = None  # BackendConfigPolicy settings


@dataclass
class EndpointGroupIR:
    """One backendRef of a UDPRoute: its Service port's endpoints and its weight."""

    name: str  # the Service port: "<namespace>/<service>/<port>/udp"
    weight: int
    endpoints: list[EndpointIR] = field(default_factory=list)


@dataclass
class UdpClusterIR:
    """A UDPRoute's backends as one cluster, a weighted locality per backendRef: udp_proxy routes to a single
    cluster, so the weights live in the load assignment."""

    name: str  # "udproute/<namespace>/<name>"
    groups: list[EndpointGroupIR] = field(default_factory=list)


@dataclass
class GatewayIR:
    namespace: str
    name: str
    address: str
    listeners: list[ListenerIR] = field(default_factory=list)
    clusters: list[ClusterIR] = field(default_factory=list)  # sorted by name
    secrets: list[SecretIR] = field(default_factory=list)  # sorted by name, delivered over SDS
    udp_listeners: list[UdpListenerIR] = field(default_factory=list)
    udp_clusters: list[UdpClusterIR] = field(default_factory=list)  # sorted by name
    ext: GatewayExtIR | None = None  # kgateway extensions (programs, Backends, listener policies)

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    def routes(self):
        """Every route of every virtual host, plain listeners' and HTTPS filter chains' alike."""
        for lis in self.listeners:
            for vh in [*lis.virtual_hosts, *(vh for chain in lis.filter_chains for vh in chain.virtual_hosts)]:
                yield from vh.routes

    def to_dict(self) -> dict:
        return _drop_unset_ext({"key": self.key, **dataclasses.asdict(self)})


# Gateway API fields left out of dumps while unset, so a golden case shows only the features it uses.
_OPTIONAL = {
    "rule_name", "backend_timeout_ms", "request_headers", "response_headers", "redirect", "rewrite", "mirrors",
    "cors", "retry", "grpc", "websocket", "filter_chains", "secrets", "http2", "env_names",
    "client_validation", "certificate_chain", "private_key", "trusted_ca", "upstream_tls", "unusable", "system_ca",
    "client_certificate", "stream_chains", "udp_listeners", "udp_clusters", "log_fields", "log_name",
    "response_trailers", "otel", "tracing",
    # traffic settings (ir_traffic.py): only where used
    "retry_on", "per_try_timeout_ms", "host_predicates", "idle_timeout_ms", "session", "policy", "rate_limit",
    "compression", "fault", "buffer", "header_mutation", "path_regex", "internal_redirect", "stat_prefix",
    "auto_host_rewrite", "rate_limits", "disabled",
    "oauth2",  # security settings added later: only where used
}
_NEVER_DUMPED = {"blob", "ref"}  # ProgramIR bytecode: dumps show its sha256; RouteIR.ref: its name says it


def _drop_unset_ext(value):
    """`ext: None` is left out so dumps of Gateways without kgateway extensions are unchanged (and the
    optional Gateway API fields above while unset)."""
    if isinstance(value, dict):
        return {k: _drop_unset_ext(v) for k, v in value.items()
                if not (k == "ext" and v is None) and not (k in _OPTIONAL and not v) and k not in _NEVER_DUMPED}
    if isinstance(value, list):
        return [_drop_unset_ext(v) for v in value]
    return value
