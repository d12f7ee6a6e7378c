"""kgateway's telemetry shapes (HTTPListenerPolicy `accessLog` and `tracing`, TrafficPolicy `tracing`), with
kgateway's field names (api/v1alpha1/kgateway/http_listener_policy_types.go, traffic_policy_types.go).
docs/kgateway-api.md says what each maps to in Envoy."""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from .httproute import BackendObjectReference
from .meta import Duration, HeaderName, K8sModel

Percent = Annotated[int, Field(ge=0, le=100)]
NonEmpty = Annotated[str, StringConstraints(min_length=1)]


class HeaderValue(K8sModel):
    key: NonEmpty
    value: str | None = None


class BackoffStrategy(K8sModel):
    base_interval: Duration
    max_interval: Duration | None = None


class RetryPolicy(K8sModel):
    retry_back_off: BackoffStrategy | None = None
    num_retries: int | None = Field(default=None, ge=1)


class CommonGrpcService(K8sModel):
    """Envoy's GrpcService (envoy_grpc) to a Service or kgateway Backend; the connection speaks HTTP/2."""

    backend_ref: BackendObjectReference
    authority: str | None = None
    max_receive_message_length: int | None = Field(default=None, ge=1, le=2147483647)
    skip_envoy_headers: bool | None = None
    timeout: Duration | None = None
    initial_metadata: list[HeaderValue] = []
    retry_policy: RetryPolicy | None = None


class CommonAccessLogGrpcService(CommonGrpcService):
    log_name: NonEmpty


class AccessLogGrpcService(CommonAccessLogGrpcService):
    additional_request_headers_to_log: list[HeaderName] = []
    additional_response_headers_to_log: list[HeaderName] = []
    additional_response_trailers_to_log: list[HeaderName] = []


_OPEN = {"x-kubernetes-preserve-unknown-fields": True}


class AnyValue(K8sModel):
    """OTLP AnyValue. Nested values are schemaless in the CRD (as in kgateway's: a recursive schema is not
    structural) and validated here, as AnyValue and KeyAnyValueList again."""

    string_value: str | None = None
    array_value: list[dict] | None = Field(default=None, json_schema_extra={"items": {"type": "object", **_OPEN}})
    kv_list_value: dict | None = Field(default=None, json_schema_extra={"type": "object", **_OPEN})

    @model_validator(mode="after")
    def _exactly_one(self) -> AnyValue:
        if sum(v is not None for v in (self.string_value, self.array_value, self.kv_list_value)) != 1:
            raise ValueError("set exactly one of stringValue, arrayValue, kvListValue")
        for item in self.array_value or ():
            AnyValue.model_validate(item)
        if self.kv_list_value is not None:
            KeyAnyValueList.model_validate(self.kv_list_value)
        return self

    def to_otlp(self) -> dict:
        """The value as OTLP's AnyValue in proto3 JSON (what Envoy's KeyValueList parses)."""
        if self.string_value is not None:
            return {"string_value": self.string_value}
        if self.array_value is not None:
            return {"array_value": {"values": [AnyValue.model_validate(v).to_otlp() for v in self.array_value]}}
        return {"kvlist_value": KeyAnyValueList.model_validate(self.kv_list_value).to_otlp()}


class KeyAnyValue(K8sModel):
    key: NonEmpty
    value: AnyValue


class KeyAnyValueList(K8sModel):
    values: list[KeyAnyValue] = []

    def to_otlp(self) -> dict:
        return {"values": [{"key": kv.key, "value": kv.value.to_otlp()} for kv in self.values]}


class OpenTelemetryAccessLogService(K8sModel):
    grpc_service: CommonAccessLogGrpcService
    body: str | None = None
    disable_builtin_labels: bool | None = None
    attributes: KeyAnyValueList | None = None
    resource_attributes: KeyAnyValueList | None = None


class CustomAttributeLiteral(K8sModel):
    value: str


class CustomAttributeEnvironment(K8sModel):
    name: NonEmpty
    default_value: str | None = None


class CustomAttributeHeader(K8sModel):
    name: NonEmpty
    default_value: str | None = None


class MetadataPathSegment(K8sModel):
    key: NonEmpty


class MetadataKey(K8sModel):
    key: NonEmpty
    path: list[MetadataPathSegment] = Field(min_length=1)


class CustomAttributeMetadata(K8sModel):
    kind: Literal["Request", "Route", "Cluster", "Host"]
    metadata_key: MetadataKey
    default_value: str | None = None


class CustomAttribute(K8sModel):
    name: NonEmpty
    literal: CustomAttributeLiteral | None = None
    environment: CustomAttributeEnvironment | None = None
    request_header: CustomAttributeHeader | None = None
    metadata: CustomAttributeMetadata | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> CustomAttribute:
        if sum(v is not None for v in (self.literal, self.environment, self.request_header, self.metadata)) != 1:
            raise ValueError("set exactly one of literal, environment, requestHeader, metadata")
        return self


class EnvironmentResourceDetectorConfig(K8sModel):
    pass


class ResourceDetector(K8sModel):
    environment_resource_detector: EnvironmentResourceDetectorConfig | None = None

    @model_validator(mode="after")
    def _one(self) -> ResourceDetector:
        if self.environment_resource_detector is None:
            raise ValueError("set environmentResourceDetector (the one detector kgateway defines)")
        return self


class AlwaysOnConfig(K8sModel):
    pass


class Sampler(K8sModel):
    always_on: AlwaysOnConfig | None = Field(default=None, alias="alwaysOnConfig")

    @model_validator(mode="after")
    def _one(self) -> Sampler:
        if self.always_on is None:
            raise ValueError("set alwaysOnConfig (the one sampler kgateway defines)")
        return self


class OpenTelemetryTracingConfig(K8sModel):
    grpc_service: CommonGrpcService
    service_name: str | None = None
    resource_detectors: list[ResourceDetector] = []
    sampler: Sampler | None = None


class TracingProvider(K8sModel):
    open_telemetry: OpenTelemetryTracingConfig | None = None

    @model_validator(mode="after")
    def _one(self) -> TracingProvider:
        if self.open_telemetry is None:
            raise ValueError("set openTelemetry (the one provider kgateway defines)")
        return self


class Tracing(K8sModel):
    provider: TracingProvider
    client_sampling: Percent | None = None
    random_sampling: Percent | None = None
    overall_sampling: Percent | None = None
    verbose: bool | None = None
    max_path_tag_length: int | None = Field(default=None, ge=1)
    attributes: list[CustomAttribute] = []
    spawn_upstream_span: bool | None = None


class PolicyDisable(K8sModel):
    pass


class RouteTracing(K8sModel):
    """TrafficPolicy `tracing`: per-route overrides of the listener's tracing."""

    client_sampling: Percent | None = None
    random_sampling: Percent | None = None
    overall_sampling: Percent | None = None
    attributes: list[CustomAttribute] = Field(default=[], max_length=16)
    disable: PolicyDisable | None = None

    @model_validator(mode="after")
    def _disable_alone(self) -> RouteTracing:
        if self.disable is not None and (self.client_sampling is not None or self.random_sampling is not None
                                         or self.overall_sampling is not None or self.attributes):
            raise ValueError("disable is mutually exclusive with other tracing fields")
        return self

