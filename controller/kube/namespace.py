"""Which namespace the controller keeps its own objects in (leader Lease, xDS CA Secret, last good programs).

Resolution, first found wins: `--namespace` > `$POD_NAMESPACE` > the in-cluster service account's namespace
file > the kubeconfig's current context's namespace > `default` (docs/kubernetes.md).
"""
from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

import kubernetes

from .api import ApiError

log = logging.getLogger("kgw.kube")

SERVICE_ACCOUNT_NAMESPACE = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")


def resolve_namespace(flag: str | None, environ: Mapping[str, str], kubeconfig: str | None,
                      sa_file: Path = SERVICE_ACCOUNT_NAMESPACE) -> tuple[str, str]:
    """(namespace, where it came from, for the log)."""
    if flag:
        return flag, "--namespace"
    if environ.get("POD_NAMESPACE"):
        return environ["POD_NAMESPACE"], "$POD_NAMESPACE"
    try:
        text = sa_file.read_text().strip()
        if text:
            return text, str(sa_file)
    except OSError:
        pass
    if kubeconfig:
        try:
            _, current = kubernetes.config.list_kube_config_contexts(config_file=kubeconfig)
            ns = ((current or {}).get("context") or {}).get("namespace")
            if ns:
                return ns, f"kubeconfig context {current.get('name')!r}"
        except (kubernetes.config.ConfigException, OSError, ValueError) as e:
            log.debug("kubeconfig %s: no context namespace (%s)", kubeconfig, e)
    return "default", "default"


def namespace_missing(error: ApiError) -> bool:
    """The API server's answer to creating an object in a namespace that does not exist."""
    details = error.body.get("details") if isinstance(error.body, dict) else None
    return error.status == 404 and isinstance(details, dict) and details.get("kind") == "namespaces"


def missing_namespace_message(namespace: str, source: str) -> str:
    return (f"namespace {namespace!r} (from {source}) does not exist; create it (kubectl create namespace "
            f"{namespace}) or choose another with --namespace or $POD_NAMESPACE. Waiting for it.")
