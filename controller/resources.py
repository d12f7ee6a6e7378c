"""`Resources`: an immutable snapshot of every input object, by kind and (namespace, name).

Any source (files today, Kubernetes later) builds one with `Resources.from_objects(...)` or a
`ResourcesBuilder`; translate never sees where an object came from except through `origin` strings
used in messages.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

from pydantic import ValidationError

from .models import (
    BY_KIND_GROUP,
    MODELS,
    NAMESPACE_NAME_LABEL,
    SERVICE_NAME_LABEL,
    BackendTLSPolicy,
    ConfigMap,
    EndpointSlice,
    Gateway,
    GatewayClass,
    GRPCRoute,
    HTTPRoute,
    KubeObject,
    ListenerSet,
    Namespace,
    ReferenceGrant,
    Secret,
    Service,
    TCPRoute,
    TLSRoute,
    UDPRoute,
    unsupported,
)

Key = tuple[str, str]  # (namespace, name); namespace is "" for cluster-scoped kinds


@dataclasses.dataclass(frozen=True)
class SourceError:
    """One problem found while reading inputs. `str()` renders `file:line:col: Kind ns/name: field: message`."""

    file: str
    message: str
    doc_index: int = 0
    line: int | None = None  # 1-based
    column: int | None = None  # 1-based
    field: str = ""  # e.g. spec.rules[0].backendRefs[1].port
    kind: str = ""
    name: str = ""  # "namespace/name" or "name"

    def __str__(self) -> str:
        where = self.file or "<input>"
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        parts = [where]
        if self.kind:
            parts.append(f"{self.kind} {self.name}".rstrip())
        if self.field:
            parts.append(self.field)
        parts.append(self.message)
        return ": ".join(parts)


@dataclasses.dataclass(frozen=True)
class InvalidObject:
    """An object of a kind we read that failed validation; translate reports it (Accepted=False, Invalid)."""

    api_version: str
    kind: str
    namespace: str
    name: str
    file: str
    errors: tuple[SourceError, ...]
    raw: Mapping[str, Any] = dataclasses.field(default_factory=dict, compare=False, repr=False)

    @property
    def message(self) -> str:
        return "; ".join(str(e) for e in self.errors)


def _freeze(d: dict) -> Mapping:
    return MappingProxyType(dict(sorted(d.items())))


def _empty() -> Mapping:
    return MappingProxyType({})


@dataclasses.dataclass(frozen=True, eq=False)
class Resources:
    gateway_classes: Mapping[Key, GatewayClass] = dataclasses.field(default_factory=_empty)
    gateways: Mapping[Key, Gateway] = dataclasses.field(default_factory=_empty)
    http_routes: Mapping[Key, HTTPRoute] = dataclasses.field(default_factory=_empty)
    grpc_routes: Mapping[Key, GRPCRoute] = dataclasses.field(default_factory=_empty)
    tls_routes: Mapping[Key, TLSRoute] = dataclasses.field(default_factory=_empty)
    tcp_routes: Mapping[Key, TCPRoute] = dataclasses.field(default_factory=_empty)
    udp_routes: Mapping[Key, UDPRoute] = dataclasses.field(default_factory=_empty)
    reference_grants: Mapping[Key, ReferenceGrant] = dataclasses.field(default_factory=_empty)
    services: Mapping[Key, Service] = dataclasses.field(default_factory=_empty)
    endpoint_slices: Mapping[Key, EndpointSlice] = dataclasses.field(default_factory=_empty)
    namespaces: Mapping[Key, Namespace] = dataclasses.field(default_factory=_empty)
    secrets: Mapping[Key, Secret] = dataclasses.field(default_factory=_empty)
    listener_sets: Mapping[Key, ListenerSet] = dataclasses.field(default_factory=_empty)
    backend_tls_policies: Mapping[Key, BackendTLSPolicy] = dataclasses.field(default_factory=_empty)
    config_maps: Mapping[Key, ConfigMap] = dataclasses.field(default_factory=_empty)
    # kgateway extension kinds (docs/kgateway-api.md)
    route_policies: Mapping[Key, Any] = dataclasses.field(default_factory=_empty)
    traffic_policies: Mapping[Key, Any] = dataclasses.field(default_factory=_empty)
    direct_responses: Mapping[Key, Any] = dataclasses.field(default_factory=_empty)
    backends: Mapping[Key, Any] = dataclasses.field(default_factory=_empty)
    http_listener_policies: Mapping[Key, Any] = dataclasses.field(default_factory=_empty)
    listener_policies: Mapping[Key, Any] = dataclasses.field(default_factory=_empty)
    gateway_parameters: Mapping[Key, Any] = dataclasses.field(default_factory=_empty)
    backend_config_policies: Mapping[Key, Any] = dataclasses.field(default_factory=_empty)
    gateway_extensions: Mapping[Key, Any] = dataclasses.field(default_factory=_empty)
    invalid: tuple[InvalidObject, ...] = ()
    # (kind, ns, name) -> "file" (messages)
    origins: Mapping[tuple[str, str, str], str] = dataclasses.field(default_factory=_empty)

    @classmethod
    def from_objects(cls, objects: Iterable[Mapping[str, Any]],
                     origin: str = "") -> tuple[Resources, list[SourceError]]:
        """Build a snapshot from plain dicts (e.g. what a Kubernetes list/watch returns)."""
        builder = ResourcesBuilder()
        errors: list[SourceError] = []
        for index, obj in enumerate(objects):
            errors.extend(builder.add(obj, file=origin, doc_index=index))
        return builder.build(), errors

    def namespace_labels(self, namespace: str) -> dict[str, str]:
        """Namespaces exist implicitly with the label the API server sets; a Namespace object adds labels."""
        labels = {NAMESPACE_NAME_LABEL: namespace}
        ns = self.namespaces.get(("", namespace))
        if ns is not None:
            labels = {**ns.metadata.labels, NAMESPACE_NAME_LABEL: namespace}
        return labels

    def endpoint_slices_for(self, namespace: str, service: str) -> list[EndpointSlice]:
        index = self.__dict__.get("_slice_index")
        if index is None:  # built lazily once; the snapshot is immutable so the cache never goes stale
            index = {}
            for (ns, _), es in self.endpoint_slices.items():
                svc = es.metadata.labels.get(SERVICE_NAME_LABEL)
                if svc:
                    index.setdefault((ns, svc), []).append(es)
            object.__setattr__(self, "_slice_index", index)
        return index.get((namespace, service), [])


_FIELDS = {
    "GatewayClass": "gateway_classes", "Gateway": "gateways", "HTTPRoute": "http_routes",
    "GRPCRoute": "grpc_routes", "TLSRoute": "tls_routes", "TCPRoute": "tcp_routes", "UDPRoute": "udp_routes",
    "ReferenceGrant": "reference_grants", "Service": "services", "EndpointSlice": "endpoint_slices",
    "Namespace": "namespaces", "Secret": "secrets",
    "ListenerSet": "listener_sets", "BackendTLSPolicy": "backend_tls_policies", "ConfigMap": "config_maps",
    "RoutePolicy": "route_policies", "TrafficPolicy": "traffic_policies", "DirectResponse": "direct_responses",
    "Backend": "backends", "HTTPListenerPolicy": "http_listener_policies", "ListenerPolicy": "listener_policies",
    "GatewayParameters": "gateway_parameters", "BackendConfigPolicy": "backend_config_policies",
    "GatewayExtension": "gateway_extensions",
}


def format_loc(loc: Iterable[Any]) -> str:
    """('spec', 'rules', 0, 'backendRefs', 1, 'port') -> 'spec.rules[0].backendRefs[1].port'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


