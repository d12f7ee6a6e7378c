"""kgateway's backend and Gateway-level kinds (gateway.kgateway.dev/v1alpha1): Backend, HTTPListenerPolicy,
ListenerPolicy, GatewayParameters. beta1 and v2.0.0 spellings are both accepted (enum casing,
`auth.secret` vs `auth.secretRef`) and normalised to the v2.0.0 form here."""
from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, model_validator

from .kgateway import KGW_API, PolicyTargets
from .kgateway_telemetry import AccessLogGrpcService, OpenTelemetryAccessLogService, Tracing
from .meta import HeaderName, K8sModel, KubeObject, ObjectName, PortNumber


class StaticHost(K8sModel):
    host: str = Field(min_length=1, max_length=253)
    port: PortNumber


class UpstreamTLS(K8sModel):
    """kgw: TLS to the upstream hosts (kgateway v2 moves this to BackendConfigPolicy)."""

    sni: str | None = Field(default=None, max_length=253)
    insecure_skip_verify: bool = False


class StaticBackend(K8sModel):
    hosts: list[StaticHost] = Field(min_length=1, max_length=64)
    tls: UpstreamTLS | None = None


class LocalObjectReference(K8sModel):
    name: ObjectName


class AwsAuth(K8sModel):
    """Credentials from a Secret with keys accessKey, secretKey and optional sessionToken."""

    type: Literal["Secret", "secret"] = "Secret"  # beta1 spelled it lower-case
    # Required, but in either spelling: the CRD (generated from this model) must accept beta1's `secret`
    # too, so the requirement is checked here rather than declared as a required field.
    secret_ref: LocalObjectReference | None = None
    secret: LocalObjectReference | None = None  # beta1's name, moved to secretRef

    @model_validator(mode="before")
    @classmethod
    def _beta1(cls, data: Any) -> Any:
        if isinstance(data, dict):
            data = dict(data)
            if "secret" in data and "secretRef" not in data:  # beta1
                data["secretRef"] = data.pop("secret")
            elif "secret" in data:
                raise ValueError("set secretRef or secret, not both")
            if isinstance(data.get("type"), str) and data["type"].lower() == "secret":
                data["type"] = "Secret"
        return data

    @model_validator(mode="after")
    def _secret_named(self) -> AwsAuth:
        if self.secret_ref is None:
            raise ValueError("secretRef is required (the Secret with accessKey and secretKey)")
        return self


class AwsLambda(K8sModel):
    function_name: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9\-_]{1,140}$")]
    qualifier: Annotated[str, StringConstraints(pattern=r"^(\$LATEST|[0-9]+|[A-Za-z0-9\-_]{1,128})$")] | None = None
    invocation_mode: Literal["Sync", "Async"] = "Sync"
    endpoint_url: Annotated[
        str, StringConstraints(max_length=2048, pattern=r"^https?://[-a-zA-Z0-9@:%.+~#?&/=]+$")
    ] | None = Field(default=None, alias="endpointURL")
    region: Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]{1,63}$")] | None = None


class AwsBackend(K8sModel):
    account_id: Annotated[str, StringConstraints(pattern=r"^[0-9]{12}$")]
    region: Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]{1,63}$")] = "us-east-1"
    auth: AwsAuth | None = None
    lambda_: AwsLambda = Field(alias="lambda")


_TYPES = {"static": "Static", "aws": "AWS"}


class BackendSpec(K8sModel):
    type: Literal["Static", "AWS", "static", "aws"]  # beta1 lower-case, normalised to v2.0.0's casing
    static: StaticBackend | None = None
    aws: AwsBackend | None = None

    @model_validator(mode="before")
    @classmethod
    def _casing(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("type"), str):
            data = {**data, "type": _TYPES.get(data["type"].lower(), data["type"])}
        return data

    @model_validator(mode="after")
    def _union(self) -> BackendSpec:
        for name, kind in (("static", "Static"), ("aws", "AWS")):
            if (getattr(self, name) is not None) != (self.type == kind):
                raise ValueError(f"{name} must be set exactly when type is {kind}")
        return self


class Backend(KubeObject):
    API_VERSIONS = (KGW_API,)
    KIND = "Backend"
    spec: BackendSpec


