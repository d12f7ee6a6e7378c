"""The one-node cluster of scripts/realk8s driven from tests: start/stop, kubectl and helm inside its network
namespace, waits on objects, and the host PIDs of a pod's container (for node-level kills)."""
from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "realk8s"
CACHE = Path(os.environ.get("KGW_REALK8S_CACHE", Path.home() / ".cache/kgw/realk8s"))
RUN = CACHE / "run"
NETNS_PATH = "/run/netns/kgwk8s"
CGROUP_ROOT = Path("/sys/fs/cgroup/pids/kgwk8s")


def unavailable() -> str | None:
    """Why the cluster tier cannot run here, or None."""
    if os.geteuid() != 0:
        return "the cluster tier needs root (network namespace, containerd, cgroups); run as root or in CI"
    if not list(CACHE.glob(".built-*")):
        return f"no cluster build in {CACHE}: run scripts/realk8s-build (root, about 5 minutes, cached)"
    return None


def wait_for(pred, timeout: float, what: str, interval: float = 0.5):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            value = pred()
            if value:
                return value
            last = value
        except (subprocess.SubprocessError, OSError, KeyError, ValueError, IndexError, TypeError) as e:
            last = e
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


class Cluster:
    def __init__(self, log=print):
        self.log = log
        self.image = ""  # the kgw image built from this checkout (build_image)

    # --- lifecycle ----------------------------------------------------------------------------------------
    def _script(self, *args: str, timeout: float) -> str:
        out = subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, timeout=timeout)
        if out.returncode != 0:
            raise RuntimeError(f"realk8s {' '.join(args)} failed ({out.returncode}):\n{out.stderr[-4000:]}")
        return out.stdout.strip()

    def build_image(self) -> str:
        t0 = time.monotonic()
        self.image = self._script("image", timeout=900)
        self.log(f"kgw image {self.image} ready in {time.monotonic() - t0:.1f} s")
        return self.image

    def start(self) -> None:
        t0 = time.monotonic()
        self._script("start", timeout=600)
        self.log(f"cluster started (node Ready) in {time.monotonic() - t0:.1f} s")

    def stop(self) -> None:
        t0 = time.monotonic()
        self._script("stop", timeout=300)
        self.log(f"cluster stopped in {time.monotonic() - t0:.1f} s")

    # --- clients inside the namespace -------------------------------------------------------------------------
    def run(self, tool: str, *args: str, input: str | None = None, check: bool = True,
            timeout: float = 120) -> subprocess.CompletedProcess:
        out = subprocess.run([str(SCRIPT), tool, *args], input=input, capture_output=True, text=True,
                             timeout=timeout)
        if check and out.returncode != 0:
            raise AssertionError(f"{tool} {' '.join(args)} failed ({out.returncode}): {out.stderr[-3000:]}")
        return out

    def kubectl(self, *args: str, **kw) -> subprocess.CompletedProcess:
        return self.run("kubectl", *args, **kw)

    def helm(self, *args: str, **kw) -> subprocess.CompletedProcess:
        return self.run("helm", *args, **kw)

    def apply(self, manifest: str) -> None:
        self.kubectl("apply", "-f", "-", input=manifest)

    def get(self, kind: str, name: str, namespace: str | None = None) -> dict | None:
        out = self.kubectl("get", kind, name, "-o", "json", *(("-n", namespace) if namespace else ()), check=False)
        if out.returncode != 0:
            if "NotFound" in out.stderr:
                return None
            raise AssertionError(f"kubectl get {kind} {name}: {out.stderr}")
        return json.loads(out.stdout)

    def items(self, kind: str, namespace: str | None = None, selector: str | None = None) -> list[dict]:
        args = ["get", kind, "-o", "json"]
        args += ["-n", namespace] if namespace else ["-A"]
        if selector:
            args += ["-l", selector]
        return json.loads(self.kubectl(*args).stdout)["items"]

    def ctr(self, *args: str) -> str:
        """containerd's own client on the run dir's socket (a unix socket: no network namespace needed)."""
        out = subprocess.run(["ctr", "--address", str(RUN / "containerd/containerd.sock"), "-n", "k8s.io", *args],
                             capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, f"ctr {' '.join(args)}: {out.stderr}"
        return out.stdout

    # --- pods ------------------------------------------------------------------------------------------------
    def ready_pods(self, namespace: str, selector: str) -> list[dict]:
        return [p for p in self.items("pods", namespace, selector)
                if not p["metadata"].get("deletionTimestamp") and pod_ready(p)]

    def container_pids(self, pod: dict, container: str) -> list[int]:
        """Host PIDs of one container of a pod, from its cgroup (the kubelet names it after the container ID)."""
        status = next(s for s in pod["status"]["containerStatuses"] if s["name"] == container)
        cid = status["containerID"].split("://", 1)[1]
        for dirpath, dirnames, _ in os.walk(CGROUP_ROOT):
            if cid in dirnames:
                procs = Path(dirpath, cid, "cgroup.procs").read_text().split()
                return [int(p) for p in procs]
        raise AssertionError(f"no cgroup for container {container} ({cid}) of {pod['metadata']['name']}")


def pod_ready(pod: dict) -> bool:
    return any(c["type"] == "Ready" and c["status"] == "True" for c in pod.get("status", {}).get("conditions", []))


def condition(obj: dict | None, ctype: str) -> dict | None:
    return next((c for c in (obj or {}).get("status", {}).get("conditions", []) if c.get("type") == ctype), None)
