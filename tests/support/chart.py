"""Render charts/kgw with a real helm (scripts/helm-fetch) and apply the result to the test API server."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import yaml

from kgw_controller.kube.api import Api, Kind
from tests.support.kubehelp import REPO, create_crd

CHART = REPO / "charts" / "kgw"
KINDS = {
    "ServiceAccount": Kind("", "v1", "serviceaccounts", "ServiceAccount"),
    "Service": Kind("", "v1", "services", "Service"),
    "Deployment": Kind("apps", "v1", "deployments", "Deployment"),
    "ClusterRole": Kind("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", namespaced=False),
    "ClusterRoleBinding": Kind("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding",
                               namespaced=False),
    "Role": Kind("rbac.authorization.k8s.io", "v1", "roles", "Role"),
    "RoleBinding": Kind("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding"),
}


def helm() -> str | None:
    cached = Path(os.environ.get("KGW_HELM_CACHE", Path.home() / ".cache/kgw/helm")) / "helm"
    return str(cached) if cached.exists() else shutil.which("helm")


def run_helm(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([helm(), *args], capture_output=True, text=True, timeout=60)


def render(namespace: str, *extra: str) -> list[dict]:
    out = run_helm("template", "kgw", str(CHART), "--namespace", namespace, "--include-crds", *extra)
    assert out.returncode == 0, out.stderr
    return [d for d in yaml.safe_load_all(out.stdout) if d]


def install(api: Api, namespace: str) -> list[dict]:
    """What `helm install` would create, applied with server-side apply (the Deployment never runs here)."""
    docs = render(namespace)
    for doc in sorted(docs, key=lambda d: d["kind"] != "CustomResourceDefinition"):
        if doc["kind"] == "CustomResourceDefinition":
            create_crd(api, doc)
            continue
        kind = KINDS[doc["kind"]]
        if kind.namespaced:
            doc["metadata"].setdefault("namespace", namespace)
        api.apply(kind, doc)
    return docs
