"""Shared building blocks of the resource models: strict base model, ObjectMeta, CRD string types.

Models follow the CRD / core OpenAPI schemas: wrong types, enum values, required fields and patterns are
rejected (as the API server would). `strict=True` because the API server never coerces "80" into 80.

A field kgw does not know is an error in every kind kgw configures itself from (Gateway API and kgateway
kinds): an unimplemented field is reported in status, never silently dropped (`models/unsupported.py` says
why for the kgateway fields kgw leaves out). kgw's CRDs keep unknown fields (`x-kubernetes-preserve-unknown-
fields`) so that a cluster shows them to kgw instead of pruning them. Core kinds (Service, EndpointSlice,
Namespace, Secret) and `metadata` are read for a few facts only; their other fields are not kgw's
configuration and are ignored (`CoreModel`).
"""
from __future__ import annotations

import datetime
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints
from pydantic.alias_generators import to_camel


class K8sModel(BaseModel):
    """Base of every model: camelCase aliases (error paths use them), frozen, strict, unknown fields refused."""

    model_config = ConfigDict(
        strict=True, frozen=True, extra="forbid", alias_generator=to_camel, populate_by_name=True
    )


class CoreModel(K8sModel):
    """A part of a core Kubernetes kind, or `metadata`: fields kgw does not read are not its configuration."""

    model_config = ConfigDict(extra="ignore")


def _timestamp(value: Any) -> Any:
    # PyYAML turns an unquoted RFC 3339 timestamp into a datetime; the API server would hold a string.
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.UTC)
        return value.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value


_DNS1123_SUBDOMAIN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
_DNS1123_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"

ObjectName = Annotated[str, StringConstraints(min_length=1, max_length=253)]
NamespaceName = Annotated[str, StringConstraints(min_length=1, max_length=63, pattern=_DNS1123_LABEL)]
SectionName = Annotated[str, StringConstraints(min_length=1, max_length=253, pattern=_DNS1123_SUBDOMAIN)]
Hostname = Annotated[
    str,
    StringConstraints(
        min_length=1, max_length=253,
        pattern=r"^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$",
    ),
]
PreciseHostname = Annotated[str, StringConstraints(min_length=1, max_length=253, pattern=_DNS1123_SUBDOMAIN)]
Group = Annotated[str, StringConstraints(max_length=253, pattern=r"^$|" + _DNS1123_SUBDOMAIN)]
Kind = Annotated[str, StringConstraints(min_length=1, max_length=63, pattern=r"^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$")]
PortNumber = Annotated[int, Field(ge=1, le=65535)]
HeaderName = Annotated[
    str, StringConstraints(min_length=1, max_length=256, pattern=r"^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$")
]
Duration = Annotated[str, StringConstraints(pattern=r"^([0-9]{1,5}(h|m|s|ms)){1,4}$")]
Timestamp = Annotated[str, BeforeValidator(_timestamp)]


class NamespacedObjectReference(K8sModel):
    name: ObjectName
    namespace: NamespaceName | None = None


class LocalObjectReference(K8sModel):
    name: ObjectName


class ObjectMeta(CoreModel):
    name: ObjectName
    namespace: NamespaceName | None = None
    labels: dict[str, str] = {}
    annotations: dict[str, str] = {}
    creation_timestamp: Timestamp | None = None
    generation: int | None = None
    uid: str | None = None
    resource_version: str | None = None


class Condition(CoreModel):
    """metav1.Condition, as found in an input object's existing status (we ignore input status)."""

    type: str
    status: str
    reason: str = ""
    message: str = ""


class LabelSelectorRequirement(K8sModel):
    key: str
    operator: str
    values: list[str] = []


class LabelSelector(K8sModel):
    match_labels: dict[str, str] = {}
    match_expressions: list[LabelSelectorRequirement] = []

    def matches(self, labels: dict[str, str]) -> bool:
        """metav1.LabelSelector semantics; an unknown operator matches nothing (fail closed)."""
        for key, value in self.match_labels.items():
            if labels.get(key) != value:
                return False
        for req in self.match_expressions:
            present = req.key in labels
            if req.operator == "In":
                ok = present and labels[req.key] in req.values
            elif req.operator == "NotIn":
                ok = not present or labels[req.key] not in req.values
            elif req.operator == "Exists":
                ok = present
            elif req.operator == "DoesNotExist":
                ok = not present
            else:
                ok = False
            if not ok:
                return False
        return True


class KubeObject(K8sModel):
    """Common top-level shape. Subclasses set API_VERSIONS/KIND/NAMESPACED and a typed `spec`."""

    API_VERSIONS: ClassVar[tuple[str, ...]] = ()
    KIND: ClassVar[str] = ""
    NAMESPACED: ClassVar[bool] = True

    api_version: str
    kind: str
    metadata: ObjectMeta
    # Written by controllers, never an input: accepted and dropped.
    status: Annotated[None, BeforeValidator(lambda _: None)] = Field(default=None, exclude=True)

    @property
    def name(self) -> str:
        return self.metadata.name

    @property
    def namespace(self) -> str:
        return self.metadata.namespace or ("default" if self.NAMESPACED else "")

    @property
    def generation(self) -> int:
        return self.metadata.generation or 1
