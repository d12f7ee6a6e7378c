"""Pydantic v2 models of the kinds kgw reads. `MODELS` maps (apiVersion, kind) to the model class."""
from __future__ import annotations

from .backendconfig import BackendConfigPolicy
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
from .meta import KubeObject, LabelSelector, ObjectMeta
from .security import GatewayExtension

# kgateway's extension kinds (gateway.kgateway.dev/v1alpha1); crdgen renders their CRDs.
KGATEWAY_KINDS: tuple[type[KubeObject], ...] = (
    RoutePolicy, TrafficPolicy, DirectResponse, Backend, HTTPListenerPolicy, ListenerPolicy, GatewayParameters,
    BackendConfigPolicy, GatewayExtension,
)

KINDS: tuple[type[KubeObject], ...] = (
    GatewayClass, Gateway, HTTPRoute, GRPCRoute, ReferenceGrant, Service, EndpointSlice, Namespace, Secret,
    ConfigMap, *KGATEWAY_KINDS,
)
MODELS: dict[tuple[str, str], type[KubeObject]] = {(v, m.KIND): m for m in KINDS for v in m.API_VERSIONS}
# kind -> model, to recognise "a kind we read, at an apiVersion we do not serve"
BY_KIND_GROUP: dict[tuple[str, str], type[KubeObject]] = {
    (m.API_VERSIONS[0].rpartition("/")[0], m.KIND): m for m in KINDS
}

__all__ = [
    "Backend", "BackendConfigPolicy", "ConfigMap", "DirectResponse", "GatewayExtension", "GatewayParameters",
    "HTTPListenerPolicy", "KGATEWAY_KINDS",
    "KGW_API", "KGW_GROUP",
    "ListenerPolicy", "RoutePolicy", "TrafficPolicy",
    "BY_KIND_GROUP", "Endpoint", "EndpointSlice", "GATEWAY_GROUP", "GRPCRoute", "Gateway", "GatewayClass",
    "HTTPBackendRef", "HTTPRoute", "HTTPRouteFilter", "HTTPRouteRule", "KINDS", "KubeObject", "LabelSelector",
    "Listener", "MODELS", "NAMESPACE_NAME_LABEL", "Namespace", "ObjectMeta", "ParentReference", "ReferenceGrant",
    "RouteMatch",
    "SERVICE_NAME_LABEL", "Secret", "Service", "ServicePort",
]
