"""IR for kgateway's extension kinds, hung off RouteIR.ext and GatewayIR.ext (None when unused, and then
left out of golden dumps so Gateway API-only goldens never change)."""
from __future__ import annotations

from dataclasses import dataclass, field

from kgw_rules.wire import Needs

from .ir_security import (
    AclIR,
    ApiKeyAuthIR,
    BasicAuthIR,
    CidrAuthorizationIR,
    CsrfIR,
    ExtAuthIR,
    JwtIR,
    OAuth2IR,
)
from .ir_traffic import (
    BufferIR,
    ClusterPolicyIR,
    CompressionIR,
    FaultIR,
    HeaderMutationIR,
    InternalRedirectIR,
    LocalRateLimitIR,
    PathRegexIR,
)


@dataclass
class LambdaIR:
    arn: str
    invocation_mode: str  # "Sync" | "Async"
    host: str  # Host header / SigV4 host the invoke is sent with
    access_key_id: str = ""
    secret_access_key: str = ""
    session_token: str = ""


@dataclass
class BackendClusterIR:
    name: str  # "backend/<namespace>/<name>"
    hosts: list[tuple[str, int]] = field(default_factory=list)
    dns: bool = False  # any host name that is not an IP address: STRICT_DNS
    tls: bool = False
    sni: str = ""
    insecure_skip_verify: bool = False
    http2: bool = False  # a gRPC service (authorization, telemetry collector): HTTP/2 with prior knowledge
    lambda_: LambdaIR | None = None  # an AWS Lambda Backend: routes to it invoke this function
    policy: ClusterPolicyIR | None = None  # BackendConfigPolicy settings


@dataclass
class CustomTagIR:
    """A span attribute (Envoy CustomTag): a literal, an environment variable, a request header, or a
    metadata value; `default` when the source has none (None: no attribute)."""

    tag: str
    source: str  # "literal" | "environment" | "request_header" | "metadata"
    value: str  # the literal, the variable name, the header name, or the metadata key
    default: str | None = None
    metadata_kind: str = ""  # "request" | "route" | "cluster" | "host" (metadata only)
    metadata_path: list[str] = field(default_factory=list)


@dataclass
class RouteTracingIR:
    """TrafficPolicy `tracing` on one route: sampling percentages (None: the listener's) and extra tags."""

    client_sampling: int | None = None
    random_sampling: int | None = None
    overall_sampling: int | None = None
    custom_tags: list[CustomTagIR] = field(default_factory=list)


@dataclass
class RouteExtIR:
    direct_body: str | None = None  # DirectResponse body (with RouteIR.direct_response_status)
    programs: list[str] = field(default_factory=list)  # route- and rule-level program ids, run order
    tracing: RouteTracingIR | None = None
    # TrafficPolicy settings, each from the most specific policy that sets it (translate/policies/traffic.py)
    rate_limit: LocalRateLimitIR | None = None
    compression: CompressionIR | None = None
    fault: FaultIR | None = None
    buffer: BufferIR | None = None
    header_mutation: HeaderMutationIR | None = None
    path_regex: PathRegexIR | None = None
    internal_redirect: InternalRedirectIR | None = None
    stat_prefix: str | None = None
    auto_host_rewrite: bool | None = None
    # security settings (ir_security.py), each from the most specific policy that sets it
    jwt: JwtIR | None = None
    ext_auth: ExtAuthIR | None = None
    basic_auth: BasicAuthIR | None = None
    api_key_auth: ApiKeyAuthIR | None = None
    rbac: CidrAuthorizationIR | None = None
    acl: AclIR | None = None
    csrf: CsrfIR | None = None
    oauth2: OAuth2IR | None = None


@dataclass
class ProgramIR:
    """A compiled program with what the xDS generator needs to know about it, read once when it is compiled.
    Dumps (goldens) leave `blob` out and show its digest, so they stay stable when only the compiler's
    output changes."""

    id: str  # "<Kind>/<namespace>/<name>"
    sha256: str
    last_good: bool = False  # the current source does not compile; this is the last good program
    blob: bytes = field(default=b"", repr=False)  # stripped bytecode
    env_names: tuple[str, ...] = ()  # process environment variables the program reads with env()
    needs: Needs = Needs()  # the filter callbacks it needs beyond the request headers (wasm build choice)
    log_fields: tuple[str, ...] = ()  # access-log fields the program may set (`set log`)
    before_auth: bool = False  # transformation.filterStage {stage: AuthN, predicate: Before} (kgw extension)


