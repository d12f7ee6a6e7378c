"""Manifests, ports and HTTP helpers for the `kgw up` tests. Every port is free and on 127.0.0.1."""
from __future__ import annotations

import contextlib
import http.client
import json
import socket
import time
from pathlib import Path

from kgw_controller import echo
from kgw_controller.runner import UpOptions
from tests.support import manifests

DECLARED_PORT = 8080


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(port: int, path: str = "/", headers: dict | None = None, timeout: float = 5.0):
    """(status, body text, headers) of one GET on a fresh connection."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.read().decode(), dict(resp.getheaders())
    finally:
        conn.close()


def gateway_yaml(parameters: str | None = None) -> str:
    """The GatewayClass and Gateway `gw`; `parameters` names a GatewayParameters for its Envoy."""
    infrastructure = ("  infrastructure:\n    parametersRef: {group: gateway.kgateway.dev, kind: GatewayParameters, "
                      f"name: {parameters}}}\n") if parameters else ""
    return manifests.gateway_yaml([("http", DECLARED_PORT, "HTTP")], spec_extra=infrastructure)


def backend_yaml(echo_port: int, name: str = "echo") -> str:
    return manifests.service_yaml(name, echo_port)


def route_yaml(name: str, *prefixes: str, backend: str = "echo") -> str:
    matches = "\n".join(f"    - path: {{type: PathPrefix, value: {p}}}" for p in prefixes)
    rule = f"  - matches:\n{matches}\n    backendRefs: [{{name: {backend}, port: 80}}]\n"
    return manifests.http_route_yaml(name, rule)


class Setup:
    """A manifest dir with a Gateway, the echo backend and one route, plus the ports to reach it."""

    def __init__(self, root: Path):
        self.dir = root / "manifests"
        self.dir.mkdir()
        self.gw_port, self.admin_port = free_port(), free_port()
        self.echo = echo.start_in_thread("127.0.0.1", 0)
        self.echo_port = self.echo.server_address[1]
        self.write("gateway.yaml", gateway_yaml())
        self.write("backend.yaml", backend_yaml(self.echo_port))
        self.write("route.yaml", route_yaml("web", "/app"))
        self.state_dir = root / "state"

    def write(self, name: str, text: str) -> None:
        tmp = self.dir / f".{name}.tmp"  # hidden: the loader and watcher skip it; rename is atomic
        tmp.write_text(text)
        tmp.rename(self.dir / name)

    def options(self, **kw) -> UpOptions:
        return UpOptions(directory=self.dir, admin=f"127.0.0.1:{self.admin_port}", xds="127.0.0.1:0",
                         port_offset=self.gw_port - DECLARED_PORT, state_dir=self.state_dir, ready_timeout=20, **kw)

    def get(self, path: str = "/", **kw):
        return http_get(self.gw_port, path, **kw)

    def admin(self, path: str):
        status, body, _ = http_get(self.admin_port, path)
        return status, json.loads(body) if path != "/metrics" else body

    def wait_ready(self, generation: int, timeout: float = 10.0) -> float:
        """Seconds until /readyz says ready at a generation >= `generation`."""
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            status, body = self.admin("/readyz")
            if status == 200 and body["generation"] >= generation:
                return time.monotonic() - t0
            time.sleep(0.01)
        raise AssertionError(f"not ready at generation {generation}: {self.admin('/readyz')}")

    def wait_status(self, path: str, want: int, timeout: float = 5.0) -> float:
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            with contextlib.suppress(OSError):
                if self.get(path, timeout=1)[0] == want:
                    return time.monotonic() - t0
            time.sleep(0.005)
        raise AssertionError(f"{path} never answered {want}")

    def close(self) -> None:
        self.echo.shutdown()
        self.echo.server_close()


def pid_alive(pid: int) -> bool:
    """True while the process exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"