LineLookup = Any  # callable (loc tuple) -> (line, column) | None


@dataclasses.dataclass(frozen=True, eq=False)
class Validated:
    """What one input document turned into, independently of every other document, so a source can cache
    it per file and re-validate only what changed. Duplicates are resolved later, by `ResourcesBuilder.accept`,
    because which copy wins depends on the order of all documents."""

    errors: tuple[SourceError, ...] = ()
    invalid: InvalidObject | None = None
    kind: str = ""
    key: Key = ("", "")
    obj: KubeObject | None = None
    # Renders the "duplicate" error for this object, given where the first copy came from. Lazy because
    # locating metadata.name may need the YAML node tree, which is only built when an error needs a line.
    duplicate: Any = None


def validate_object(obj: Any, *, file: str = "", doc_index: int = 0, lines: LineLookup = None) -> list[Validated]:
    """Validate one decoded document (a `v1` List expands to its items); pure, so results can be reused."""

    def err(message: str, loc: tuple = (), kind: str = "", name: str = "") -> SourceError:
        found = lines(loc) if lines else None
        line, col = found if found else (None, None)
        return SourceError(file=file, message=message, doc_index=doc_index, line=line, column=col,
                           field=format_loc(loc), kind=kind, name=name)

    if obj is None:
        return []  # an empty document
    if not isinstance(obj, Mapping):
        return [Validated((err(f"expected a Kubernetes object (a mapping), got {type(obj).__name__}"),))]
    api_version, kind = obj.get("apiVersion"), obj.get("kind")
    if not isinstance(api_version, str) or not api_version:
        return [Validated((err("Field required", ("apiVersion",)),))]
    if not isinstance(kind, str) or not kind:
        return [Validated((err("Field required", ("kind",)),))]
    if kind.endswith("List") and api_version == "v1" and isinstance(obj.get("items"), list):
        out: list[Validated] = []
        for i, item in enumerate(obj["items"]):
            sub = (lambda loc, i=i: lines(("items", i, *loc))) if lines else None
            out.extend(validate_object(item, file=file, doc_index=doc_index, lines=sub))
        return out
    model = MODELS.get((api_version, kind))
    if model is None:
        if (api_version.rpartition("/")[0], kind) in BY_KIND_GROUP:
            return [Validated((err(f"apiVersion {api_version} is not supported for {kind}", ("apiVersion",), kind),))]
        return []  # a kind kgw does not read: ignored, as the issue asks
    meta = given_meta if isinstance(given_meta := obj.get("metadata"), Mapping) else {}
    raw_name = given_name if isinstance(given_name := meta.get("name"), str) else ""
    namespace = ""
    if model.NAMESPACED:
        namespace = given_ns if isinstance(given_ns := meta.get("namespace"), str) else "default"
    display = f"{namespace}/{raw_name}" if namespace else raw_name
    try:
        parsed = model.model_validate(obj)
    except ValidationError as exc:
        errors = tuple(err(_message(e, kind), tuple(e["loc"]), kind, display) for e in exc.errors(include_url=False))
        return [Validated(errors, InvalidObject(api_version, kind, namespace, raw_name, file, errors, obj))]

    def duplicate(first: str) -> SourceError:
        return err(f"duplicate {kind} (first defined in {first or 'an earlier document'}); ignored",
                   ("metadata", "name"), kind, display)

    key = (parsed.namespace if model.NAMESPACED else "", parsed.name)
    return [Validated(kind=kind, key=key, obj=parsed, duplicate=duplicate)]


