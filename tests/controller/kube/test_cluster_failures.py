"""Cluster mode when things go wrong in the middle of work: the leader dies during a burst of edits, the API
server restarts during one, the controller falls so far behind that its watches answer 410 Gone, and 1,000
HTTPRoutes arrive at once. Every time, no edit is lost: the served configuration and every status converge.
(A controller restarted while a broken policy exists is in tests/controller/kgateway/test_kgateway_e2e.py.)"""
from __future__ import annotations

import contextlib
import os
import signal
import time

import pytest

from kgw_controller import echo
from kgw_controller.kube import kinds
from kgw_controller.kube.api import ApiError
from tests.support.apiserver import free_port
from tests.support.chart import install as install_chart
from tests.support.kubehelp import apply, get, kind_of, wait_for
from tests.support.manifests import gateway_yaml, service_yaml
from tests.support.modes import CONTROLLER_NAMESPACE, ClusterMode, server_docs
from tests.support.procs import Controller

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]
NS = "kgw-failures"
LEASE = kind_of({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease"})


def gateway(name: str, port: int, backend_port: int) -> str:
    return gateway_yaml([("http", port, "HTTP")], name=name, namespace=NS, gateway_class=name) + "---\n" \
        + service_yaml("echo", backend_port, namespace=NS)


def route(gw: str, name: str, path: str) -> dict:
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
            "metadata": {"name": name, "namespace": NS},
            "spec": {"parentRefs": [{"name": gw}], "rules": [
                {"matches": [{"path": {"type": "PathPrefix", "value": path}}],
                 "backendRefs": [{"name": "echo", "port": 80}]}]}}


def routes_yaml(gw: str, paths: dict[str, str]) -> str:
    import yaml
    return "---\n".join(yaml.safe_dump(route(gw, name, path)) for name, path in paths.items())


def accepted_routes(api, gw: str) -> set[str]:
    """Names of the HTTPRoutes whose written status says our controller accepted them on `gw`."""
    out = set()
    for item in api.get(kinds.HTTP_ROUTE.path(NS))["items"]:
        for parent in (item.get("status") or {}).get("parents") or []:
            conds = {c["type"]: c["status"] for c in parent["conditions"]}
            if parent["parentRef"]["name"] == gw and conds.get("Accepted") == "True":
                out.add(item["metadata"]["name"])
    return out


def status_code(port: int, path: str) -> int:
    import http.client
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=3)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        resp.read()
        return resp.status
    except OSError:
        return 0
    finally:
        conn.close()


