"""`helm install` of charts/kgw on a real node: the controller pods run the Dockerfile's image under the
chart's securityContext, pass their probes, and the ServiceAccount's RBAC (enforced: Node,RBAC) grants every
verb the controller uses."""
from __future__ import annotations

import json
import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest
from cluster_http import http_get
from cluster_kube import pod_ready
from cluster_manifests import RELEASE_NS

from kgw_controller.deployer.render import DEFAULT_IMAGE, DeployOptions, render
from kgw_controller.kube import kinds
from kgw_controller.kube.programs import PROGRAMS_CONFIGMAP

pytestmark = [pytest.mark.cluster, pytest.mark.slow, pytest.mark.timeout(900)]
SELECTOR = "app.kubernetes.io/name=kgw"
SA = f"system:serviceaccount:{RELEASE_NS}:kgw"


def controller_pods(cluster) -> list[dict]:
    return [p for p in cluster.items("pods", RELEASE_NS, SELECTOR) if not p["metadata"].get("deletionTimestamp")]


def test_controller_pods_are_ready_and_probed(cluster, kgw, net):
    pods = controller_pods(cluster)
    assert len(pods) == 2 and all(pod_ready(p) for p in pods), [p["status"] for p in pods]
    for pod in pods:
        (container,) = pod["spec"]["containers"]
        assert container["image"] == f"{kgw.repository}:{kgw.tag}"
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        (status,) = pod["status"]["containerStatuses"]
        assert status["restartCount"] == 0, status  # liveness never failed
        # What the kubelet probes answers the same from the pod network.
        ip = pod["status"]["podIP"]
        for path in ("/healthz", "/readyz"):
            resp = net.call(http_get, ip, 9095, path)
            assert resp[0] == 200, (pod["metadata"]["name"], path, resp)


def test_controller_runs_confined_as_the_chart_says(cluster, kgw):
    pod = controller_pods(cluster)[0]
    name = pod["metadata"]["name"]
    status = cluster.kubectl("exec", "-n", RELEASE_NS, name, "--", "cat", "/proc/1/status").stdout
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    assert fields["Seccomp"].strip() == "2", status  # RuntimeDefault filter
    assert int(fields["CapEff"].strip(), 16) == 0, status  # all capabilities dropped
    assert fields["NoNewPrivs"].strip() == "1", status
    assert fields["Uid"].split()[0] == "10001", status
    touch = cluster.kubectl("exec", "-n", RELEASE_NS, name, "--", "touch", "/probe", check=False)
    assert touch.returncode != 0 and "Read-only file system" in touch.stderr, touch


def test_proxy_image_the_deployer_names_is_on_the_node(cluster, kgw):
    # Pods never pull here: the default proxy image must be the local Envoy stand-in.
    refs = cluster.ctr("images", "ls", "-q").split()
    assert DEFAULT_IMAGE in refs, refs


def _can(cluster, verb: str, resource: str, namespace: str | None = None, subresource: str = "") -> bool:
    args = ["auth", "can-i", verb, resource, "--as", SA]
    if subresource:
        args += ["--subresource", subresource]
    args += ["-n", namespace] if namespace else ["--all-namespaces"]
    out = cluster.kubectl(*args, check=False)
    return out.stdout.strip() == "yes"


def _resource(kind) -> str:
    return f"{kind.plural}.{kind.group}" if kind.group else kind.plural


def _deployed_resources() -> list[str]:
    """Every resource the deployer renders for a Gateway, asked of the renderer itself."""
    gw = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
          "metadata": {"name": "g", "namespace": "n", "uid": "u"}, "spec": {"listeners": [{"port": 8080}]}}
    out = []
    for obj in render(gw, {}, {"tls.crt": "", "tls.key": "", "ca.crt": ""},
                      DeployOptions("kgw.kgw-system.svc", 9977, pdb_api_version="policy/v1beta1")):
        group = obj["apiVersion"].rsplit("/", 1)[0] if "/" in obj["apiVersion"] else ""
        plural = obj["kind"].lower() + "s"
        out.append(f"{plural}.{group}" if group else plural)
    return out


def test_rbac_grants_every_verb_the_controller_uses(cluster, kgw):
    """Asked of the real authorizer (SubjectAccessReview through Node,RBAC), derived from the code: a kind
    added to the watch list or the deployer without its verbs in the chart fails here, not for a user."""
    checks = [(verb, _resource(k), None, "") for k in kinds.WATCHED for verb in ("list", "watch")]
    checks += [("patch", _resource(k), None, "status") for k in kinds.STATUS_WRITTEN]
    checks += [(verb, r, None, "") for r in _deployed_resources() for verb in ("create", "patch", "list", "delete")]
    checks += [(verb, "leases.coordination.k8s.io", RELEASE_NS, "") for verb in ("get", "create", "update")]
    checks += [("get", "secrets", RELEASE_NS, "")]
    checks += [("get", f"configmaps/{PROGRAMS_CONFIGMAP}", RELEASE_NS, "")]  # the last good programs
    with ThreadPoolExecutor(8) as pool:
        allowed = list(pool.map(lambda c: _can(cluster, *c), checks))
    missing = [f"{verb} {res}{'/' + sub if sub else ''}{' in ' + ns if ns else ''}"
               for (verb, res, ns, sub), ok in zip(checks, allowed, strict=True) if not ok]
    assert not missing, f"the chart's RBAC lacks: {missing}"


def test_rbac_is_least_privilege(cluster, kgw):
    # Broader grants than the code needs also show up as a change here.
    assert not _can(cluster, "*", "*")
    assert not _can(cluster, "delete", "gateways.gateway.networking.k8s.io")
    assert not _can(cluster, "update", "leases.coordination.k8s.io", "default")
    assert not _can(cluster, "create", "pods")


def test_controller_status_endpoint_reports_leader_and_watches(cluster, kgw, net):
    states = []
    for pod in controller_pods(cluster):
        code, body = net.call(http_get, pod["status"]["podIP"], 9095, "/status")
        assert code == 200
        states.append(json.loads(body))
    assert sorted(s["leader"] for s in states) == [False, True], [(s["identity"], s["leader"]) for s in states]
    lease = cluster.get("lease", "kgw-controller", RELEASE_NS)
    leader = next(s["identity"] for s in states if s["leader"])
    assert lease["spec"]["holderIdentity"] == leader
    for s in states:
        assert all(w["errors"] == 0 for w in s["watch"].values()), s["watch"]


def test_the_cluster_has_no_way_out_and_leaves_the_host_network_alone(cluster, kgw):
    """Route lookups only (no packet is sent): nothing outside the namespace is reachable from it, and
    kube-proxy's rules exist only inside it."""
    lookup = subprocess.run(["ip", "-n", "kgwk8s", "route", "get", "192.0.2.1"], capture_output=True, text=True)
    assert lookup.returncode != 0 and "unreachable" in lookup.stderr.lower(), lookup
    links = subprocess.run(["ip", "-n", "kgwk8s", "-o", "link"], capture_output=True, text=True).stdout
    names = {line.split(":")[1].strip().split("@")[0] for line in links.splitlines()}
    assert names - {"lo", "cni0"} and all(n.startswith("veth") for n in names - {"lo", "cni0"}), names
    inside = subprocess.run(["nsenter", "--net=/run/netns/kgwk8s", "iptables-save"], capture_output=True, text=True)
    host = subprocess.run(["iptables-save"], capture_output=True, text=True)
    assert "KUBE-SERVICES" in inside.stdout
    assert "KUBE-" not in host.stdout
