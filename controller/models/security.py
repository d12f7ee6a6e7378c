"""kgateway's security settings: TrafficPolicy `jwtAuth`, `basicAuth`, `apiKeyAuth`, `rbac`, `acl` and the
GatewayExtension kind that declares JWT providers (newest kgateway API: `jwt_types.go`,
`gateway_extensions_types.go`, `ext_auth_types.go`, `basic_auth_types.go`, `traffic_policy_types.go`, `shared/rbac.go`,
`shared/acl_types.go` in kgateway-dev/kgateway). Fields kgw leaves out are not modelled: unsupported.py says
why (extProc/rateLimit extensions, ext auth retries). OAuth2 is in oauth2.py.

kgw extensions are marked: a JWKS from a Secret (kgateway reads ConfigMaps only)."""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from .gateway import SecretObjectReference
from .httproute import BackendObjectReference
from .meta import (
    Duration,
    HeaderName,
    K8sModel,
    KubeObject,
    LocalObjectReference,
    NamespacedObjectReference,
    NamespaceName,
    ObjectName,
)
from .oauth2 import OAuth2Policy, OAuth2Provider
from .traffic import PolicyDisable

Text2048 = Annotated[str, StringConstraints(min_length=1, max_length=2048)]


def _exactly_one(model: K8sModel, *fields: str) -> None:
    if sum(getattr(model, f) is not None for f in fields) != 1:
        aliases = [type(model).model_fields[f].alias or f for f in fields]
        raise ValueError(f"set exactly one of {', '.join(aliases)}")


# --- JWT -------------------------------------------------------------------------------------------------

class HeaderSource(K8sModel):
    header: Text2048
    prefix: Text2048 | None = None


class JWTTokenSource(K8sModel):
    header: HeaderSource | None = None
    query_parameter: Text2048 | None = None

    @model_validator(mode="after")
    def _one(self) -> JWTTokenSource:
        _exactly_one(self, "header", "query_parameter")
        return self


class JWTClaimToHeader(K8sModel):
    name: Text2048
    header: Text2048


class LocalJWKS(K8sModel):
    inline: Annotated[str, StringConstraints(min_length=1, max_length=16384)] | None = None
    config_map_ref: LocalObjectReference | None = None  # data key `jwks`, the GatewayExtension's namespace
    secret_ref: LocalObjectReference | None = None  # kgw: data key `jwks`, the GatewayExtension's namespace

    @model_validator(mode="after")
    def _one(self) -> LocalJWKS:
        _exactly_one(self, "inline", "config_map_ref", "secret_ref")
        return self


class RemoteJWKS(K8sModel):
    url: Text2048
    backend_ref: BackendObjectReference
    cache_duration: Duration | None = None


class JWKS(K8sModel):
    local: LocalJWKS | None = None
    remote: RemoteJWKS | None = None

    @model_validator(mode="after")
    def _one(self) -> JWKS:
        _exactly_one(self, "local", "remote")
        return self


class NamedJWTProvider(K8sModel):
    name: Annotated[str, StringConstraints(min_length=1, max_length=253)]
    issuer: Annotated[str, StringConstraints(max_length=2048)] = ""
    audiences: list[str] | None = Field(default=None, min_length=1, max_length=32)
    token_source: JWTTokenSource | None = None
    claims_to_headers: list[JWTClaimToHeader] | None = Field(default=None, min_length=1, max_length=32)
    jwks: JWKS
    forward_token: bool | None = None


class JWT(K8sModel):
    validation_mode: Literal["Strict", "AllowMissing"] | None = None
    providers: list[NamedJWTProvider] = Field(default=[], max_length=32)

    @model_validator(mode="after")
    def _unique(self) -> JWT:
        names = [p.name for p in self.providers]
        if len(set(names)) != len(names):
            raise ValueError("provider names must be unique")
        return self


# --- external authorization ------------------------------------------------------------------------------

class ExtGrpcService(K8sModel):
    backend_ref: BackendObjectReference
    authority: str | None = None
    request_timeout: Duration | None = None


class AuthorizationRequest(K8sModel):
    headers_to_add: dict[str, str] = {}


class AuthorizationResponse(K8sModel):
    headers_to_backend: list[str] = []
    headers_to_client: list[str] = []
    headers_to_client_on_success: list[str] = []


class ExtHttpService(K8sModel):
    backend_ref: BackendObjectReference
    path_prefix: str = ""
    request_timeout: Duration | None = None
    authorization_request: AuthorizationRequest | None = None
    authorization_response: AuthorizationResponse | None = None


class ExtAuthBufferSettings(K8sModel):
    max_request_bytes: int = Field(ge=1, le=2147483647)
    allow_partial_message: bool = False
    pack_as_bytes: bool = False


