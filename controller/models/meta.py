"""Shared building blocks of the resource models: strict base model, ObjectMeta, CRD string types.

Models follow the CRD / core OpenAPI schemas: wrong types, enum values, required fields and patterns are
rejected (as the API server would); unknown fields are ignored (the API server prunes them for CRDs).
`strict=True` because the API server never coerces "80" into 80.
"""
from __future__ import annotations

import datetime
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints
from pydantic.alias_generators import to_camel


class K8sModel(BaseModel):
    """Base of every model: camelCase aliases (error paths use them), frozen, strict, extra fields ignored."""

    model_config = ConfigDict(
        strict=True, frozen=True, extra="ignore", alias_generator=to_camel, populate_by_name=True
    )


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


class ObjectMeta(K8sModel):
    name: ObjectName
    namespace: NamespaceName | None = None
    labels: dict[str, str] = {}
    annotations: dict[str, str] = {}
    creation_timestamp: Timestamp | None = None
    generation: int | None = None
    uid: str | None = None
    resource_version: str | None = None


class Condition(K8sModel):
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

    @property
    def name(self) -> str:
        return self.metadata.name

    @property
    def namespace(self) -> str:
        return self.metadata.namespace or ("default" if self.NAMESPACED else "")

    @property
    def generation(self) -> int:
        return self.metadata.generation or 1
