"""Two controller replicas against the real API server: exactly one holds the Lease and writes; killing it
(SIGKILL: no clean release) hands over within the Lease duration, and the new leader writes."""
from __future__ import annotations

import pytest

from kgw_controller.kube import kinds
from tests.support.kubehelp import apply, condition, get, kind_of, wait_for
from tests.support.procs import Controller

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]
NS = "kgw-ha"
LEASE = kind_of({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease"})


def _class(api, name):
    apply(api, {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass", "metadata": {"name": name},
                "spec": {"controllerName": "kgateway.dev/kgateway"}})


def _accepted(api, name) -> bool:
    return (condition(get(api, kinds.GATEWAY_CLASS, None, name), "Accepted") or {}).get("status") == "True"


def test_one_leader_writes_and_hands_over(apiserver, api, tmp_path):
    apply(api, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}})
    replicas = {n: Controller(tmp_path, apiserver.kubeconfig, n, namespace=NS) for n in ("ha-1", "ha-2")}
    try:
        for c in replicas.values():
            wait_for(c.ready, 60, f"{c.identity} ready")  # both serve (xDS, admin) whether leading or not
        holder = wait_for(lambda: (get(api, LEASE, NS, "kgw-controller") or {}).get("spec", {}).get("holderIdentity"),
                          30, "a Lease holder")
        other = next(n for n in replicas if n != holder)
        wait_for(lambda: replicas[holder].status()["leader"], 10, "holder knows it leads")
        _class(api, "ha-before")
        wait_for(lambda: _accepted(api, "ha-before"), 30, "status written by the leader")
        assert replicas[other].status()["leader"] is False
        assert replicas[other].status()["status_writes"] == 0  # the follower never wrote
        assert replicas[holder].status()["status_writes"] > 0

        replicas[holder].stop(kill=True)
        wait_for(lambda: get(api, LEASE, NS, "kgw-controller")["spec"]["holderIdentity"] == other, 20,
                 "handover to the other replica")
        _class(api, "ha-after")
        wait_for(lambda: _accepted(api, "ha-after"), 30, "status written by the new leader")
        assert replicas[other].status()["status_writes"] > 0
        assert get(api, LEASE, NS, "kgw-controller")["spec"]["leaseTransitions"] >= 1
    finally:
        for c in replicas.values():
            c.stop()
