"""The two ways kgw runs, behind one test interface, so a suite written once runs in both (the parity suite):

- `UpMode`: the manifests are files in a directory served by an embedded `kgw up` (its own Envoys).
- `ClusterMode`: the same manifests are applied to the real test kube-apiserver; a `kgw controller` process
  (as the Helm chart's ServiceAccount, so its RBAC is what is tested) translates them and deploys proxy
  objects; every Gateway's proxy is a local Envoy started from the bootstrap ConfigMap the controller
  deployed, with its mTLS files materialised from the Secret the Deployment mounts, as kubelet would.

Both offer `write(name, text)` / `remove(name)` (a file's documents, as in a manifest directory), `settle()`
(everything written so far is served and its statuses are visible), `status_of(kind, ns, name)` (from
`/status` in `kgw up`, from the API server in the cluster) and `restart()` (a new controller process with the
same stored state: the state directory / the ConfigMap).
"""
from __future__ import annotations

import http.client
import json
import time
from pathlib import Path

import yaml

from kgw_controller.embedded import EmbeddedUp
from kgw_controller.kube import kinds
from kgw_controller.kube.api import ApiError
from kgw_controller.runner import UpOptions
from tests.support.apiserver import ApiServer, free_port
from tests.support.chart import install as install_chart
from tests.support.kubehelp import api_for, get, kind_of, wait_for
from tests.support.procs import Controller, LocalEnvoy

MODES = ("up", "cluster")
CONTROLLER_NAMESPACE = "kgw-system"  # where the chart (and so the ServiceAccount's Role) is installed


def admin_json(port: int, path: str) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read())
    finally:
        conn.close()


class UpMode:
    name = "up"

    def __init__(self, root: Path, port_offset: int):
        self.root, self.port_offset = root, port_offset
        self.dir = root / "manifests"
        self.dir.mkdir(parents=True)
        self.admin_port = free_port()
        self.up: EmbeddedUp | None = None
        self._written_at: int | None = 0  # generation before the first write since the last settle()
        self.docs: dict[str, list[dict]] = {}

    def start(self) -> UpMode:
        opts = UpOptions(directory=self.dir, admin=f"127.0.0.1:{self.admin_port}", xds="127.0.0.1:0",
                         port_offset=self.port_offset, state_dir=self.root / "state", ready_timeout=30)
        self.up = EmbeddedUp(opts).__enter__()
        self._written_at = 0
        self.settle()
        return self

    def close(self) -> None:
        if self.up:
            self.up.__exit__(None, None, None)
            self.up = None

    def restart(self) -> None:
        self.close()
        self.start()

    def write(self, name: str, text: str) -> None:
        self._mark()
        self.docs[name] = [d for d in yaml.safe_load_all(text) if d]
        tmp = self.dir / f".{name}.tmp"  # hidden files are skipped by the loader; rename is atomic
        tmp.write_text(text)
        tmp.rename(self.dir / name)

    def remove(self, name: str) -> None:
        self._mark()
        self.docs.pop(name, None)
        (self.dir / name).unlink()

    def generation_of(self, kind: str, namespace: str, name: str) -> int:
        """metadata.generation as written in the manifests (1 when absent, as kgw up reads it)."""
        for doc in (d for docs in self.docs.values() for d in docs):
            meta = doc.get("metadata") or {}
            if doc.get("kind") == kind and meta.get("name") == name and (meta.get("namespace") or "") in (
                    namespace, "" if namespace else "default"):
                return meta.get("generation") or 1
        raise KeyError(f"{kind} {namespace}/{name} was not written")

    def _mark(self) -> None:
        if self.up is not None and self._written_at is None:
            self._written_at = self.admin("/status")[1]["generation"]

    def admin(self, path: str) -> tuple[int, dict]:
        return admin_json(self.admin_port, path)

    def settle(self, timeout: float = 20.0) -> None:
        """Every write so far is applied (a newer generation) and every Envoy ACKed it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status, body = self.admin("/readyz")
            if status == 200 and (self._written_at is None or body["generation"] > self._written_at):
                self._written_at = None
                return
            time.sleep(0.02)
        raise AssertionError(f"kgw up not settled: {self.admin('/readyz')}")

    def statuses(self) -> list[dict]:
        self.settle()
        return self.admin("/status")[1]["objects"]

    def status_of(self, kind: str, namespace: str, name: str) -> dict:
        for obj in self.statuses():
            if (obj["kind"], obj["namespace"], obj["name"]) == (kind, namespace, name):
                return obj["status"]
        raise KeyError(f"no status for {kind} {namespace}/{name}")

    def envoy_admin(self, gateway: str) -> str:
        return self.admin("/status")[1]["gateways"][gateway]["envoy_admin"]

    def gateway_address(self, gateway: str, bound: str) -> dict:
        """What a Gateway's status reports as its address: here, the address its Envoy binds."""
        return {"type": "IPAddress", "value": bound}