class HeaderMatch(K8sModel):
    type: Literal["Exact", "RegularExpression"] = "Exact"
    name: HeaderName
    value: str = Field(min_length=1, max_length=4096)


class HeaderFilter(K8sModel):
    header: HeaderMatch


class ComparisonFilter(K8sModel):
    op: Literal["EQ", "GE", "LE"]
    value: int = Field(ge=0, le=4294967295)


class ResponseFlagFilter(K8sModel):
    flags: list[str] = Field(min_length=1)


GrpcStatus = Literal["OK", "CANCELED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
                     "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED",
                     "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"]


class GrpcStatusFilter(K8sModel):
    statuses: list[GrpcStatus] = []
    exclude: bool | None = None


class CELFilter(K8sModel):
    match: str = Field(min_length=1)


class FilterType(K8sModel):
    status_code_filter: ComparisonFilter | None = None
    duration_filter: ComparisonFilter | None = None
    not_health_check_filter: bool | None = None
    traceable_filter: bool | None = None
    header_filter: HeaderFilter | None = None
    response_flag_filter: ResponseFlagFilter | None = None
    grpc_status_filter: GrpcStatusFilter | None = None
    cel_filter: CELFilter | None = Field(default=None, alias="celFilter")

    @model_validator(mode="after")
    def _exactly_one(self) -> FilterType:
        if sum(getattr(self, f) is not None for f in FilterType.model_fields) != 1:
            raise ValueError("a filter sets exactly one of statusCodeFilter, durationFilter, notHealthCheckFilter, "
                             "traceableFilter, headerFilter, responseFlagFilter, grpcStatusFilter, celFilter")
        return self


class AccessLogFilter(FilterType):
    and_filter: list[FilterType] | None = Field(default=None, min_length=2)
    or_filter: list[FilterType] | None = Field(default=None, min_length=2)

    @model_validator(mode="after")
    def _exactly_one(self) -> AccessLogFilter:
        if sum(getattr(self, f) is not None for f in type(self).model_fields) != 1:
            raise ValueError("filter sets exactly one of its fields")
        return self


class FileSink(K8sModel):
    path: str = Field(default="/dev/stdout", min_length=1)
    string_format: str | None = None
    json_format: dict[str, str] | None = None

    @model_validator(mode="after")
    def _one_format(self) -> FileSink:
        if self.string_format is not None and self.json_format is not None:
            raise ValueError("set at most one of stringFormat and jsonFormat")
        return self


class AccessLog(K8sModel):
    file_sink: FileSink | None = None
    grpc_service: AccessLogGrpcService | None = None
    open_telemetry: OpenTelemetryAccessLogService | None = None
    filter: AccessLogFilter | None = None

    @model_validator(mode="after")
    def _one_sink(self) -> AccessLog:
        if sum(v is not None for v in (self.file_sink, self.grpc_service, self.open_telemetry)) != 1:
            raise ValueError("an accessLog entry sets exactly one of fileSink, grpcService, openTelemetry")
        return self


class GatewayTargetsSpec(PolicyTargets):
    @model_validator(mode="after")
    def _gateways_only(self) -> GatewayTargetsSpec:
        if any(r.kind != "Gateway" or r.group != "gateway.networking.k8s.io" for r in self.targets):
            raise ValueError("targetRefs may only reference Gateway resources")
        return self


class HTTPListenerPolicySpec(GatewayTargetsSpec):
    access_log: list[AccessLog] = Field(default=[], max_length=16)
    tracing: Tracing | None = None


class HTTPListenerPolicy(KubeObject):
    API_VERSIONS = (KGW_API,)
    KIND = "HTTPListenerPolicy"
    spec: HTTPListenerPolicySpec


class XForwardedFor(K8sModel):
    trusted_cidrs: list[str] = Field(min_length=1, max_length=256, alias="trustedCIDRs")


class ClientIPDetection(K8sModel):
    """kgw extension in Envoy Gateway's shape (ClientTrafficPolicy `clientIPDetection.xForwardedFor`): the
    x-forwarded-for entries added by peers in `trustedCIDRs` are skipped; the first address from the right
    that is not trusted is the client."""

    x_forwarded_for: XForwardedFor


