"""Day 2 on a real node, under a steady load from inside the cluster's network namespace (every request
counted; the counts are printed at the end of the run): a rolling restart of the proxy Deployment and a
`helm upgrade` of the controller lose no request (readiness gates + preStop drain), killing the leading
controller pod hands the Lease over within its duration while proxies keep serving, killing the proxy's
process is survived by the Service, and deleting a Gateway removes its pods and objects. The tests share
one site (2 proxy replicas) and run in file order."""
from __future__ import annotations

import json
import os
import signal
import time

import pytest
from cluster_http import http_get
from cluster_kube import NETNS_PATH, REPO, pod_ready, wait_for
from cluster_loadgen import LoadGenerator
from cluster_manifests import RELEASE_NS, http_route
from cluster_site import close_site, open_site, report

from kgw_controller.deployer.render import labels_for

pytestmark = [pytest.mark.cluster, pytest.mark.slow, pytest.mark.timeout(900)]
NS = "site-day2"
RATE = 40  # requests per second, each on a new connection
LEASE_SECONDS, RENEW_SECONDS = 15, 5  # the controller's defaults (the chart sets neither)
CONTROLLERS = "app.kubernetes.io/name=kgw"


@pytest.fixture(scope="module")
def site(cluster, kgw, net):
    s = open_site(cluster, kgw, net, NS, replicas=2)
    yield s
    close_site(cluster, NS)


def load(site) -> LoadGenerator:
    return LoadGenerator(NETNS_PATH, site.address, site.port, "day2.example", rate=RATE)


def proxy_pods(cluster, site) -> list[dict]:
    return [p for p in cluster.items("pods", NS, f"gateway.networking.k8s.io/gateway-name={site.gateway}")
            if not p["metadata"].get("deletionTimestamp")]


def test_rolling_restart_of_the_proxy_loses_no_request(cluster, site):
    before = {p["metadata"]["name"] for p in proxy_pods(cluster, site)}
    with load(site) as gen:
        gen.wait_requests(50)
        t0 = time.monotonic()
        cluster.kubectl("rollout", "restart", f"deployment/{site.gateway}", "-n", NS)
        cluster.kubectl("rollout", "status", f"deployment/{site.gateway}", "-n", NS, "--timeout=300s",
                        timeout=320)
        # Old pods keep draining after the rollout reports done; keep the load on until they are gone.
        wait_for(lambda: not before & {p["metadata"]["name"] for p in cluster.items(
            "pods", NS, f"gateway.networking.k8s.io/gateway-name={site.gateway}")}, 180, "old proxy pods gone")
        took = time.monotonic() - t0
        gen.wait_requests(50)
    counts = gen.counts
    report(f"rolling restart of the proxy ({took:.0f} s until the old pods were gone): {counts.summary()}")
    after = {p["metadata"]["name"] for p in proxy_pods(cluster, site)}
    assert after and not after & before
    assert counts.failed_total == 0, counts.failures[:20]
    assert counts.ok >= RATE * took * 0.5, counts.summary()  # the rate held: the test measured something


def test_helm_upgrade_of_the_controller_loses_no_request(cluster, kgw, site, net):
    new_tag = f"{kgw.tag}-upgrade"
    cluster.ctr("images", "tag", "--force", f"{kgw.repository}:{kgw.tag}", f"{kgw.repository}:{new_tag}")
    old = {p["metadata"]["name"] for p in cluster.items("pods", RELEASE_NS, CONTROLLERS)}
    with load(site) as gen:
        gen.wait_requests(50)
        t0 = time.monotonic()
        cluster.helm("upgrade", kgw.name, str(REPO / "charts/kgw"), "-n", RELEASE_NS, "--reuse-values",
                     "--set", f"image.tag={new_tag}", "--wait", "--timeout", "240s", timeout=300)
        wait_for(lambda: not old & {p["metadata"]["name"] for p in cluster.items("pods", RELEASE_NS, CONTROLLERS)},
                 120, "old controller pods gone")
        took = time.monotonic() - t0
        # The proxies reconnect to the new replicas; traffic keeps flowing afterwards.
        wait_for(lambda: xds_streams(net, cluster, site) >= 2, 120, "both proxies streaming xDS from new replicas")
        gen.wait_requests(50)
    counts = gen.counts
    report(f"helm upgrade of the controller ({took:.0f} s until the old pods were gone): {counts.summary()}")
    pods = cluster.items("pods", RELEASE_NS, CONTROLLERS)
    assert {p["spec"]["containers"][0]["image"] for p in pods} == {f"{kgw.repository}:{new_tag}"}
    assert all(pod_ready(p) for p in pods)
    assert counts.failed_total == 0, counts.failures[:20]
    assert counts.ok >= RATE * took * 0.5, counts.summary()
    kgw.tag = new_tag  # what is installed now


def xds_streams(net, cluster, site) -> int:
    """xDS streams of this site's Gateway across the controller replicas (from their /status)."""
    total = 0
    for pod in cluster.ready_pods(RELEASE_NS, CONTROLLERS):
        code, body = net.call(http_get, pod["status"]["podIP"], 9095, "/status")
        if code == 200:
            total += json.loads(body)["gateways"].get(f"{NS}/{site.gateway}", {}).get("xds_streams", 0)
    return total