class ExtAuthProvider(K8sModel):
    grpc_service: ExtGrpcService | None = None
    http_service: ExtHttpService | None = None
    headers_to_forward: list[str] = []
    fail_open: bool = False
    clear_route_cache: bool = False
    with_request_body: ExtAuthBufferSettings | None = None
    status_on_error: int = Field(default=403, ge=100, le=511)
    stat_prefix: Annotated[str, StringConstraints(min_length=1)] | None = None
    percentage_enabled: int | None = Field(default=None, ge=0, le=100)

    @model_validator(mode="after")
    def _one(self) -> ExtAuthProvider:
        _exactly_one(self, "grpc_service", "http_service")
        return self


class ExtAuthPolicy(K8sModel):
    extension_ref: NamespacedObjectReference | None = None
    with_request_body: ExtAuthBufferSettings | None = None
    context_extensions: dict[str, str] = {}
    disable: PolicyDisable | None = None

    @model_validator(mode="after")
    def _one(self) -> ExtAuthPolicy:
        _exactly_one(self, "extension_ref", "disable")
        return self


class GatewayExtensionSpec(K8sModel):
    type: Literal["ExtAuth", "ExtProc", "RateLimit", "JWT", "OAuth2"] | None = None  # deprecated in kgateway
    jwt: JWT | None = None
    ext_auth: ExtAuthProvider | None = None
    oauth2: OAuth2Provider | None = None

    @model_validator(mode="after")
    def _one(self) -> GatewayExtensionSpec:
        kinds = {"JWT": self.jwt, "ExtAuth": self.ext_auth, "OAuth2": self.oauth2}
        set_ = [k for k, v in kinds.items() if v is not None]
        if len(set_) != 1:
            raise ValueError("set exactly one of jwt, extAuth, oauth2 (the extensions kgw implements)")
        if self.type is not None and self.type != set_[0]:
            raise ValueError(f"type {self.type} does not match the extension that is set")
        return self


class GatewayExtension(KubeObject):
    API_VERSIONS = ("gateway.kgateway.dev/v1alpha1",)
    KIND = "GatewayExtension"
    spec: GatewayExtensionSpec


class JWTAuth(K8sModel):
    extension_ref: NamespacedObjectReference | None = None
    disable: PolicyDisable | None = None

    @model_validator(mode="after")
    def _one(self) -> JWTAuth:
        _exactly_one(self, "extension_ref", "disable")
        return self


# --- basic auth, API keys ---------------------------------------------------------------------------------

class SecretReference(K8sModel):
    name: ObjectName
    namespace: NamespaceName | None = None
    key: Annotated[str, StringConstraints(min_length=1)] = ".htpasswd"


class BasicAuthPolicy(K8sModel):
    users: list[str] | None = Field(default=None, min_length=1, max_length=256)
    secret_ref: SecretReference | None = None
    disable: PolicyDisable | None = None

    @model_validator(mode="after")
    def _one(self) -> BasicAuthPolicy:
        _exactly_one(self, "users", "secret_ref", "disable")
        return self


Name256 = Annotated[str, StringConstraints(min_length=1, max_length=256)]


class APIKeySource(K8sModel):
    header: Name256 | None = None
    query: Name256 | None = None
    cookie: Name256 | None = None

    @model_validator(mode="after")
    def _some(self) -> APIKeySource:
        if self.header is None and self.query is None and self.cookie is None:
            raise ValueError("set at least one of header, query, cookie")
        return self


class SecretSelector(K8sModel):
    match_labels: dict[str, str]


class APIKeyAuth(K8sModel):
    key_sources: list[APIKeySource] = Field(default=[], max_length=16)
    forward_credential: bool | None = None
    client_id_header: HeaderName | None = None
    secret_ref: SecretObjectReference | None = None
    secret_selector: SecretSelector | None = None
    disable: PolicyDisable | None = None

    @model_validator(mode="after")
    def _one(self) -> APIKeyAuth:
        _exactly_one(self, "secret_ref", "secret_selector", "disable")
        return self


# --- authorization by client address ----------------------------------------------------------------------

class HeaderCondition(K8sModel):
    """kgw extension, Envoy Gateway's shape (SecurityPolicy authorization principal headers): the header is
    present with one of `values` (any value when none are listed)."""

    name: HeaderName
    values: list[str] = Field(default=[], max_length=16)


HTTPMethod = Literal["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"]


class PathCondition(K8sModel):
    """kgw extension, the Gateway API's HTTPPathMatch shape: the request path (without the query) matches."""

    type: Literal["Exact", "PathPrefix", "RegularExpression"] = "PathPrefix"
    value: Annotated[str, StringConstraints(min_length=1, max_length=1024)]

    @model_validator(mode="after")
    def _absolute(self) -> PathCondition:
        if self.type != "RegularExpression" and not self.value.startswith("/"):
            raise ValueError("value must be an absolute path (start with '/')")
        return self