def _to_server_shape(doc: dict, has_slice_v1: bool) -> dict:
    """A manifest as the 1.20 test server takes it: EndpointSlices at v1beta1, Service ports with a protocol
    (its server-side apply requires one)."""
    if doc["kind"] == "EndpointSlice" and doc["apiVersion"] == "discovery.k8s.io/v1" and not has_slice_v1:
        doc = {**doc, "apiVersion": "discovery.k8s.io/v1beta1"}
        eps = []
        for ep in doc.get("endpoints") or []:
            ep = dict(ep)
            topology = {}
            if "nodeName" in ep:
                topology["kubernetes.io/hostname"] = ep.pop("nodeName")
            if "zone" in ep:
                topology["topology.kubernetes.io/zone"] = ep.pop("zone")
            if topology:
                ep["topology"] = topology
            eps.append(ep)
        doc["endpoints"] = eps
    if doc["kind"] == "Service":
        spec = dict(doc.get("spec") or {})
        spec["ports"] = [{"protocol": "TCP", **p} for p in spec.get("ports") or []]
        doc = {**doc, "spec": spec}
    meta = {k: v for k, v in (doc.get("metadata") or {}).items() if k != "generation"}  # the server's to set
    return {**doc, "metadata": meta}


def server_docs(text: str, has_slice_v1: bool) -> list[dict]:
    """The documents of a manifest file in the shape the test server takes, namespaces first."""
    docs = [_to_server_shape(d, has_slice_v1) for d in yaml.safe_load_all(text) if d]
    return sorted(docs, key=lambda d: d["kind"] != "Namespace")


