"""IR for kgateway's extension kinds, hung off RouteIR.ext and GatewayIR.ext (None when unused, and then
left out of golden dumps so Gateway API-only goldens never change)."""
from __future__ import annotations

from dataclasses import dataclass, field

from kgw_rules.wire import Needs

from .ir_security import AclIR, ApiKeyAuthIR, BasicAuthIR, CidrAuthorizationIR, CsrfIR, ExtAuthIR, JwtIR
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
    http2: bool = False  # a gRPC authorization service: HTTP/2 with prior knowledge
    lambda_: LambdaIR | None = None  # an AWS Lambda Backend: routes to it invoke this function
    policy: ClusterPolicyIR | None = None  # BackendConfigPolicy settings


@dataclass
class RouteExtIR:
    direct_body: str | None = None  # DirectResponse body (with RouteIR.direct_response_status)
    programs: list[str] = field(default_factory=list)  # route- and rule-level program ids, run order
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


@dataclass
class AccessLogIR:
    path: str
    text_format: str | None = None
    json_format: dict[str, str] | None = None
    filter: dict | None = None  # Envoy AccessLogFilter, as a JSON dict


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
    buffer_limit_bytes: int | None = None
    use_remote_address: bool | None = None  # ListenerPolicy httpSettings; None: kgw's edge defaults
    xff_num_trusted_hops: int | None = None
    envoy: EnvoySettingsIR = field(default_factory=EnvoySettingsIR)
    # local rate limits shared by every route of a Gateway ("") or of one of its listeners (by name), from
    # Gateway- and listener-level TrafficPolicies: one token bucket per connection manager
    rate_limits: dict[str, LocalRateLimitIR] = field(default_factory=dict)