class JWTClaimCondition(K8sModel):
    """kgw extension, Envoy Gateway's shape (SecurityPolicy authorization principal.jwt.claims): the verified
    token's claim (a dotted name reads a nested one) is one of `values`; `StringArray`: a list claim holding
    one of them."""

    name: Annotated[str, StringConstraints(pattern=r"^[^.]+(\.[^.]+)*$", max_length=256)]
    value_type: Literal["String", "StringArray"] = "String"
    values: list[Annotated[str, StringConstraints(max_length=1024)]] = Field(min_length=1, max_length=16)


class JWTPrincipal(K8sModel):
    claims: list[JWTClaimCondition] = Field(min_length=1, max_length=16)


CELExpression = Annotated[str, StringConstraints(min_length=1, max_length=16384)]


class AuthorizationPolicy(K8sModel):
    # CEL over Envoy's request attributes, OR-ed among themselves (controller/cel.py checks and parses them)
    match_expressions: list[CELExpression] | None = Field(default=None, min_length=1, max_length=256)
    allowed_cidrs: list[str] | None = Field(default=None, min_length=1, max_length=256, alias="allowedCIDRs")
    blocked_cidrs: list[str] | None = Field(default=None, min_length=1, max_length=256, alias="blockedCIDRs")
    # kgw extensions in Envoy Gateway's shape (its authorization rules' operation.methods, principal.headers),
    # CEL-free conditions AND-ed with the addresses
    methods: list[HTTPMethod] | None = Field(default=None, min_length=1, max_length=9)
    headers: list[HeaderCondition] | None = Field(default=None, min_length=1, max_length=16)
    paths: list[PathCondition] | None = Field(default=None, min_length=1, max_length=16)  # one of them
    jwt: JWTPrincipal | None = None  # every claim condition, on a token jwtAuth verified

    @model_validator(mode="after")
    def _some(self) -> AuthorizationPolicy:
        if all(v is None for v in (self.match_expressions, self.allowed_cidrs, self.blocked_cidrs, self.methods,
                                   self.headers, self.paths, self.jwt)):
            raise ValueError("at least one of matchExpressions, allowedCIDRs, blockedCIDRs, methods, headers, "
                             "paths or jwt must be specified")
        return self


class Authorization(K8sModel):
    policy: AuthorizationPolicy
    action: Literal["Allow", "Deny"] = "Allow"


class ACLRule(K8sModel):
    name: Annotated[str, StringConstraints(max_length=256)] | None = None
    cidrs: list[str] = Field(min_length=1, max_length=256)
    action: Literal["allow", "deny"]


class ACLResponseHeader(K8sModel):
    name: HeaderName
    value: Annotated[str, StringConstraints(max_length=4096)]


class ACLDenyResponse(K8sModel):
    status_code: int | None = Field(default=None, ge=100, le=599)
    headers: list[ACLResponseHeader] = Field(default=[], max_length=16)
    add_blocked_by_header: HeaderName | None = None  # its value: the deciding rule's name, "rule" or "default"

    @model_validator(mode="after")
    def _some(self) -> ACLDenyResponse:
        if self.status_code is None and not self.headers and self.add_blocked_by_header is None:
            raise ValueError("set at least one of statusCode, headers, addBlockedByHeader")
        return self


class ACLPolicy(K8sModel):
    default_action: Literal["allow", "deny"]
    rules: list[ACLRule] = Field(default=[], max_length=256)
    deny_response: ACLDenyResponse | None = None


# --- CSRF ------------------------------------------------------------------------------------------------

class StringMatcher(K8sModel):
    exact: str | None = None
    prefix: str | None = None
    suffix: str | None = None
    contains: str | None = None
    safe_regex: str | None = None
    ignore_case: bool = False

    @model_validator(mode="after")
    def _one(self) -> StringMatcher:
        _exactly_one(self, "exact", "prefix", "suffix", "contains", "safe_regex")
        return self


class CSRFPolicy(K8sModel):
    percentage_enabled: int | None = Field(default=None, ge=0, le=100)
    percentage_shadowed: int | None = Field(default=None, ge=0, le=100)
    additional_origins: list[StringMatcher] = Field(default=[], max_length=16)

    @model_validator(mode="after")
    def _at_most_one(self) -> CSRFPolicy:
        if self.percentage_enabled is not None and self.percentage_shadowed is not None:
            raise ValueError("set at most one of percentageEnabled, percentageShadowed")
        return self


class SecurityFields(K8sModel):
    """The security fields of TrafficPolicySpec (docs/security.md)."""

    jwt_auth: JWTAuth | None = None
    ext_auth: ExtAuthPolicy | None = None
    basic_auth: BasicAuthPolicy | None = None
    api_key_auth: APIKeyAuth | None = None
    rbac: Authorization | None = None
    acl: ACLPolicy | None = None
    csrf: CSRFPolicy | None = None
    oauth2: OAuth2Policy | None = None