class ClusterMode:
    name = "cluster"

    def __init__(self, root: Path, server: ApiServer, port_offset: int, identity: str = "parity"):
        self.root, self.server, self.port_offset, self.identity = root, server, port_offset, identity
        self.root.mkdir(parents=True, exist_ok=True)
        self.api = api_for(server.kubeconfig)
        self.has_slice_v1 = self.api.has_api("discovery.k8s.io/v1", "endpointslices")
        self.files: dict[str, list[tuple]] = {}  # file name -> [(Kind, namespace, name)] it holds
        self.targets: dict[str, int] = {}  # kind -> resourceVersion of our newest write of that kind
        self.controller: Controller | None = None
        self.envoys: dict[str, LocalEnvoy] = {}
        self.envoy_uids: dict[str, str] = {}  # key -> the uid of the Deployment its local Envoy stands for
        self._starts = 0
        self._envoys_started = 0
        self._ensure_namespace(CONTROLLER_NAMESPACE)
        install_chart(self.api, CONTROLLER_NAMESPACE)

    # --- lifecycle -----------------------------------------------------------------------------------------
    def start(self) -> ClusterMode:
        self._starts += 1
        previous = self.controller  # a restart keeps the ports, as a Service name stays the same in a cluster
        self.controller = Controller(self.root, self.server.controller_kubeconfig,
                                     f"{self.identity}-{self._starts}", CONTROLLER_NAMESPACE,
                                     extra=("--port-offset", str(self.port_offset)),
                                     xds_port=previous.xds_port if previous else None,
                                     admin_port=previous.admin_port if previous else None)
        wait_for(self.controller.ready, 60, f"controller ready ({self.controller.log})")
        self.settle()
        return self

    def restart(self) -> None:
        """A new controller process; the proxies keep running and reconnect to it, as in a cluster."""
        self.controller.stop()
        self.start()

    def close(self) -> None:
        try:
            for name in list(self.files):
                self.remove(name)
            if self.controller is not None and self.controller.proc.poll() is None:
                self.settle(need_gateways=False)  # the controller removes the proxy objects it deployed
        finally:
            self.stop()
            from kgw_controller.kube.programs import CONFIGMAP, PROGRAMS_CONFIGMAP
            self.api.delete(CONFIGMAP, CONTROLLER_NAMESPACE, PROGRAMS_CONFIGMAP)  # no state for the next suite
            self.api.close()

    def stop(self) -> None:
        """Stop the proxies and the controller, leaving what was written in the API server."""
        for envoy in self.envoys.values():
            envoy.stop()
        self.envoys.clear()
        if self.controller is not None:
            self.controller.stop()

    # --- inputs --------------------------------------------------------------------------------------------
    def write(self, name: str, text: str) -> None:
        held = []
        for doc in server_docs(text, self.has_slice_v1):
            kind = kind_of(doc)
            ns = doc["metadata"].get("namespace", "default") if kind.namespaced else None
            if ns:
                doc["metadata"]["namespace"] = ns
                self._ensure_namespace(ns)
            out = self.api.apply(kind, doc)
            self._track(kind.kind, out)
            held.append((kind, ns, doc["metadata"]["name"]))
        for kind, ns, obj_name in self.files.get(name, []):
            if (kind, ns, obj_name) not in held:
                self._delete(kind, ns, obj_name)
        self.files[name] = held

    def remove(self, name: str) -> None:
        for kind, ns, obj_name in self.files.pop(name, []):
            self._delete(kind, ns, obj_name)

    def _delete(self, kind, ns, name) -> None:
        try:
            out = self.api.request("DELETE", kind.path(ns, name))
        except ApiError as e:
            if e.status != 404:
                raise
            return
        self._track(kind.kind, out)  # a delete answers with the object at the deletion's resourceVersion

    def _track(self, kind: str, obj: dict | None) -> None:
        rv = ((obj or {}).get("metadata") or {}).get("resourceVersion")
        if rv:
            self.targets[kind] = max(self.targets.get(kind, 0), int(rv))

    def _ensure_namespace(self, ns: str) -> None:
        if get(self.api, kinds.NAMESPACE, None, ns) is None:
            try:
                self.api.request("POST", kinds.NAMESPACE.path(), body={
                    "apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
            except ApiError as e:
                if e.status != 409:
                    raise

    # --- following the controller ---------------------------------------------------------------------------
    def admin(self, path: str) -> tuple[int, dict]:
        return admin_json(self.controller.admin_port, path)

    def settle(self, timeout: float = 60.0, need_gateways: bool = True) -> None:
        """The controller applied every write (its snapshot's resourceVersions cover ours), the leader wrote
        that generation's statuses, every Gateway has a running proxy, and every proxy ACKed."""
        deadline = time.monotonic() + timeout
        doc: dict = {}
        while time.monotonic() < deadline:
            _, doc = self.admin("/status")
            seen = doc.get("revisions") or {}
            caught_up = all(int(seen.get(k) or 0) >= rv for k, rv in self.targets.items())
            written = doc.get("status_generation") == doc.get("generation") and doc.get("generation")
            if caught_up and written:
                if need_gateways:
                    self._sync_envoys(doc["gateways"])
                if all(g["ready"] for g in doc["gateways"].values()) or not need_gateways:
                    return
            time.sleep(0.05)
        seen = doc.get("revisions") or {}
        behind = {k: (rv, seen.get(k)) for k, rv in self.targets.items() if int(seen.get(k) or 0) < rv}
        waiting = sorted(k for k, g in (doc.get("gateways") or {}).items() if not g.get("ready"))
        raise AssertionError(f"cluster not settled: revisions behind (ours, controller's) {behind}; generation "
                             f"{doc.get('generation')}, statuses written for {doc.get('status_generation')}; "
                             f"proxies not ready {waiting}; local Envoys {sorted(self.envoys)}\n"
                             f"controller {json.dumps(doc)[:1500]}\n{self.controller.logs()}")

    def _sync_envoys(self, gateways: dict) -> None:
        # A Gateway deleted and applied again between two looks keeps its key but gets a new Deployment (in a
        # cluster: new pods); its old local Envoy is replaced, as the pod would be.
        for key in sorted(k for k, g in gateways.items() if k in self.envoys and not g["ready"]):
            ns, name = key.split("/", 1)
            deployment = get(self.api, kind_of({"apiVersion": "apps/v1", "kind": "Deployment"}), ns, name)
            if deployment is not None and deployment["metadata"]["uid"] != self.envoy_uids.get(key):
                self.envoys.pop(key).stop()
        for key in sorted(set(gateways) - set(self.envoys)):
            ns, name = key.split("/", 1)
            cm = get(self.api, kind_of({"apiVersion": "v1", "kind": "ConfigMap"}), ns, f"{name}-bootstrap")
            secret = get(self.api, kinds.SECRET, ns, f"{name}-xds-tls")
            deployment = get(self.api, kind_of({"apiVersion": "apps/v1", "kind": "Deployment"}), ns, name)
            if cm is None or secret is None or deployment is None:
                continue  # not deployed yet: the next settle() round looks again
            container = deployment["spec"]["template"]["spec"]["containers"][0]
            args = container["args"]
            self._envoys_started += 1  # a Gateway deleted and applied again gets a fresh directory
            workdir = self.root / "envoys" / f"{ns}-{name}-{self._starts}-{self._envoys_started}"
            workdir.mkdir(parents=True)
            self.envoys[key] = LocalEnvoy(workdir, cm["data"]["envoy.json"], secret["data"], args,
                                          container.get("env"))
            self.envoy_uids[key] = deployment["metadata"]["uid"]
        for key in sorted(set(self.envoys) - set(gateways)):
            self.envoys.pop(key).stop()

    def statuses(self) -> list[dict]:
        self.settle()
        return self.admin("/status")[1]["objects"]

    def status_of(self, kind: str, namespace: str, name: str) -> dict:
        """As written to the API server (the settle() before it waits for the leader's writes)."""
        self.settle()
        obj = get(self.api, kinds.BY_KIND[kind], namespace or None, name)
        if obj is None or "status" not in obj:
            raise KeyError(f"no status for {kind} {namespace}/{name}")
        return obj["status"]

    def generation_of(self, kind: str, namespace: str, name: str) -> int:
        return get(self.api, kinds.BY_KIND[kind], namespace or None, name)["metadata"]["generation"]

    def envoy_admin(self, gateway: str) -> str:
        envoy = self.envoys[gateway]
        return "http://" + wait_for(lambda: envoy.admin_address(), 10, "Envoy admin address")

    def gateway_address(self, gateway: str, bound: str | None) -> dict:
        """A Gateway that asks for an address reports it (its proxy binds it); one that does not is reached
        through its proxy Service, whose address it reports."""
        if bound:
            return {"type": "IPAddress", "value": bound}
        ns, name = gateway.split("/", 1)
        svc = get(self.api, kinds.SERVICE, ns, name)
        return {"type": "IPAddress", "value": svc["spec"]["clusterIP"]}
