"""Every kind the translator reads, as API resources to list and watch — derived from the models translate
takes as input (`models.KINDS`, one `Resources` field each), so the watch list cannot drift from the
translator. tests/controller/kubeunit/test_kinds_rbac.py checks the chart's RBAC against these lists."""
from __future__ import annotations

from ..crdgen import plural
from ..models import GATEWAY_GROUP, KGW_GROUP, KINDS
from .api import Kind

# Watched at another served version than the model's first: v1beta1 ReferenceGrants are served by every
# Gateway API release that has the kind, v1 only by recent ones. EndpointSlice: see ENDPOINT_SLICE_V1BETA1.
_WATCH_VERSION = {"ReferenceGrant": "v1beta1"}


def _kind(model) -> Kind:
    group, _, version = model.API_VERSIONS[0].rpartition("/")
    return Kind(group, _WATCH_VERSION.get(model.KIND, version), plural(model.KIND), model.KIND,
                namespaced=model.NAMESPACED)


# What the source watches, in the translator's input order; EndpointSlice is resolved against discovery at
# start (v1, else v1beta1).
WATCHED: tuple[Kind, ...] = tuple(_kind(m) for m in KINDS)
BY_KIND = {k.kind: k for k in WATCHED}

# Kinds translate reports a status for, which the leader writes (status subresource, merge patch).
# ReferenceGrant has no status in the Gateway API; GatewayParameters problems are reported on the Gateways
# that use them, as kgateway does.
_NO_STATUS = {"ReferenceGrant", "GatewayParameters"}
STATUS_WRITTEN: tuple[Kind, ...] = tuple(k for k in WATCHED if k.group in (GATEWAY_GROUP, KGW_GROUP)
                                         and k.kind not in _NO_STATUS)

GATEWAY_CLASS, GATEWAY, HTTP_ROUTE = BY_KIND["GatewayClass"], BY_KIND["Gateway"], BY_KIND["HTTPRoute"]
GRPC_ROUTE, REFERENCE_GRANT = BY_KIND["GRPCRoute"], BY_KIND["ReferenceGrant"]
SERVICE, NAMESPACE, SECRET = BY_KIND["Service"], BY_KIND["Namespace"], BY_KIND["Secret"]
ENDPOINT_SLICE_V1 = BY_KIND["EndpointSlice"]
# Kubernetes < 1.21 (the 1.20 test server among them) serves EndpointSlices only as v1beta1.
ENDPOINT_SLICE_V1BETA1 = Kind("discovery.k8s.io", "v1beta1", "endpointslices", "EndpointSlice")
KGATEWAY = tuple(k for k in WATCHED if k.group == KGW_GROUP)
GATEWAY_PARAMETERS = BY_KIND["GatewayParameters"]


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