@dataclass
class GrpcServiceIR:
    """Envoy GrpcService (envoy_grpc) to one of the Gateway's telemetry clusters."""

    cluster: str
    authority: str | None = None
    max_receive_message_length: int | None = None
    skip_envoy_headers: bool = False
    timeout_ms: int | None = None
    initial_metadata: list[tuple[str, str]] = field(default_factory=list)
    retry_base_ms: int | None = None  # retry_policy, when set
    retry_max_ms: int | None = None
    num_retries: int | None = None


@dataclass
class OtelLogIR:
    """An OpenTelemetry access log's record: body and attributes are access-log formats inside OTLP
    AnyValue / KeyValueList JSON."""

    body: str | None = None
    attributes: dict | None = None  # OTLP KeyValueList as proto3 JSON
    resource_attributes: dict | None = None
    disable_builtin_labels: bool = False


@dataclass
class AccessLogIR:
    sink: str  # "file" | "grpc" (Envoy's gRPC access log service) | "otel" (OTLP logs)
    path: str = ""  # file
    text_format: str | None = None  # file
    json_format: dict[str, str] | None = None  # file
    filter: dict | None = None  # Envoy AccessLogFilter, as a JSON dict
    grpc: GrpcServiceIR | None = None  # grpc, otel
    log_name: str = ""  # grpc, otel
    request_headers: list[str] = field(default_factory=list)  # grpc: additional headers to log
    response_headers: list[str] = field(default_factory=list)
    response_trailers: list[str] = field(default_factory=list)
    log_fields: list[str] = field(default_factory=list)  # grpc: `set log` fields shipped as filter state
    otel: OtelLogIR | None = None


@dataclass
class TracingIR:
    """HTTPListenerPolicy `tracing`: Envoy's OpenTelemetry tracer on every connection manager."""

    grpc: GrpcServiceIR
    service_name: str
    resource_detectors: list[str] = field(default_factory=list)  # "environment"
    sampler: str | None = None  # "always_on"; None: Envoy's sampling decision
    client_sampling: int | None = None  # percentages; None: Envoy's default (100)
    random_sampling: int | None = None
    overall_sampling: int | None = None
    verbose: bool = False
    max_path_tag_length: int | None = None
    spawn_upstream_span: bool = False
    custom_tags: list[CustomTagIR] = field(default_factory=list)


@dataclass
class EnvoySettingsIR:
    log_level: str | None = None
    component_log_levels: dict[str, str] = field(default_factory=dict)
    concurrency: int | None = None
    data_plane: str = "wasm"  # "wasm" | "native": which build of the rules filter runs the programs


@dataclass
class GatewayExtIR:
    programs: list[ProgramIR] = field(default_factory=list)  # every program used on this Gateway
    gateway_programs: list[str] = field(default_factory=list)  # Gateway-level ids, run first on every route
    fail_all: str | None = None  # a never-valid Gateway-level policy: every route answers 500
    backend_clusters: list[BackendClusterIR] = field(default_factory=list)
    access_logs: list[AccessLogIR] = field(default_factory=list)
    tracing: TracingIR | None = None
    buffer_limit_bytes: int | None = None
    use_remote_address: bool | None = None  # ListenerPolicy httpSettings; None: kgw's edge defaults
    xff_num_trusted_hops: int | None = None
    xff_trusted_cidrs: list[str] = field(default_factory=list)  # kgw: peers whose x-forwarded-for is believed
    envoy: EnvoySettingsIR = field(default_factory=EnvoySettingsIR)
    # local rate limits shared by every route of a Gateway ("") or of one of its listeners (by name), from
    # Gateway- and listener-level TrafficPolicies: one token bucket per connection manager
    rate_limits: dict[str, LocalRateLimitIR] = field(default_factory=dict)