def apply_retrying(api, obj: dict, timeout: float = 60) -> None:
    """Our own writes wait out the API server being away, as `kubectl apply` retried by a user would."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            apply(api, obj)
            return
        except ApiError as e:
            # 404: a restarted API server serves CRD kinds (HTTPRoute) only once it has read the CRDs again
            if e.status not in (0, 404, 429, 500, 503, 504) or time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@pytest.fixture
def backend():
    server = echo.start_in_thread("127.0.0.1", 0)
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.fixture
def cluster(apiserver, tmp_path, backend):
    """ClusterMode (controller + local Envoy) with one Gateway; its listener port is returned as `.port`."""
    port = free_port()
    mode = ClusterMode(tmp_path / "cluster", apiserver, port_offset=0, identity="failures")
    mode.port = port
    try:
        mode.write("gateway.yaml", gateway("fail", port, backend))
        mode.start()
        yield mode
    finally:
        mode.close()


def test_leader_killed_mid_burst_loses_no_edit(apiserver, api, tmp_path, backend):
    """Two replicas as the chart's ServiceAccount; the Lease holder is SIGKILLed (no clean release) after a
    third of a burst of 30 new HTTPRoutes; the other takes over and every route ends up served and reported."""
    for ns in (NS, CONTROLLER_NAMESPACE):
        apply(api, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
    install_chart(api, CONTROLLER_NAMESPACE)
    gw = "handover"
    for doc in server_docs(gateway(gw, free_port(), backend), api.has_api("discovery.k8s.io/v1", "endpointslices")):
        apply(api, doc)
    replicas = {n: Controller(tmp_path, apiserver.controller_kubeconfig, n) for n in ("burst-a", "burst-b")}
    names = [f"r{i:02d}" for i in range(30)]
    try:
        for c in replicas.values():
            wait_for(c.ready, 60, f"{c.identity} ready")
        holder = wait_for(lambda: (get(api, LEASE, CONTROLLER_NAMESPACE, "kgw-controller") or {})
                          .get("spec", {}).get("holderIdentity") in replicas
                          and get(api, LEASE, CONTROLLER_NAMESPACE, "kgw-controller")["spec"]["holderIdentity"],
                          30, "a Lease holder among the replicas")
        survivor = next(n for n in replicas if n != holder)
        for i, name in enumerate(names):
            if i == 10:
                replicas[holder].stop(kill=True)
            apply(api, route(gw, name, f"/{name}"))
        wait_for(lambda: accepted_routes(api, gw) >= set(names), 60, "every route's status written")
        lease = get(api, LEASE, CONTROLLER_NAMESPACE, "kgw-controller")["spec"]
        assert lease["holderIdentity"] == survivor and lease["leaseTransitions"] >= 1
        doc = replicas[survivor].status()
        served = {o["name"] for o in doc["objects"] if o["kind"] == "HTTPRoute" and o["namespace"] == NS}
        assert served >= set(names)
        assert doc["gateways"][f"{NS}/{gw}"]  # the survivor serves the Gateway's xDS
    finally:
        for c in replicas.values():
            c.stop()
        for name in names:
            with contextlib.suppress(ApiError):
                api.request("DELETE", kinds.HTTP_ROUTE.path(NS, name))
        api.request("DELETE", kinds.GATEWAY.path(NS, gw))


def test_api_server_restart_mid_burst(cluster, apiserver, api):
    """Routes are edited while the API server is killed and restarted: edits made before, during (retried by
    the client) and after all reach Envoy."""
    import threading
    paths = {f"m{i}": f"/before{i}" for i in range(6)}
    cluster.write("routes.yaml", routes_yaml("fail", paths))
    cluster.settle()
    server_down = threading.Event()
    failures: list = []

    def burst():  # the edits go on while the server is away; ours wait it out (a thread: the server must be
        try:      # started by the test's own thread, which its parent-death signal is tied to)
            for i in range(6):
                if i == 3:
                    apiserver.kill_apiserver()
                    server_down.set()
                paths[f"m{i}"] = f"/after{i}"
                apply_retrying(api, route("fail", f"m{i}", f"/after{i}"))
        except Exception as e:  # noqa: BLE001 - reported by the assertion below
            failures.append(e)
            server_down.set()

    writer = threading.Thread(target=burst)
    writer.start()
    server_down.wait(60)
    time.sleep(1.0)
    apiserver.start_apiserver()
    writer.join(90)
    assert not failures and not writer.is_alive(), failures
    cluster.write("routes.yaml", routes_yaml("fail", paths))  # tracks the final revisions for settle()
    cluster.settle(timeout=90)
    for i in range(6):
        assert status_code(cluster.port, f"/after{i}") == 200
        assert status_code(cluster.port, f"/before{i}") == 404
    assert accepted_routes(api, "fail") >= set(paths)


def test_watch_410_gone_during_a_burst_relists_and_converges(cluster, apiserver, api):
    """The controller is frozen (SIGSTOP) while a burst of edits lands and etcd compacts its history; the
    API server restarts, so every watch must resume from a resourceVersion that no longer exists: 410 Gone,
    relist, and the served config is the newest."""
    paths = {f"g{i}": f"/v1/{i}" for i in range(5)}
    cluster.write("routes.yaml", routes_yaml("fail", paths))
    cluster.settle()
    relists_before = cluster.admin("/status")[1]["watch"]["HTTPRoute"]["relists"]
    pid = cluster.controller.proc.pid
    os.kill(pid, signal.SIGSTOP)
    try:
        for i in range(5):
            paths[f"g{i}"] = f"/v2/{i}"
            apply(api, route("fail", f"g{i}", f"/v2/{i}"))
        apiserver.compact()
        apiserver.kill_apiserver()
        apiserver.start_apiserver()
    finally:
        os.kill(pid, signal.SIGCONT)
    for i in range(5, 8):  # the burst goes on after the controller wakes up
        paths[f"g{i}"] = f"/v2/{i}"
    cluster.write("routes.yaml", routes_yaml("fail", paths))
    cluster.settle(timeout=90)
    for i in range(8):
        assert status_code(cluster.port, f"/v2/{i}") == 200, i
    assert status_code(cluster.port, "/v1/0") == 404
    assert cluster.admin("/status")[1]["watch"]["HTTPRoute"]["relists"] > relists_before


def test_a_thousand_routes_at_once_converge(cluster, api):
    names = {f"k{i:04d}": f"/k{i:04d}" for i in range(1000)}
    t0 = time.monotonic()
    cluster.write("routes.yaml", routes_yaml("fail", names))
    cluster.settle(timeout=180)
    elapsed = time.monotonic() - t0
    assert accepted_routes(api, "fail") >= set(names)
    for name in ("k0000", "k0500", "k0999"):
        assert status_code(cluster.port, f"/{name}") == 200
    print(f"1,000 HTTPRoutes applied, translated, served and every status written in {elapsed:.1f} s")
