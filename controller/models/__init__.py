"""Pydantic v2 models of the kinds kgw reads. `MODELS` maps (apiVersion, kind) to the model class."""
from __future__ import annotations

from .backendconfig import BackendConfigPolicy
from .backendtlspolicy import BackendTLSPolicy
from .core import (
    NAMESPACE_NAME_LABEL,
    SERVICE_NAME_LABEL,
    ConfigMap,
    Endpoint,
    EndpointSlice,
    Namespace,
    Secret,
    Service,
    ServicePort,
)
from .gateway import GATEWAY_GROUP, Gateway, GatewayClass, Listener, ReferenceGrant
from .grpcroute import GRPCRoute
from .httproute import HTTPBackendRef, HTTPRoute, HTTPRouteFilter, HTTPRouteRule, ParentReference, RouteMatch
from .kgateway import KGW_API, KGW_GROUP, DirectResponse, RoutePolicy, TrafficPolicy
from .kgateway_infra import Backend, GatewayParameters, HTTPListenerPolicy, ListenerPolicy
from .l4route import L4_ROUTES, L4BackendRef, L4RouteSpec, TCPRoute, TLSRoute, UDPRoute
from .listenerset import ListenerSet
from .meta import KubeObject, LabelSelector, ObjectMeta
from .security import GatewayExtension

# kgateway's extension kinds (gateway.kgateway.dev/v1alpha1); crdgen renders their CRDs.
KGATEWAY_KINDS: tuple[type[KubeObject], ...] = (
    RoutePolicy, TrafficPolicy, DirectResponse, Backend, HTTPListenerPolicy, ListenerPolicy, GatewayParameters,
    BackendConfigPolicy, GatewayExtension,
)

KINDS: tuple[type[KubeObject], ...] = (
    GatewayClass, Gateway, ListenerSet, HTTPRoute, GRPCRoute, *L4_ROUTES, ReferenceGrant, BackendTLSPolicy,
    Service, EndpointSlice, Namespace, Secret, ConfigMap, *KGATEWAY_KINDS,
)
# Every route kind translate attaches to Gateway listeners (and reports a status for, per parentRef).
ROUTE_KINDS: tuple[str, ...] = ("HTTPRoute", "GRPCRoute", *(m.KIND for m in L4_ROUTES))
MODELS: dict[tuple[str, str], type[KubeObject]] = {(v, m.KIND): m for m in KINDS for v in m.API_VERSIONS}
# kind -> model, to recognise "a kind we read, at an apiVersion we do not serve"
BY_KIND_GROUP: dict[tuple[str, str], type[KubeObject]] = {
    (m.API_VERSIONS[0].rpartition("/")[0], m.KIND): m for m in KINDS
}

__all__ = [
    "Backend", "BackendConfigPolicy", "ConfigMap", "DirectResponse", "GatewayExtension", "GatewayParameters",
    "HTTPListenerPolicy", "KGATEWAY_KINDS",
    "KGW_API", "KGW_GROUP",
    "L4BackendRef", "L4RouteSpec", "L4_ROUTES", "ListenerPolicy", "ROUTE_KINDS", "RoutePolicy", "TCPRoute", "TLSRoute",
    "TrafficPolicy", "UDPRoute",
    "BY_KIND_GROUP", "BackendTLSPolicy", "ConfigMap", "Endpoint", "EndpointSlice", "GATEWAY_GROUP", "GRPCRoute",
    "Gateway", "GatewayClass", "HTTPBackendRef", "HTTPRoute", "HTTPRouteFilter", "HTTPRouteRule", "KINDS",
    "KubeObject", "LabelSelector", "Listener", "ListenerSet", "MODELS", "NAMESPACE_NAME_LABEL", "Namespace",
    "ObjectMeta", "ParentReference", "ReferenceGrant", "RouteMatch",
    "SERVICE_NAME_LABEL", "Secret", "Service", "ServicePort",
]
