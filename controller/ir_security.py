"""IR of the security settings of a route (kgateway TrafficPolicy jwtAuth, basicAuth, apiKeyAuth, rbac, acl,
oauth2).
Credentials (htpasswd hashes, API keys) are kept out of `repr`, so they never reach a log line or an error."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class JwtProviderIR:
    name: str  # "<namespace>/<GatewayExtension>/<provider>": unique across the Gateway
    issuer: str = ""
    audiences: list[str] = field(default_factory=list)
    local_jwks: str | None = field(default=None, repr=False)  # a key set (JWKS or PEM; from a Secret maybe), checked
    remote_url: str | None = None
    remote_cluster: str | None = None  # the Backend's cluster the JWKS is fetched through
    cache_duration_ms: int | None = None
    header: str | None = None  # where the token is; all None: `authorization: Bearer ...` (Envoy's default)
    prefix: str | None = None
    query: str | None = None
    claims_to_headers: list[tuple[str, str]] = field(default_factory=list)  # (claim, header)
    forward_token: bool = False


@dataclass
class JwtIR:
    requirement: str = ""  # "<namespace>/<GatewayExtension>": the providers, OR-ed
    providers: list[JwtProviderIR] = field(default_factory=list)
    allow_missing: bool = False  # validationMode AllowMissing: no token passes; a bad token does not
    disabled: bool = False


@dataclass
class BasicAuthIR:
    htpasswd: str = field(default="", repr=False)
    disabled: bool = False


@dataclass
class ApiKeySourceIR:
    header: str | None = None
    query: str | None = None
    cookie: str | None = None


@dataclass
class ApiKeyAuthIR:
    credentials: list[tuple[str, str]] = field(default_factory=list, repr=False)  # (client id, key)
    sources: list[ApiKeySourceIR] = field(default_factory=list)
    forward_credential: bool = False
    client_id_header: str | None = None
    disabled: bool = False


@dataclass
class CidrAuthorizationIR:
    """rbac: the policy matches a request from one of `allow` (empty: any address) whose method is one of
    `methods` (empty: any), whose path matches one of `paths` (empty: any), that has every header condition
    (name, values; no values: present), whose verified JWT has every claim condition, and for which one of the
    CEL `expressions` is true (none: no such condition). `Allow`
    lets through only matching requests, `Deny` refuses them; `block` addresses are always refused."""

    action: str = "Allow"  # "Allow" | "Deny"
    allow: list[str] = field(default_factory=list)
    block: list[str] = field(default_factory=list)
    methods: list[str] = field(default_factory=list)
    headers: list[tuple[str, list[str]]] = field(default_factory=list)
    expressions: list[str] = field(default_factory=list)  # CEL matchExpressions (any of them), checked
    paths: list[tuple[str, str]] = field(default_factory=list)  # (Exact | PathPrefix | RegularExpression, value)
    claims: list[tuple[list[str], bool, list[str]]] = field(default_factory=list)  # (path, is list, values)


@dataclass
class AclIR:
    """acl, flattened by longest prefix (translate/policies/acl.py): the addresses whose verdict is not the
    default action."""

    default_allow: bool = True
    exceptions: list[str] = field(default_factory=list)
    deny: AclDenyIR | None = None  # denyResponse


@dataclass
class AclDenyIR:
    """acl.denyResponse: the status and headers of a refusal. `denied` is every refused address by the label
    of the rule that decided it (its name, "rule" when unnamed, "default" for the default action); one label
    ("") when no header names the rule."""

    status: int = 403
    headers: list[tuple[str, str]] = field(default_factory=list)
    blocked_by_header: str | None = None
    denied: list[tuple[str, list[str]]] = field(default_factory=list)


@dataclass
class ExtAuthServiceIR:
    """A GatewayExtension's authorization service: one ext_authz filter per extension on a connection manager."""

    extension: str  # "<namespace>/<name>"
    cluster: str  # a kgateway Backend's cluster ("backend/<ns>/<name>")
    grpc: bool = False
    authority: str | None = None
    timeout_ms: int = 2000  # kgateway's HTTPDefaultTimeout
    path_prefix: str = ""
    headers_to_add: list[tuple[str, str]] = field(default_factory=list)
    headers_to_backend: list[str] = field(default_factory=list)
    headers_to_client: list[str] = field(default_factory=list)
    headers_to_client_on_success: list[str] = field(default_factory=list)
    headers_to_forward: list[str] = field(default_factory=list)
    fail_open: bool = False
    clear_route_cache: bool = False
    status_on_error: int = 403
    stat_prefix: str | None = None
    percentage_enabled: int | None = None
    body: ExtAuthBodyIR | None = None


@dataclass
class ExtAuthBodyIR:
    max_bytes: int
    allow_partial: bool = False
    pack_as_bytes: bool = False


@dataclass
class ExtAuthIR:
    service: ExtAuthServiceIR | None = None
    context_extensions: dict[str, str] = field(default_factory=dict)
    body: ExtAuthBodyIR | None = None  # the policy's withRequestBody (over the extension's)
    disabled: bool = False


@dataclass
class CsrfIR:
    """csrf: mutating requests whose Origin is neither the destination nor an additional origin are refused
    (403) on `enabled_percent` of requests, or only counted on `shadow_percent`."""

    enabled_percent: int = 100
    shadow_percent: int = 0
    # (exact | prefix | suffix | contains | safe_regex, value, ignore case)
    origins: list[tuple[str, str, bool]] = field(default_factory=list)


@dataclass
class OAuth2IR:
    """oauth2: a GatewayExtension's OAuth2 provider, one Envoy oauth2 filter per extension on a connection
    manager. The two secrets reach Envoy over SDS (`*_sds` names); their values stay out of `repr`."""

    extension: str  # "<namespace>/<name>"
    cluster: str  # the Backend the token endpoint is reached through
    token_endpoint: str
    authorization_endpoint: str
    client_id: str
    client_secret_sds: str
    hmac_sds: str
    redirect_uri: str
    redirect_path: str  # the path of redirect_uri: Envoy's callback matcher
    logout_path: str
    end_session_endpoint: str = ""
    forward_access_token: bool = False
    scopes: list[str] = field(default_factory=list)
    cookie_names: dict[str, str] = field(default_factory=dict)  # Envoy CookieNames field -> cookie name
    cookie_domain: str = ""
    same_site: str | None = None  # "Lax" | "Strict" | "None"
    disable_access_token_cookie: bool = False
    disable_id_token_cookie: bool = False
    disable_refresh_token_cookie: bool = False
    # (header, "Exact" | "RegularExpression", value): requests that match get a 401 instead of a redirect
    deny_redirect: list[tuple[str, str, str]] = field(default_factory=list)
    client_secret: str = field(default="", repr=False)
    hmac_secret: str = field(default="", repr=False)