class HTTPSettings(K8sModel):
    """The client-address settings of kgateway's newest `ListenerConfig.httpSettings` (docs/security.md): the
    address `client_ip`, the ACL and RBAC see. Its other fields are not implemented (reported as unknown)."""

    use_remote_address: bool | None = None  # kgw's default: true (the edge)
    xff_num_trusted_hops: int | None = Field(default=None, ge=0, le=2147483647)
    client_ip_detection: ClientIPDetection | None = Field(default=None, alias="clientIPDetection")  # kgw

    @model_validator(mode="after")
    def _one_way(self) -> HTTPSettings:
        # Envoy refuses to mix its original-IP detection extension with either (measured with Envoy 1.40)
        if self.client_ip_detection is not None and self.xff_num_trusted_hops:
            raise ValueError("set xffNumTrustedHops or clientIPDetection.xForwardedFor.trustedCIDRs, not both "
                             "(Envoy trusts either a number of hops or the addresses of trusted peers)")
        if self.client_ip_detection is not None and self.use_remote_address:
            raise ValueError("clientIPDetection.xForwardedFor.trustedCIDRs decides the client address itself: "
                             "leave useRemoteAddress unset (Envoy refuses to mix the two)")
        return self


class ListenerConfig(K8sModel):
    http_settings: HTTPSettings | None = None


class ListenerPolicySpec(GatewayTargetsSpec):
    per_connection_buffer_limit_bytes: int | None = Field(default=None, ge=0, le=2147483647)
    default: ListenerConfig | None = None


class ListenerPolicy(KubeObject):
    API_VERSIONS = (KGW_API,)
    KIND = "ListenerPolicy"
    spec: ListenerPolicySpec


LogLevel = Literal["trace", "debug", "info", "warn", "warning", "error", "critical", "off"]


class EnvoyBootstrap(K8sModel):
    log_level: LogLevel | None = None
    component_log_levels: dict[str, str] = {}
    concurrency: int | None = Field(default=None, ge=1, le=256)  # kgw: Envoy's --concurrency


class Image(K8sModel):
    registry: str | None = None
    repository: str | None = None
    tag: str | None = None
    digest: str | None = None
    pull_policy: Literal["Always", "Never", "IfNotPresent"] | None = None


class EnvVar(K8sModel):
    name: str = Field(min_length=1)
    value: str | None = None


class ResourceRequirements(K8sModel):
    limits: dict[str, str] = {}
    requests: dict[str, str] = {}


class EnvoyContainer(K8sModel):
    bootstrap: EnvoyBootstrap | None = None
    image: Image | None = None
    resources: ResourceRequirements | None = None
    env: list[EnvVar] = []


class ProxyDeployment(K8sModel):
    replicas: int | None = Field(default=None, ge=0)


class Pod(K8sModel):
    extra_labels: dict[str, str] = {}
    extra_annotations: dict[str, str] = {}


class ServiceConfig(K8sModel):
    type: Literal["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"] | None = None
    extra_labels: dict[str, str] = {}
    extra_annotations: dict[str, str] = {}


class KubernetesProxyConfig(K8sModel):
    deployment: ProxyDeployment | None = None
    envoy_container: EnvoyContainer | None = None
    pod_template: Pod | None = None
    service: ServiceConfig | None = None


class SelfManagedGateway(K8sModel):
    pass


DataPlane = Literal["Wasm", "Native"]


class GatewayParametersSpec(K8sModel):
    kube: KubernetesProxyConfig | None = None
    self_managed: SelfManagedGateway | None = None
    # kgw: how Envoy runs the rules programs (docs/data-plane.md). Wasm (default): the sandboxed proxy-wasm
    # filter. Native: the same interpreter as an Envoy dynamic module, in Envoy's process (a fault there
    # takes the proxy down); the deployer puts the module on the proxy's filesystem.
    data_plane: DataPlane | None = None

    @model_validator(mode="after")
    def _at_most_one(self) -> GatewayParametersSpec:
        if self.kube is not None and self.self_managed is not None:
            raise ValueError("set at most one of kube and selfManaged")
        return self


class GatewayParameters(KubeObject):
    API_VERSIONS = (KGW_API,)
    KIND = "GatewayParameters"
    spec: GatewayParametersSpec = GatewayParametersSpec()
