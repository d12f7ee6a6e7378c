"""Real processes the Kubernetes tests start: `kgw controller` replicas and a local Envoy running a proxy
bootstrap taken from the ConfigMap the controller created. Each dies with the test process (pdeathsig) and
is stopped by the test that started it."""
from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import kgw_rules
from kgw_controller.envoy import find_envoy
from tests.support.apiserver import free_port, spawn
from tests.support.kubehelp import http_json


class Controller:
    def __init__(self, workdir: Path, kubeconfig: Path, identity: str, namespace: str = "kgw-system",
                 extra: tuple[str, ...] = (), xds_port: int | None = None, admin_port: int | None = None):
        self.identity = identity
        self.xds_port, self.admin_port = xds_port or free_port(), admin_port or free_port()
        self.log = workdir / f"controller-{identity}.log"
        kgw = shutil.which("kgw", path=str(Path(sys.executable).parent)) or "kgw"
        self.proc = spawn(
            [kgw, "controller", "--kubeconfig", str(kubeconfig),
             "--xds-bind", f"127.0.0.1:{self.xds_port}", "--admin", f"127.0.0.1:{self.admin_port}",
             "--listener-address", "127.0.0.1", "--namespace", namespace, "--identity", identity,
             "--lease-duration", "3", "--lease-renew", "0.5",
             "--log-level", os.environ.get("KGW_TEST_CONTROLLER_LOG_LEVEL", "info"), *extra],
            self.log)

    @property
    def admin(self) -> str:
        return f"http://127.0.0.1:{self.admin_port}"

    def status(self) -> dict:
        return http_json(self.admin + "/status")[1]

    def ready(self) -> bool:
        try:
            return http_json(self.admin + "/readyz")[0] == 200
        except OSError:
            return False

    def logs(self) -> str:
        return self.log.read_text()[-4000:]

    def stop(self, kill: bool = False) -> None:
        if self.proc.poll() is None:
            self.proc.kill() if kill else self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def localize(bootstrap: dict, cert_dir: Path, ready_port: int, metrics_port: int | None = None) -> dict:
    """The pod's bootstrap, run on this machine: certificate files from a temp dir instead of the Secret
    mount, an ephemeral admin port, and the readiness and metrics listeners on loopback."""
    text = json.dumps(bootstrap).replace("/etc/kgw/xds-tls", str(cert_dir))
    boot = json.loads(text)
    boot["admin"]["address"]["socket_address"]["port_value"] = 0
    ports = {"kgw_ready": ready_port, "kgw_metrics": metrics_port or free_port()}
    for lis in boot["static_resources"]["listeners"]:
        lis["address"]["socket_address"].update(address="127.0.0.1", port_value=ports[lis["name"]])
    return boot


NATIVE_SEARCH_PATH = "ENVOY_DYNAMIC_MODULES_SEARCH_PATH"


class LocalEnvoy:
    """`container_args`: the proxy Deployment's container args (run as kubelet would, but with the local
    bootstrap path); by default only the bootstrap and a warning log level. `container_env`: its env; the
    native module's search path is this machine's copy of what the init container copies from the kgw image."""

    def __init__(self, workdir: Path, bootstrap_json: str, tls_secret_data: dict,
                 container_args: list[str] | None = None, container_env: list[dict] | None = None):
        cert_dir = workdir / "xds-tls"
        cert_dir.mkdir(exist_ok=True)
        for k, v in tls_secret_data.items():
            (cert_dir / k).write_bytes(base64.b64decode(v))
        self.ready_port, self.metrics_port = free_port(), free_port()
        boot = localize(json.loads(bootstrap_json), cert_dir, self.ready_port, self.metrics_port)
        path = workdir / "envoy.json"
        path.write_text(json.dumps(boot))
        self.log = workdir / "envoy.log"
        args = list(container_args or ["-c", "", "-l", "warning"])
        args[args.index("-c") + 1] = str(path)
        env = {e["name"]: e["value"] for e in container_env or () if "value" in e}
        if NATIVE_SEARCH_PATH in env:
            env[NATIVE_SEARCH_PATH] = str(kgw_rules.native_module_dir())
        self.proc = spawn(
            [find_envoy(), *args, "--base-id", str(free_port()), "--admin-address-path", str(workdir / "admin.txt")],
            self.log, {k: v for k, v in env.items() if k == NATIVE_SEARCH_PATH})

        self.admin_path = workdir / "admin.txt"

    def admin_address(self) -> str | None:
        """host:port of its admin interface, once Envoy has bound it."""
        try:
            return self.admin_path.read_text().strip() or None
        except FileNotFoundError:
            return None

    def logs(self) -> str:
        return self.log.read_text()[-4000:]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def wait_http(url: str, timeout: float, headers: dict | None = None):
    import urllib.request
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            req = urllib.request.Request(url, headers=headers or {})
            with urllib.request.urlopen(req, timeout=2) as r:
                return r.status, dict(r.headers), r.read()
        except OSError as e:
            last = e
            time.sleep(0.2)
    raise AssertionError(f"{url} never answered: {last}")
