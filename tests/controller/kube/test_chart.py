"""The Helm chart: lint, render, validate against Kubernetes schemas, CRDs current, and accepted by a real
API server (applied in the cluster tests' setup, where the controller then runs with the chart's RBAC)."""
from __future__ import annotations

import json

import kubernetes_validate
import pytest

from tests.support.chart import CHART, helm, render, run_helm
from tests.support.kubehelp import REPO

pytestmark = pytest.mark.skipif(helm() is None, reason="helm missing: run scripts/helm-fetch")


def test_helm_lint_passes():
    out = run_helm("lint", str(CHART), "--strict")
    assert out.returncode == 0, out.stdout + out.stderr


def test_rendered_manifests_validate_against_kubernetes_schemas():
    docs = render("kgateway-system", "--set", "replicaCount=3")
    kinds = sorted({d["kind"] for d in docs})
    assert kinds == ["ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "Deployment", "Role",
                     "RoleBinding", "Service", "ServiceAccount"]
    for doc in docs:
        # strict: unknown fields are errors too. 1.30 schemas; the CRDs are validated by the API server.
        kubernetes_validate.validate(doc, "1.30.0", strict=True)
    dep = next(d for d in docs if d["kind"] == "Deployment")
    assert dep["spec"]["replicas"] == 3
    ctr = dep["spec"]["template"]["spec"]["containers"][0]
    assert ctr["securityContext"]["readOnlyRootFilesystem"] and ctr["readinessProbe"]["httpGet"]["path"] == "/readyz"


def test_rbac_grants_no_wildcards_and_no_secret_reads_beyond_need():
    docs = render("kgateway-system")
    for role in (d for d in docs if d["kind"] in ("ClusterRole", "Role")):
        for rule in role["rules"]:
            assert "*" not in rule["verbs"] and "*" not in rule["resources"], rule
            # Secrets: listed and watched (TLS certificates), never read one by one cluster-wide ("get").
            if "secrets" in rule["resources"] and role["kind"] == "ClusterRole":
                assert "get" not in rule["verbs"]


def test_chart_crds_are_the_generated_ones():
    chart = {p.name: p.read_text() for p in (CHART / "crds").glob("*.yaml")}
    repo = {p.name: p.read_text() for p in (REPO / "crds").glob("*.yaml")}
    assert chart == repo, "charts/kgw/crds is stale: cp crds/*.yaml charts/kgw/crds/"


def _grants(role: dict) -> dict[tuple[str, str, tuple], set[str]]:
    """(apiGroup, resource, resourceNames) -> verbs, merged over the role's rules."""
    out: dict = {}
    for rule in role["rules"]:
        for group in rule["apiGroups"]:
            for res in rule["resources"]:
                key = (group, res, tuple(rule.get("resourceNames") or ()))
                out.setdefault(key, set()).update(rule["verbs"])
    return out


def test_rbac_is_exactly_what_the_code_uses():
    """Derived from the code, so the watch list, the status writer, the deployer and the chart never drift:
    list+watch of every kind the translator reads, status patches of every kind it reports on, the deployer's
    objects, and in the controller's namespace the Lease, the CA Secret and the programs ConfigMap."""
    from kgw_controller.deployer.apply import managed_kinds
    from kgw_controller.kube import kinds
    from kgw_controller.kube.programs import PROGRAMS_CONFIGMAP
    from kgw_controller.leader import LEASE

    want: dict = {}
    for k in kinds.WATCHED:
        want.setdefault((k.group, k.plural, ()), set()).update({"list", "watch"})
    for k in kinds.STATUS_WRITTEN:
        want.setdefault((k.group, f"{k.plural}/status", ()), set()).add("patch")
    for k in managed_kinds("policy/v1"):
        want.setdefault((k.group, k.plural, ()), set()).update({"list", "create", "patch", "delete"})
    docs = render("kgateway-system")
    cluster_role = next(d for d in docs if d["kind"] == "ClusterRole")
    assert _grants(cluster_role) == want
    role = next(d for d in docs if d["kind"] == "Role")
    assert _grants(role) == {
        (LEASE.group, LEASE.plural, ()): {"get", "create", "update"},
        ("", "secrets", ()): {"get"},  # the xDS CA
        ("", "configmaps", (PROGRAMS_CONFIGMAP,)): {"get"},
    }


def test_monitors_are_off_by_default_and_select_what_the_deployer_renders():
    from kgw_controller.deployer.render import labels_for
    from kgw_controller.proxyports import METRICS_PATH

    assert not {"PodMonitor", "ServiceMonitor"} & {d["kind"] for d in render("kgateway-system")}
    docs = render("kgateway-system", "--set", "monitoring.podMonitor.enabled=true",
                  "--set", "monitoring.serviceMonitor.enabled=true",
                  "--set", "monitoring.podMonitor.labels.release=prom",
                  "--set", "monitoring.dashboard.enabled=true")
    pm = next(d for d in docs if d["kind"] == "PodMonitor")
    assert pm["apiVersion"] == "monitoring.coreos.com/v1" and pm["metadata"]["labels"]["release"] == "prom"
    assert pm["spec"]["namespaceSelector"] == {"any": True}
    # the selector matches every proxy pod the deployer renders, and the endpoint is its metrics port
    proxy_labels = labels_for("any-gateway")
    assert pm["spec"]["selector"]["matchLabels"].items() <= proxy_labels.items()
    (endpoint,) = pm["spec"]["podMetricsEndpoints"]
    assert (endpoint["port"], endpoint["path"]) == ("metrics", METRICS_PATH)
    sm = next(d for d in docs if d["kind"] == "ServiceMonitor")
    svc = next(d for d in docs if d["kind"] == "Service")
    assert sm["spec"]["selector"]["matchLabels"].items() <= svc["metadata"]["labels"].items()
    assert sm["spec"]["endpoints"][0]["port"] in {p["name"] for p in svc["spec"]["ports"]}
    assert sm["spec"]["endpoints"][0]["path"] == "/metrics"
    dash = next(d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"].endswith("-dashboard"))
    assert dash["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert json.loads(dash["data"]["kgw.json"]) == json.loads((CHART / "dashboards" / "kgw.json").read_text())
    for doc in docs:  # the core kinds still validate with the monitoring objects switched on
        if doc["kind"] in ("ConfigMap", "Service", "Deployment"):
            kubernetes_validate.validate(doc, "1.30.0", strict=True)