class ResourcesBuilder:
    """Accumulates objects; the first object with a given kind/namespace/name wins, later ones are errors."""

    def __init__(self) -> None:
        self._objs: dict[str, dict[Key, KubeObject]] = {f: {} for f in _FIELDS.values()}
        self._invalid: list[InvalidObject] = []
        self._origins: dict[tuple[str, str, str], str] = {}

    def add(self, obj: Any, *, file: str = "", doc_index: int = 0, lines: LineLookup = None) -> list[SourceError]:
        out: list[SourceError] = []
        for v in validate_object(obj, file=file, doc_index=doc_index, lines=lines):
            out.extend(self.accept(v, file))
        return out

    def accept(self, v: Validated, file: str) -> list[SourceError]:
        """Take one validated document (in input order); returns its errors, including being a duplicate."""
        if v.invalid is not None:
            self._invalid.append(v.invalid)
        if v.obj is None:
            return list(v.errors)
        bucket = self._objs[_FIELDS[v.kind]]
        if v.key in bucket:
            return [v.duplicate(self._origins.get((v.kind, *v.key), ""))]
        bucket[v.key] = v.obj
        self._origins[(v.kind, *v.key)] = file
        return []

    def build(self) -> Resources:
        fields = {name: _freeze(objs) for name, objs in self._objs.items()}
        invalid = tuple(sorted(self._invalid, key=lambda o: (o.kind, o.namespace, o.name, o.file)))
        return Resources(**fields, invalid=invalid, origins=_freeze(self._origins))


def _message(error: Mapping[str, Any], kind: str) -> str:
    if error["type"] == "extra_forbidden":
        return unsupported.message(kind, error["loc"])
    msg = str(error["msg"])
    # pydantic prefixes messages raised by our CEL-equivalent validators with "Value error, ".
    return msg.removeprefix("Value error, ")
