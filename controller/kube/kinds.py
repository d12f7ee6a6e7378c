"""Every kind the translator reads, as API resources to list and watch."""
from __future__ import annotations

from ..crdgen import plural
from ..models import GATEWAY_GROUP, KGATEWAY_KINDS, KGW_API
from .api import Kind

GATEWAY_CLASS = Kind(GATEWAY_GROUP, "v1", "gatewayclasses", "GatewayClass", namespaced=False)
GATEWAY = Kind(GATEWAY_GROUP, "v1", "gateways", "Gateway")
HTTP_ROUTE = Kind(GATEWAY_GROUP, "v1", "httproutes", "HTTPRoute")
# v1beta1 is served by every Gateway API release that has ReferenceGrant, v1 only by recent ones.
REFERENCE_GRANT = Kind(GATEWAY_GROUP, "v1beta1", "referencegrants", "ReferenceGrant")
SERVICE = Kind("", "v1", "services", "Service")
NAMESPACE = Kind("", "v1", "namespaces", "Namespace", namespaced=False)
SECRET = Kind("", "v1", "secrets", "Secret")
ENDPOINT_SLICE_V1 = Kind("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice")
# Kubernetes < 1.21 (the 1.20 test server among them) serves EndpointSlices only as v1beta1.
ENDPOINT_SLICE_V1BETA1 = Kind("discovery.k8s.io", "v1beta1", "endpointslices", "EndpointSlice")

_KGW_GROUP, _KGW_VERSION = KGW_API.split("/")
KGATEWAY = tuple(Kind(_KGW_GROUP, _KGW_VERSION, plural(m.KIND), m.KIND) for m in KGATEWAY_KINDS)
GATEWAY_PARAMETERS = next(k for k in KGATEWAY if k.kind == "GatewayParameters")

# What the source watches; EndpointSlice is resolved against discovery at start (v1, else v1beta1).
WATCHED: tuple[Kind, ...] = (GATEWAY_CLASS, GATEWAY, HTTP_ROUTE, REFERENCE_GRANT, SERVICE, NAMESPACE, SECRET,
                             ENDPOINT_SLICE_V1, *KGATEWAY)

BY_KIND = {k.kind: k for k in WATCHED}


def to_v1_endpoint_slice(obj: dict) -> dict:
    """v1beta1 -> v1: same shape except `topology` (v1 has nodeName/zone fields instead)."""
    out = {**obj, "apiVersion": "discovery.k8s.io/v1"}
    eps = []
    for ep in obj.get("endpoints") or []:
        ep = dict(ep)
        topo = ep.pop("topology", None) or {}
        if "kubernetes.io/hostname" in topo and "nodeName" not in ep:
            ep["nodeName"] = topo["kubernetes.io/hostname"]
        if "topology.kubernetes.io/zone" in topo:
            ep["zone"] = topo["topology.kubernetes.io/zone"]
        eps.append(ep)
    if "endpoints" in obj:
        out["endpoints"] = eps
    return out
