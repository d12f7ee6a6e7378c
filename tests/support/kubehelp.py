"""Small helpers for talking to the test API server with kgw's own REST layer (tests/ only)."""
from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path

import yaml

from kgw_controller.kube import kinds
from kgw_controller.kube.api import Api, ApiError, Kind, load_config

HERE = Path(__file__).parent
REPO = HERE.parents[1]
CRD = Kind("apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition", namespaced=False)

_BUILTIN = {
    ("v1", "Namespace"): Kind("", "v1", "namespaces", "Namespace", namespaced=False),
    ("v1", "Service"): kinds.SERVICE, ("v1", "Secret"): kinds.SECRET,
    ("v1", "ConfigMap"): Kind("", "v1", "configmaps", "ConfigMap"),
    ("v1", "ServiceAccount"): Kind("", "v1", "serviceaccounts", "ServiceAccount"),
    ("apps/v1", "Deployment"): Kind("apps", "v1", "deployments", "Deployment"),
    ("discovery.k8s.io/v1beta1", "EndpointSlice"): kinds.ENDPOINT_SLICE_V1BETA1,
    ("policy/v1beta1", "PodDisruptionBudget"): Kind("policy", "v1beta1", "poddisruptionbudgets", "PodDisruptionBudget"),
    ("coordination.k8s.io/v1", "Lease"): Kind("coordination.k8s.io", "v1", "leases", "Lease"),
}


def kind_of(obj: dict) -> Kind:
    key = (obj["apiVersion"], obj["kind"])
    if key in _BUILTIN:
        return _BUILTIN[key]
    k = kinds.BY_KIND[obj["kind"]]
    group, version = obj["apiVersion"].split("/")
    return Kind(group, version, k.plural, k.kind, k.namespaced)


def api_for(kubeconfig: Path) -> Api:
    return Api(load_config(str(kubeconfig)))


def apply(api: Api, obj: dict) -> dict:
    return api.apply(kind_of(obj), obj)


def apply_yaml(api: Api, text: str) -> None:
    for doc in yaml.safe_load_all(text):
        if doc:
            apply(api, doc)


def get(api: Api, kind: Kind, namespace: str | None, name: str) -> dict | None:
    try:
        return api.get(kind.path(namespace, name))
    except ApiError as e:
        if e.status == 404:
            return None
        raise


def create_crd(api: Api, doc: dict) -> None:
    """POST, not server-side apply: 1.20 drops the CEL `x-kubernetes-validations` of current CRDs on create,
    but its apply rejects them as undeclared fields. Already there (409) is fine."""
    try:
        api.request("POST", CRD.path(), body=doc)
    except ApiError as e:
        if e.status != 409:
            raise


def install_crds(api: Api, paths: list[Path]) -> None:
    names = []
    for p in paths:
        for doc in yaml.safe_load_all(p.read_text()):
            if doc and doc.get("kind") == "CustomResourceDefinition":
                create_crd(api, doc)
                names.append(doc["metadata"]["name"])
    for name in names:  # usable only once Established
        wait_for(lambda name=name: any(c["type"] == "Established" and c["status"] == "True" for c in
                                       (get(api, CRD, None, name) or {}).get("status", {}).get("conditions", [])),
                 30, f"CRD {name} established")


def wait_for(pred, timeout: float, what: str, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    last_exc = None
    while time.monotonic() < deadline:
        try:
            value = pred()
            if value:
                return value
        except (ApiError, OSError, KeyError, ValueError) as e:
            last_exc = e
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last error: {last_exc})")


def http_json(url: str, timeout: float = 3):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, json.loads(r.read() or b"null")


def condition(obj: dict | None, ctype: str, path=("status", "conditions")) -> dict | None:
    node = obj or {}
    for p in path:
        node = node.get(p, {}) if isinstance(node, dict) else {}
    for c in node or []:
        if c.get("type") == ctype:
            return c
    return None