def lease_holder(cluster) -> str | None:
    return cluster.get("lease", "kgw-controller", RELEASE_NS)["spec"].get("holderIdentity")


def test_killing_the_leading_controller_hands_over_within_the_lease(cluster, kgw, site):
    leader = lease_holder(cluster)
    pods = {p["metadata"]["name"]: p for p in cluster.ready_pods(RELEASE_NS, CONTROLLERS)}
    assert leader in pods and len(pods) == 2, (leader, list(pods))
    with load(site) as gen:
        gen.wait_requests(50)
        # A crash, not a shutdown: SIGKILL (no Lease release), then the pod is force-deleted so it does not
        # come back under the same identity.
        pids = cluster.container_pids(pods[leader], "controller")
        t0 = time.monotonic()
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
        cluster.kubectl("delete", "pod", leader, "-n", RELEASE_NS, "--grace-period=0", "--force")
        new_leader = wait_for(lambda: (h := lease_holder(cluster)) != leader and h, 60,
                              "another replica holding the Lease", interval=0.25)
        handover = time.monotonic() - t0
        # The new leader does the leader's work: a new route gets its status.
        cluster.apply(http_route(NS, "after-handover", site.gateway, "/after-handover"))
        wait_for(lambda: route_accepted(cluster, "after-handover"), 60, "status of a route made after handover")
        gen.wait_requests(50)
    counts = gen.counts
    report(f"leader {leader} killed: Lease held by {new_leader} after {handover:.1f} s "
           f"(duration {LEASE_SECONDS} s); proxies under load meanwhile: {counts.summary()}")
    # The surviving replica or the Deployment's replacement pod, whichever polled first; never the killed one.
    live = {p["metadata"]["name"] for p in cluster.ready_pods(RELEASE_NS, CONTROLLERS)}
    assert new_leader != leader and new_leader in live, (leader, new_leader, live)
    assert handover <= LEASE_SECONDS + RENEW_SECONDS, handover
    assert counts.failed_total == 0, counts.failures[:20]
    # The replacement pod joins; two Ready replicas again.
    wait_for(lambda: len(cluster.ready_pods(RELEASE_NS, CONTROLLERS)) == 2, 120, "two controller replicas")


def route_accepted(cluster, name: str) -> bool:
    parents = (cluster.get("httproute", name, NS) or {}).get("status", {}).get("parents") or []
    return any(c["type"] == "Accepted" and c["status"] == "True" for p in parents for c in p["conditions"])


def test_killing_the_proxy_process_is_survived_by_the_service(cluster, site):
    pods = [p for p in proxy_pods(cluster, site) if pod_ready(p)]
    assert len(pods) == 2
    victim = pods[0]
    restarts = victim["status"]["containerStatuses"][0]["restartCount"]
    with load(site) as gen:
        gen.wait_requests(50)
        pids = cluster.container_pids(victim, "envoy")
        killed_at = gen.elapsed()
        for pid in pids:
            os.kill(pid, signal.SIGKILL)

        def restarted_and_ready():
            p = cluster.get("pod", victim["metadata"]["name"], NS)
            return p["status"]["containerStatuses"][0]["restartCount"] > restarts and pod_ready(p)

        wait_for(restarted_and_ready, 120, "the killed proxy container restarted and Ready")
        recovered_at = gen.elapsed()
        gen.wait_requests(RATE * 5)  # a clean stretch after recovery
    counts = gen.counts
    report(f"proxy process killed at {killed_at:.1f} s, container back and Ready at {recovered_at:.1f} s: "
           f"{counts.summary()}; failures at {[t for t, _ in counts.failures[:10]]}")
    # Connections the kernel refuses or resets in the moment the process is gone may fail (nothing listens
    # on that pod's IP until the container restarts); every other request is served by the other replica,
    # and nothing fails once the container is back.
    assert all(killed_at - 0.5 <= t <= recovered_at for t, _ in counts.failures), counts.failures
    assert counts.failed_total <= 0.5 * RATE * (recovered_at - killed_at) + 5, counts.summary()
    gap = [t for t in counts.ok_at if killed_at <= t <= recovered_at]
    assert len(gap) >= 0.25 * RATE * (recovered_at - killed_at), (len(gap), counts.summary())


def test_deleting_a_gateway_removes_its_pods_and_objects(cluster, site):
    selector = ",".join(f"{k}={v}" for k, v in labels_for(site.gateway).items())
    kinds = "deployment,service,configmap,secret,serviceaccount,poddisruptionbudget"
    assert len(cluster.items(kinds, NS, selector)) == 6
    t0 = time.monotonic()
    cluster.kubectl("delete", "gateway", site.gateway, "-n", NS)
    wait_for(lambda: not cluster.items(kinds, NS, selector), 120, "the proxy's objects gone")
    objects_gone = time.monotonic() - t0
    wait_for(lambda: not cluster.items("pods", NS, selector), 240, "the proxy's pods gone", interval=2)
    report(f"Gateway deleted: its objects gone after {objects_gone:.1f} s, its pods after "
           f"{time.monotonic() - t0:.1f} s (15 s preStop drain included)")
