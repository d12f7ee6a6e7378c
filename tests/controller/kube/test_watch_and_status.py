"""The watch and the status writer against the real API server, at their edges: a resourceVersion the server
no longer has (410 Gone -> relist), a kind whose CRD is missing, and status writes to objects that vanished."""
from __future__ import annotations

import threading

import pytest

from kgw_controller.kube import kinds
from kgw_controller.kube.api import Kind
from kgw_controller.kube.status import StatusWriter
from kgw_controller.kube.watcher import KindWatcher
from tests.support.kubehelp import apply, get, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]
NS = "kgw-watch"


def _ns(api):
    apply(api, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}})


CONFIGMAP = Kind("", "v1", "configmaps", "ConfigMap")


def test_expired_resource_version_relists(api, apiserver):
    _ns(api)
    stop = threading.Event()
    w = KindWatcher(api, CONFIGMAP, lambda: None, stop, watch_timeout=5)
    w._list()
    old = w.resource_version
    for i in range(3):
        apply(api, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"c{i}", "namespace": NS}})
    apiserver.compact()  # etcd forgets history: `old` is now too old to watch from
    w.resource_version = old
    assert w._watch() is False  # 410 Gone: the caller must relist
    # a fresh run lists and sees every object made meanwhile
    w.start()
    try:
        wait_for(lambda: w.relists >= 2 and (NS, "c2") in dict(w.objects), 15, "relisted")
    finally:
        stop.set()


def test_watcher_follows_changes_and_absent_kinds_count_as_empty(api):
    _ns(api)
    stop = threading.Event()
    svc = KindWatcher(api, kinds.SERVICE, lambda: None, stop, watch_timeout=5)
    missing = KindWatcher(api, Kind("example.com", "v1", "widgets", "Widget"), lambda: None, stop)
    svc.start()
    missing.start()
    try:
        wait_for(svc.synced.is_set, 10, "services listed")
        wait_for(missing.synced.is_set, 10, "missing kind settled")
        assert missing.snapshot()[0] == []
        apply(api, {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "w1", "namespace": NS},
                    "spec": {"ports": [{"port": 80, "protocol": "TCP"}]}})
        wait_for(lambda: (NS, "w1") in dict(svc.objects), 10, "ADDED seen")
        api.request("DELETE", kinds.SERVICE.path(NS, "w1"))
        wait_for(lambda: (NS, "w1") not in dict(svc.objects), 10, "DELETED seen")
        # watch_timeout=5: the server ends each watch (sending a bookmark shortly before); the watcher resumes
        # from the last version without relisting.
        relists = svc.relists
        wait_for(lambda: svc.bookmarks >= 1, 15, "a bookmark")
        apply(api, {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "w2", "namespace": NS},
                    "spec": {"ports": [{"port": 80, "protocol": "TCP"}]}})
        wait_for(lambda: (NS, "w2") in dict(svc.objects), 10, "ADDED seen after the resumed watch")
        assert svc.relists == relists
    finally:
        stop.set()


def test_status_of_a_deleted_object_is_skipped(api):
    _ns(api)
    gc = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass", "metadata": {"name": "vanishing"},
          "spec": {"controllerName": "example.com/none"}}
    apply(api, gc)
    cached = get(api, kinds.GATEWAY_CLASS, None, "vanishing")
    api.request("DELETE", kinds.GATEWAY_CLASS.path(None, "vanishing"))
    writer = StatusWriter(api, lambda kind, ns, name: cached, "kgateway.dev/kgateway")
    status = {"conditions": [{"type": "Accepted", "status": "True", "reason": "Accepted", "message": "",
                              "observedGeneration": 1, "lastTransitionTime": "1970-01-01T00:00:00Z"}]}
    assert writer.write([{"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass", "namespace": "",
                          "name": "vanishing", "status": status}]) == 0
