"""Render the objects of one Gateway's proxy from the Gateway and its (merged) GatewayParameters spec.
Pure: the same inputs give the same objects, so unchanged Gateways are never re-applied."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..envoy import node_id
from ..envoy.args import ACCESS_LOG_FLUSH, settings_args
from ..proxyports import RESERVED, proxy_port
from .bootstrap import ADMIN_PORT, CERT_DIR, METRICS_PATH, METRICS_PORT, READY_PORT, proxy_bootstrap

DEFAULT_IMAGE = "docker.io/envoyproxy/envoy:v1.40.0"
# The kgw image (the controller's): its wheel holds the native module an init container copies out.
DEFAULT_KGW_IMAGE = "kgw:latest"
NATIVE_DIR = "/kgw-native"
MANAGED_BY = {"app.kubernetes.io/managed-by": "kgw"}
GATEWAY_LABEL = "gateway.networking.k8s.io/gateway-name"
DRAIN_SECONDS = 15
PROXY_UID = 10101
# The de facto convention Prometheus' kubernetes_sd relabelling (and most charts' scrape configs) reads;
# GatewayParameters podTemplate.extraAnnotations can override each of them.
SCRAPE_ANNOTATIONS = {"prometheus.io/scrape": "true", "prometheus.io/port": str(METRICS_PORT),
                      "prometheus.io/path": METRICS_PATH}


@dataclass(frozen=True)
class DeployOptions:
    xds_host: str
    xds_port: int
    pdb_api_version: str = "policy/v1"  # policy/v1beta1 before Kubernetes 1.21
    default_image: str = DEFAULT_IMAGE
    kgw_image: str = DEFAULT_KGW_IMAGE  # the chart passes the controller's own image


def labels_for(gateway_name: str) -> dict:
    return {**MANAGED_BY, "app.kubernetes.io/name": "kgw-proxy", "app.kubernetes.io/instance": gateway_name,
            GATEWAY_LABEL: gateway_name}


def _image(kube: dict, default: str) -> str:
    img = (kube.get("envoyContainer") or {}).get("image") or {}
    if not img:
        return default
    repo = img.get("repository") or "envoyproxy/envoy"
    ref = f"{img['registry']}/{repo}" if img.get("registry") else repo
    if img.get("digest"):
        return f"{ref}@{img['digest']}"
    return f"{ref}:{img.get('tag') or 'v1.40.0'}"


def _listener_ports(gateway: dict, extra_listeners: Sequence[tuple[int, str]]) -> list[dict]:
    """One entry per distinct listener port and transport (the Gateway's listeners, then its ListenerSets'
    (port, protocol) pairs; UDP listeners get UDP ports, and a TCP and a UDP listener may share a number): its
    Service port and the port the proxy serves it on. A port whose proxy port another listener port already took
    is left out, as the translator rejects that listener (PortUnavailable): the Service must not send its
    traffic to the other listener."""
    seen, taken, out = set(), set(), []
    own = [(lis.get("port"), lis.get("protocol")) for lis in gateway.get("spec", {}).get("listeners", [])]
    for port, declared in own + list(extra_listeners):
        protocol = "UDP" if declared == "UDP" else "TCP"
        if (port, protocol) in seen:
            continue
        seen.add((port, protocol))
        if (proxy_port(port), protocol) in taken or proxy_port(port) in RESERVED:
            continue
        taken.add((proxy_port(port), protocol))
        name = f"p{port}" if protocol == "TCP" else f"p{port}-udp"
        out.append({"name": name, "port": port, "target": proxy_port(port), "protocol": protocol})
    return out


def render(gateway: dict, params: dict, client_tls: dict, opts: DeployOptions,
           listener_set_ports: Sequence[tuple[int, str]] = ()) -> list[dict]:
    """Objects in apply order. `params` is a GatewayParameters spec (camelCase dict); `client_tls` the data of
    the xDS client Secret (tls.crt, tls.key, ca.crt; base64); `listener_set_ports` the (port, protocol) pairs of the
    listeners of the ListenerSets the Gateway allows."""
    meta = gateway["metadata"]
    ns, name = meta["namespace"], meta["name"]
    kube = params.get("kube") or {}
    # spec.infrastructure labels and annotations go on every object made for the Gateway and on its pods
    # (GatewayInfrastructurePropagation); kgw's own labels win a clash, the selectors depend on them.
    infra = gateway.get("spec", {}).get("infrastructure") or {}
    infra_labels, infra_annotations = infra.get("labels") or {}, infra.get("annotations") or {}
    labels = {**infra_labels, **labels_for(name)}
    owner = [{"apiVersion": gateway["apiVersion"], "kind": "Gateway", "name": name, "uid": meta["uid"],
              "controller": True}]

    def obj(api_version: str, kind: str, obj_name: str, extra_labels: dict | None = None,
            annotations: dict | None = None, **body) -> dict:
        meta = {"name": obj_name, "namespace": ns, "labels": {**(extra_labels or {}), **labels},
                "ownerReferences": owner}
        if annotations or infra_annotations:
            meta["annotations"] = {**infra_annotations, **(annotations or {})}
        return {"apiVersion": api_version, "kind": kind, "metadata": meta, **body}

    boot = proxy_bootstrap(ns, name, opts.xds_host, opts.xds_port)
    boot_text = json.dumps(boot, indent=1, sort_keys=True)
    ports = _listener_ports(gateway, listener_set_ports)
    container_env = [{"name": e["name"], "value": e.get("value", "")}
                     for e in (kube.get("envoyContainer") or {}).get("env", [])]
    bootcfg = (kube.get("envoyContainer") or {}).get("bootstrap") or {}
    args = ["-c", "/etc/envoy/envoy.json", "--service-node", node_id(ns, name), "--log-level",
            bootcfg.get("logLevel") or "info", "--drain-time-s", str(DRAIN_SECONDS), "--drain-strategy", "gradual",
            *settings_args(bootcfg.get("componentLogLevels"), bootcfg.get("concurrency")), *ACCESS_LOG_FLUSH]
    resources = (kube.get("envoyContainer") or {}).get("resources") or {}
    pod = kube.get("podTemplate") or {}
    svc_cfg = kube.get("service") or {}
    container = {
        "name": "envoy", "image": _image(kube, opts.default_image), "args": args,
        "ports": [{"name": p["name"], "containerPort": p["target"], "protocol": p["protocol"]} for p in ports]
        + [{"name": "ready", "containerPort": READY_PORT, "protocol": "TCP"},
           {"name": "metrics", "containerPort": METRICS_PORT, "protocol": "TCP"}],
        "env": container_env,
        "resources": {k: v for k, v in resources.items() if v},
        "readinessProbe": {"httpGet": {"path": "/ready", "port": READY_PORT}, "periodSeconds": 5,
                           "failureThreshold": 2},
        # Liveness only asks "does the process accept connections": a draining proxy must not be killed.
        "livenessProbe": {"tcpSocket": {"port": READY_PORT}, "initialDelaySeconds": 10, "periodSeconds": 10,
                          "failureThreshold": 3},
        # Graceful draining: fail readiness and drain listeners, then give clients time before SIGTERM.
        "lifecycle": {"preStop": {"exec": {"command": [
            "/bin/bash", "-c",
            f"exec 3<>/dev/tcp/127.0.0.1/{ADMIN_PORT} && "
            "printf 'POST /drain_listeners?graceful HTTP/1.0\\r\\n\\r\\n' >&3; "
            f"sleep {DRAIN_SECONDS}"]}}},
        "securityContext": {
            "allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "runAsNonRoot": True,
            "runAsUser": PROXY_UID, "runAsGroup": PROXY_UID, "privileged": False,
            "capabilities": {"drop": ["ALL"]},
        },
        "volumeMounts": [{"name": "bootstrap", "mountPath": "/etc/envoy", "readOnly": True},
                         {"name": "xds-tls", "mountPath": CERT_DIR, "readOnly": True},
                         {"name": "tmp", "mountPath": "/tmp"}],
    }
    checksum = hashlib.sha256((boot_text + json.dumps(client_tls, sort_keys=True)).encode()).hexdigest()[:16]
    replicas = (kube.get("deployment") or {}).get("replicas")
    deployment_spec: dict[str, Any] = {
        "selector": {"matchLabels": {"app.kubernetes.io/name": "kgw-proxy", "app.kubernetes.io/instance": name}},
        "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
        "template": {
            "metadata": {"labels": {**pod.get("extraLabels", {}), **labels},
                         "annotations": {**SCRAPE_ANNOTATIONS, **infra_annotations,
                                         **pod.get("extraAnnotations", {}),
                                         "kgw.dev/config-checksum": checksum}},
            "spec": {
                "serviceAccountName": name, "automountServiceAccountToken": False,
                "terminationGracePeriodSeconds": DRAIN_SECONDS + 15,
                "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"},
                                    "fsGroup": PROXY_UID},
                "containers": [container],
                "volumes": [{"name": "bootstrap", "configMap": {"name": f"{name}-bootstrap"}},
                            {"name": "xds-tls", "secret": {"secretName": f"{name}-xds-tls", "defaultMode": 0o440}},
                            {"name": "tmp", "emptyDir": {}}],
            }},
    }
    if replicas is not None:
        deployment_spec["replicas"] = replicas
    if params.get("dataPlane") == "Native":
        _native_module(deployment_spec["template"]["spec"], container, opts.kgw_image)
    service_ports = [{"name": p["name"], "port": p["port"], "targetPort": p["target"], "protocol": p["protocol"]}
                     for p in ports]
    return [
        obj("v1", "ServiceAccount", name, automountServiceAccountToken=False),
        obj("v1", "Secret", f"{name}-xds-tls", type="Opaque", data=client_tls),
        obj("v1", "ConfigMap", f"{name}-bootstrap", data={"envoy.json": boot_text}),
        obj("v1", "Service", name, svc_cfg.get("extraLabels"), svc_cfg.get("extraAnnotations"), **{"spec": {
            "type": svc_cfg.get("type") or "LoadBalancer", "selector": deployment_spec["selector"]["matchLabels"],
            "ports": service_ports}}),
        obj("apps/v1", "Deployment", name, spec=deployment_spec),
        obj(opts.pdb_api_version, "PodDisruptionBudget", name, spec={
            "maxUnavailable": 1, "selector": deployment_spec["selector"]}),
    ]


def merge_params(*specs: dict | None) -> dict:
    """Later specs override earlier ones key by key (GatewayClass parameters, then the Gateway's own)."""
    out: dict = {}
    for spec in specs:
        out = _deep_merge(out, spec or {})
    return out


def _deep_merge(a: dict, b: dict) -> dict:
    out = dict(a)
    for k, v in b.items():
        out[k] = _deep_merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def _native_module(pod: dict, envoy: dict, kgw_image: str) -> None:
    """dataPlane: Native. The module is a file Envoy loads by name; it cannot travel over xDS. An init
    container from the kgw image copies the module built for the node's CPU into an emptyDir that Envoy
    reads, and ENVOY_DYNAMIC_MODULES_SEARCH_PATH points Envoy at it (docs/data-plane.md, "Native")."""
    copy = ("import shutil, kgw_rules; "
            f"shutil.copy(kgw_rules.native_module_path(), '{NATIVE_DIR}/libkgw_rules.so')")
    pod["initContainers"] = [{
        "name": "kgw-native-module", "image": kgw_image, "command": ["python", "-c", copy],
        "volumeMounts": [{"name": "kgw-native", "mountPath": NATIVE_DIR}],
        "securityContext": {**envoy["securityContext"], "capabilities": {"drop": ["ALL"]}},
        "resources": {"requests": {"cpu": "10m", "memory": "32Mi"}, "limits": {"memory": "128Mi"}},
    }]
    pod["volumes"].append({"name": "kgw-native", "emptyDir": {"sizeLimit": "16Mi"}})
    envoy["volumeMounts"].append({"name": "kgw-native", "mountPath": NATIVE_DIR, "readOnly": True})
    envoy["env"].append({"name": "ENVOY_DYNAMIC_MODULES_SEARCH_PATH", "value": NATIVE_DIR})
