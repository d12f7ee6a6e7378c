"""GRPCRoute (gateway.networking.k8s.io/v1, standard channel v1.6.1)."""
from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from .gateway import GATEWAY_GROUP
from .httproute import (
    BackendObjectReference,
    HeaderModifier,
    HeaderValue,
    LocalObjectReference,
    ParentReference,
    RequestMirror,
    SessionPersistence,
    check_filter_fields,
    check_parent_refs,
    check_repeats,
    check_unique_rule_names,
)
from .meta import HeaderName, Hostname, K8sModel, KubeObject, SectionName

_SERVICE = re.compile(r"(?i)^\.?[a-z_][a-z_0-9]*(\.[a-z_][a-z_0-9]*)*$")
_METHOD = re.compile(r"^[A-Za-z_][A-Za-z_0-9]*$")


class GRPCMethodMatch(K8sModel):
    type: Literal["Exact", "RegularExpression"] = "Exact"
    service: Annotated[str, StringConstraints(max_length=1024)] | None = None
    method: Annotated[str, StringConstraints(max_length=1024)] | None = None

    @model_validator(mode="after")
    def _cel_rules(self) -> GRPCMethodMatch:
        if self.service is None and self.method is None:
            raise ValueError("One or both of 'service' or 'method' must be specified")
        if self.type == "Exact":
            if self.service is not None and not _SERVICE.match(self.service):
                raise ValueError("service must only contain valid characters "
                                 "(matching ^(?i)\\.?[a-z_][a-z_0-9]*(\\.[a-z_][a-z_0-9]*)*$)")
            if self.method is not None and not _METHOD.match(self.method):
                raise ValueError("method must only contain valid characters (matching ^[A-Za-z_][A-Za-z_0-9]*$)")
        return self


class GRPCHeaderMatch(K8sModel):
    type: Literal["Exact", "RegularExpression"] = "Exact"
    name: HeaderName
    value: HeaderValue


class GRPCRouteMatch(K8sModel):
    method: GRPCMethodMatch | None = None
    headers: list[GRPCHeaderMatch] = Field(default=[], max_length=16)


_FILTER_FIELD = {
    "RequestHeaderModifier": "request_header_modifier", "ResponseHeaderModifier": "response_header_modifier",
    "RequestMirror": "request_mirror", "ExtensionRef": "extension_ref",
}


class GRPCRouteFilter(K8sModel):
    type: Literal["ResponseHeaderModifier", "RequestHeaderModifier", "RequestMirror", "ExtensionRef"]
    request_header_modifier: HeaderModifier | None = None
    response_header_modifier: HeaderModifier | None = None
    request_mirror: RequestMirror | None = None
    extension_ref: LocalObjectReference | None = None

    @model_validator(mode="after")
    def _one_field(self) -> GRPCRouteFilter:
        return check_filter_fields(self, _FILTER_FIELD)


class GRPCBackendRef(BackendObjectReference):
    weight: int = Field(default=1, ge=0, le=1000000)
    filters: list[GRPCRouteFilter] = Field(default=[], max_length=16)


class GRPCRouteRule(K8sModel):
    name: SectionName | None = None
    matches: list[GRPCRouteMatch] = Field(default=[], max_length=64)
    filters: list[GRPCRouteFilter] = Field(default=[], max_length=16)
    backend_refs: list[GRPCBackendRef] = Field(default=[], max_length=16)
    session_persistence: SessionPersistence | None = None  # experimental channel

    @model_validator(mode="after")
    def _cel_rules(self) -> GRPCRouteRule:
        check_repeats(self.filters)
        return self


class GRPCRouteSpec(K8sModel):
    parent_refs: list[ParentReference] = Field(default=[], max_length=32)
    hostnames: list[Hostname] = Field(default=[], max_length=16)
    rules: list[GRPCRouteRule] = Field(default=[], max_length=16)

    @model_validator(mode="after")
    def _cel_rules(self) -> GRPCRouteSpec:
        if sum(len(r.matches) for r in self.rules) > 128:
            raise ValueError("While 16 rules and 64 matches per rule are allowed, the total number of matches "
                             "across all rules in a route must be less than 128")
        check_parent_refs(self.parent_refs)
        check_unique_rule_names(self.rules)
        return self


class GRPCRoute(KubeObject):
    API_VERSIONS = (f"{GATEWAY_GROUP}/v1",)
    KIND = "GRPCRoute"
    spec: GRPCRouteSpec = GRPCRouteSpec()
