"""backendRef (and RequestMirror backendRef) -> cluster, through a registry keyed by (group, kind).

Core `Service` is built in; other kinds (e.g. kgateway `Backend`) register a resolver in `BACKEND_KINDS`.
A resolver returns a `ResolvedBackend` or raises `ExtensionRefError(reason, message)`; the reasons are the
Gateway API ResolvedRefs reasons (InvalidKind, RefNotPermitted, BackendNotFound).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..models import ServicePort
from . import conditions as c
from .extensions import ExtensionRefError, RouteContext

ClusterKey = tuple[str, str, int]  # (namespace, service, port)
# Service appProtocol values that mean "speak HTTP/2 without TLS" (Gateway API / Kubernetes standard names).
H2C_APP_PROTOCOLS = {"kubernetes.io/h2c", "grpc", "http2"}
WEBSOCKET_APP_PROTOCOLS = {"kubernetes.io/ws"}


@dataclass(frozen=True)
class ResolvedBackend:
    cluster: str
    key: ClusterKey | None = None  # a Service port cluster (EDS from its EndpointSlices)
    port: ServicePort | None = None
    http2: bool = False
    websocket: bool = False


def cluster_name(key: ClusterKey) -> str:
    return f"{key[0]}/{key[1]}/{key[2]}"


def _service(ref, ctx: RouteContext) -> ResolvedBackend:
    target_ns = ref.namespace or ctx.namespace
    if target_ns != ctx.namespace and not ctx.grants.allows(ctx.namespace, ctx.kind, target_ns, "Service", ref.name):
        raise ExtensionRefError(c.R_REF_NOT_PERMITTED, f"Service {target_ns}/{ref.name} is in another namespace "
                                                       f"and no ReferenceGrant allows it")
    svc = ctx.resources.services.get((target_ns, ref.name))
    if svc is None:
        raise ExtensionRefError(c.R_BACKEND_NOT_FOUND, f"Service {target_ns}/{ref.name} not found")
    # A Service may serve one port number over TCP and UDP (DNS): the route's protocol picks the port.
    port = next((p for p in svc.spec.ports if p.port == ref.port and p.protocol == ctx.protocol), None)
    if port is None:
        which = "" if ctx.protocol == "TCP" else f"{ctx.protocol} "
        raise ExtensionRefError(c.R_BACKEND_NOT_FOUND, f"Service {target_ns}/{ref.name} has no {which}port {ref.port}")
    key = (target_ns, ref.name, port.port)
    app = port.app_protocol or ""
    # UDP ports get names of their own: a cluster and an endpoint cache entry per (port, protocol)
    name = cluster_name(key) + ("" if ctx.protocol == "TCP" else f"/{ctx.protocol.lower()}")
    return ResolvedBackend(name, key, port, app in H2C_APP_PROTOCOLS, app in WEBSOCKET_APP_PROTOCOLS)


BackendResolver = Callable[[object, RouteContext], ResolvedBackend]
BACKEND_KINDS: dict[tuple[str, str], BackendResolver] = {("", "Service"): _service}


def resolve_backend(ref, ctx: RouteContext) -> ResolvedBackend:
    resolver = BACKEND_KINDS.get((ref.group, ref.kind))
    if resolver is None:
        raise ExtensionRefError(c.R_INVALID_KIND, f"kind {ref.group or 'core'}/{ref.kind} is not supported")
    return resolver(ref, ctx)
