"""kgateway's route-level kinds (gateway.kgateway.dev/v1alpha1): RoutePolicy / TrafficPolicy, DirectResponse.

Shapes follow kgateway v2.0.0-beta1 and v2.0.0; where they differ both spellings are accepted and
normalised here (`targetRef` -> `targetRefs`), so translate sees one shape. See docs/kgateway-api.md.
"""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from .httproute import duration_ms
from .kgateway_telemetry import RouteTracing
from .meta import Group, K8sModel, Kind, KubeObject, ObjectName, SectionName
from .security import SecurityFields
from .traffic import ROUTE_ONLY, TrafficFields

KGW_GROUP = "gateway.kgateway.dev"
KGW_API = f"{KGW_GROUP}/v1alpha1"

# Like Gateway API's HeaderName, but a leading ':' is allowed (pseudo-headers rewrite path, method, ...).
EnvoyHeaderName = Annotated[
    str, StringConstraints(min_length=1, max_length=256, pattern=r"^:?[A-Za-z0-9!#$%&'*+\-.^_`|~]+$")]


class LocalPolicyTargetReference(K8sModel):
    group: Group = "gateway.networking.k8s.io"
    kind: Kind
    name: ObjectName
    section_name: SectionName | None = None


class LocalPolicyTargetSelector(K8sModel):
    """Every object of this group and kind in the policy's namespace whose labels include `matchLabels`."""

    group: Group
    kind: Kind
    match_labels: dict[str, str]
    section_name: SectionName | None = None


class PolicyTargets(K8sModel):
    """beta1 has a single `targetRef`, v2.0.0 a list `targetRefs`: both are accepted, not both at once.
    Both are in the CRD schema; use `.targets`."""

    target_refs: list[LocalPolicyTargetReference] = Field(default=[], max_length=16)
    target_ref: LocalPolicyTargetReference | None = None

    @model_validator(mode="after")
    def _either(self) -> PolicyTargets:
        if self.target_ref is not None and self.target_refs:
            raise ValueError("set targetRefs or targetRef, not both")
        if self.target_ref is None and not self.target_refs and not getattr(self, "target_selectors", None):
            raise ValueError("targetRefs must name at least one target")
        return self

    @property
    def targets(self) -> list[LocalPolicyTargetReference]:
        return [self.target_ref] if self.target_ref is not None else list(self.target_refs)


class HeaderTransformation(K8sModel):
    name: EnvoyHeaderName
    value: str = ""  # an Inja template


class BodyTransformation(K8sModel):
    # None (kgateway v2.1): no buffering, no body transformation, `value` ignored
    parse_as: Literal["AsString", "AsJson", "None"] = "AsString"
    value: str | None = None


class DynamicMetadataValue(K8sModel):
    string_value: str = Field(min_length=1)  # an Inja template


class DynamicMetadataTransformation(K8sModel):
    """kgateway's `dynamicMetadata` entry. Parsed so the policy's status can say precisely why kgw does not
    apply it (translate reports it; proxy-wasm cannot write Envoy dynamic metadata)."""

    namespace: str = Field(min_length=1, max_length=256)
    key: str = Field(min_length=1, max_length=256)
    value: DynamicMetadataValue


class Transform(K8sModel):
    set: list[HeaderTransformation] = Field(default=[], max_length=16)
    add: list[HeaderTransformation] = Field(default=[], max_length=16)
    remove: list[EnvoyHeaderName] = Field(default=[], max_length=16)
    body: BodyTransformation | None = None
    dynamic_metadata: list[DynamicMetadataTransformation] = Field(default=[], max_length=16)


class FilterStageSpec(K8sModel):
    """kgateway's `shared.FilterStageSpec` (a place in the HTTP filter chain). kgw runs transformations at its
    usual place (after authorization) or, with this, before authentication: only `{stage: AuthN, predicate:
    Before}` is accepted (docs/security.md, "Filter order")."""

    stage: Literal["Fault", "AuthN", "AuthZ", "RateLimit", "Route"]
    predicate: Literal["Before", "During", "After"] = "During"
    weight: int = 0

    @model_validator(mode="after")
    def _before_auth_only(self) -> FilterStageSpec:
        if (self.stage, self.predicate, self.weight) != ("AuthN", "Before", 0):
            raise ValueError("kgw places a transformation at its usual stage (after authorization; leave "
                             "filterStage unset) or before authentication ({stage: AuthN, predicate: Before}), "
                             "nowhere else")
        return self


class TransformationPolicy(K8sModel):
    # kgw: a rules program (docs/language.md); exclusive with kgateway's template form below.
    rules: str | None = Field(default=None, max_length=65536)
    request: Transform | None = None
    response: Transform | None = None
    # kgw extension in kgateway's FilterStageSpec shape: before authentication, the program's response phase
    # sees the 401/403 of the authentication and authorization filters (docs/security.md)
    filter_stage: FilterStageSpec | None = None

    @model_validator(mode="after")
    def _one_form(self) -> TransformationPolicy:
        if self.rules is not None and (self.request is not None or self.response is not None):
            raise ValueError("transformation.rules cannot be combined with request/response templates")
        return self


class RoutePolicySpec(TrafficFields, SecurityFields, PolicyTargets):
    target_selectors: list[LocalPolicyTargetSelector] = Field(default=[], max_length=16)
    transformation: TransformationPolicy | None = None
    timeout: int | None = Field(default=None, ge=0)  # seconds, as in beta1 (v2: timeouts.request)
    tracing: RouteTracing | None = None  # kgateway TrafficPolicy: overrides of the listener's tracing

    @model_validator(mode="after")
    def _cel(self) -> RoutePolicySpec:
        """kgateway's CEL rules on TrafficPolicySpec (and beta1's timeout next to v2's)."""
        kinds = [r.kind for r in self.targets] + [s.kind for s in self.target_selectors]
        for field, allowed in ROUTE_ONLY.items():
            if getattr(self, field) is not None and any(k not in allowed for k in kinds):
                alias = type(self).model_fields[field].alias
                raise ValueError(f"{alias} can only be used when targeting {' or '.join(allowed)} resources")
        request = self.timeouts.request if self.timeouts else None
        if self.timeout is not None and request is not None:
            raise ValueError("set timeouts.request or timeout (beta1), not both")
        per_try = self.retry.per_try_timeout if self.retry else None
        if per_try and request and duration_ms(request) and duration_ms(per_try) >= duration_ms(request):
            raise ValueError("retry.perTryTimeout must be less than timeouts.request")
        return self


class RoutePolicy(KubeObject):
    API_VERSIONS = (KGW_API,)
    KIND = "RoutePolicy"
    spec: RoutePolicySpec


class TrafficPolicy(RoutePolicy):
    """v2.0.0's name for RoutePolicy; the same schema here."""

    KIND = "TrafficPolicy"


class DirectResponseSpec(K8sModel):
    status: int = Field(ge=200, le=599)
    body: str | None = Field(default=None, max_length=4096)


class DirectResponse(KubeObject):
    API_VERSIONS = (KGW_API,)
    KIND = "DirectResponse"
    spec: DirectResponseSpec
