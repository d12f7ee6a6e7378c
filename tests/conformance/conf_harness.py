"""One Gateway (one Envoy) in front of echo backends on loopback addresses, served by `kgw up` or by
`kgw controller` against a real API server (tests/support/modes.py): the same cases run in both modes.

Requests go to the Gateway address with the declared listener port + a free offset; helpers return what the
client saw and, through the echo JSON, what the backend received.
"""
from __future__ import annotations

import contextlib
import http.client
import json
import random
import socket
import ssl
import time
from dataclasses import dataclass
from pathlib import Path

import yaml
from conf_certs import make_ca, make_leaf
from conf_infra import BACKENDS, GATEWAY_ADDRESS, INFRA, WEB, infra_yaml, secret_yaml
from conf_l4 import CHECKS_HOSTS, PASSTHROUGH_HOSTS, TERMINATE_CERT, TERMINATE_HOSTS, L4Backends, backends_yaml
from conf_l4 import addresses as l4_addresses
from conf_pki import TLS_BACKENDS, make_pki
from conf_routes import ROUTES
from conf_upstream import UPSTREAM_MANIFESTS, VALIDITY_CERT, VALIDITY_HOSTS
from conf_upstream_addresses import ALL_MANIFESTS as ADDRESS_MANIFESTS
from conf_upstream_gateway import ALL_MANIFESTS, CERTIFICATE
from conf_upstream_grpcroute import GATEWAY_MANIFESTS as GRPCROUTE_GATEWAYS
from conf_upstream_httproute import GATEWAY_MANIFESTS as HTTPROUTE_GATEWAYS
from conf_upstream_l4 import ALL_L4_MANIFESTS
from conf_upstream_listenerset import ALL_MANIFESTS as LISTENERSET_MANIFESTS
from conf_upstream_tls import ALL_MANIFESTS as TLS_MANIFESTS

from kgw_controller import echo, echo_grpc
from kgw_controller.proxyports import PRIVILEGED_SHIFT, proxy_port
from tests.support.modes import ClusterMode, UpMode


def _free(addr: str, port: int, udp: bool = False) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM if udp else socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((addr, port))
        except OSError:
            return False
    return True


def _bound(manifests: list[str]) -> set[tuple[str, int, bool]]:
    """(address, declared port, UDP?) of every listener of the Gateways that name an address, and of the
    ListenerSets attached to them."""
    out, addresses, sets = set(), {}, []
    for text in manifests:
        for doc in yaml.safe_load_all(text):
            if doc and doc["kind"] == "Gateway" and doc["spec"].get("addresses"):
                # an address without a value is the default one both modes bind (127.0.0.1)
                values = [a.get("value") or "127.0.0.1" for a in doc["spec"]["addresses"]
                          if a.get("type", "IPAddress") == "IPAddress"]
                addresses[doc["metadata"]["name"]] = values
                out.update((address, ls["port"], ls["protocol"] == "UDP")
                           for address in values for ls in doc["spec"]["listeners"])
            elif doc and doc["kind"] == "ListenerSet":
                sets.append(doc)
    for doc in sets:
        for address in addresses.get(doc["spec"]["parentRef"]["name"], ()):
            out.update((address, ls["port"], ls["protocol"] == "UDP") for ls in doc["spec"]["listeners"])
    return out


def _pick_offset(bound: set[tuple[str, int, bool]]) -> int:
    highest = max(p for _, p, _ in bound)
    for _ in range(200):
        offset = random.randrange(20000, 60000 - highest - PRIVILEGED_SHIFT)
        if all(_free(addr, p + offset, udp) and _free(addr, proxy_port(p) + offset, udp) for addr, p, udp in bound):
            return offset
    raise RuntimeError("no port offset free on every Gateway address")


def _pick_backend_port(addresses: list[str], taken: tuple[int, ...] = ()) -> int:
    """A port free for TCP and UDP on every backend address."""
    for _ in range(200):
        port = random.randrange(20000, 60000)
        if port not in taken and all(_free(a, port) and _free(a, port, udp=True) for a in addresses):
            return port
    raise RuntimeError("no port free on every backend address")


@dataclass
class Response:
    status: int
    headers: dict[str, str]  # lower-cased names; repeated values joined with ","
    body: bytes

    def echoed(self) -> dict:
        """The request as the echo backend saw it (only for responses that came from a backend)."""
        return json.loads(self.body)


class Harness:
    def __init__(self, root: Path, mode: str = "up", apiserver=None):
        self.root = root
        self.backend_port = _pick_backend_port([addr for _, addr, _ in BACKENDS.values()]
                                               + [addr for _, addr in TLS_BACKENDS.values()])
        ca = make_ca(root)
        self.ca_file = str(ca[0])
        self.certs = {n: make_leaf(root, ca, n, [f"{n}.example.org"]) for n in ("a", "b", "c")}
        infra = infra_yaml(self.backend_port, self.certs)
        infra += "---\n" + secret_yaml(VALIDITY_CERT, INFRA, *make_leaf(root, ca, "validity", VALIDITY_HOSTS))
        infra += secret_yaml(CERTIFICATE, WEB, *make_leaf(root, ca, "certificate", ["secure.test.com"]))
        self.pki = make_pki(root / "pki")
        infra += self.pki.manifests
        self.offset = _pick_offset(_bound([infra, *ROUTES.values(), *UPSTREAM_MANIFESTS.values(),
                                           *ALL_MANIFESTS,
                                           *LISTENERSET_MANIFESTS, *TLS_MANIFESTS, *ADDRESS_MANIFESTS,
                                           *ALL_L4_MANIFESTS, *HTTPROUTE_GATEWAYS,
                                           *GRPCROUTE_GATEWAYS]))
        self.http_backends, self.grpc_backends = {}, {}
        for name, (ns, addr, kind) in BACKENDS.items():
            if kind == "grpc":
                self.grpc_backends[name] = echo_grpc.start(addr, self.backend_port, namespace=ns, service=name)[0]
            else:
                self.http_backends[name] = echo.start_in_thread(addr, self.backend_port, namespace=ns, service=name)
        for name, (ns, addr) in TLS_BACKENDS.items():
            tls = self.pki.server_context("tls-checks-ca-certificate" if "client-cert" in name else None)
            self.http_backends[name] = echo.start_in_thread(addr, self.backend_port, namespace=ns, service=name,
                                                            tls=tls)
        l4 = self._start_l4_backends(ca)
        self.mode = (ClusterMode(root / "cluster", apiserver, self.offset) if mode == "cluster"
                     else UpMode(root, self.offset))
        self.write("00-infra.yaml", infra)
        self.write("00-l4-backends.yaml", l4)
        # kgw up reads experimental-channel fields; the test API server has the standard-channel CRDs only
        self.experimental_channel = mode == "up"
        for name, text in {**ROUTES, **UPSTREAM_MANIFESTS}.items():
            self.write(name, text)

    def _start_l4_backends(self, ca) -> str:
        """TCP/TLS/UDP echo backends (conf_l4.py); returns their Services, EndpointSlices and the Terminate
        listeners' Secret."""
        files = {}
        for name, hosts in (("passthrough", PASSTHROUGH_HOSTS), ("checks", CHECKS_HOSTS),
                            ("terminate", TERMINATE_HOSTS)):
            cert, key = make_leaf(self.root, ca, f"l4-{name}", hosts)
            files[name] = (self.root / f"l4-{name}.crt", self.root / f"l4-{name}.key")
            if name == "terminate":
                terminate = secret_yaml(TERMINATE_CERT, INFRA, cert, key)
        self.l4_plain_port = _pick_backend_port(l4_addresses())
        self.l4_tls_port = _pick_backend_port(l4_addresses(), (self.l4_plain_port,))
        self.l4_backends = L4Backends.start(self.l4_plain_port, self.l4_tls_port, files["passthrough"], files["checks"])
        return backends_yaml(self.l4_plain_port, self.l4_tls_port) + terminate

    # --- lifecycle ---------------------------------------------------------------------------------
    def start(self) -> Harness:
        self.mode.start()
        return self

    def close(self) -> None:
        try:
            self.mode.close()
        finally:
            for server in self.http_backends.values():
                server.shutdown()
                server.server_close()
            for server in self.grpc_backends.values():
                server.stop(0)
            self.l4_backends.close()

    def write(self, name: str, text: str) -> None:
        self.mode.write(name, text)

    def remove(self, name: str) -> None:
        self.mode.remove(name)

    def apply(self, name: str, text: str | None) -> None:
        """Write (None: remove) one manifest file and wait until it is applied and every proxy is ready."""
        if text is None:
            self.remove(name)
        else:
            self.write(name, text)
        self.mode.settle()

    @contextlib.contextmanager
    def applied(self, name: str, text: str):
        """Objects that exist only while one test runs, as the upstream suite applies a test's manifests
        before it and deletes them after."""
        self.apply(name, text)
        try:
            yield self
        finally:
            self.apply(name, None)

    # --- controller ---------------------------------------------------------------------------------
    def admin(self, path: str) -> tuple[int, dict]:
        """The admin API of `kgw up` / of the controller (same shape for /status and /readyz)."""
        return self.mode.admin(path)

    def status_of(self, kind: str, namespace: str, name: str) -> dict:
        return self.mode.status_of(kind, namespace, name)

    def generation_of(self, kind: str, namespace: str, name: str) -> int:
        return self.mode.generation_of(kind, namespace, name)

    def gateway_address(self) -> dict:
        return self.mode.gateway_address(f"{INFRA}/conformance", GATEWAY_ADDRESS)

    # --- traffic ------------------------------------------------------------------------------------
    def port(self, declared: int) -> int:
        """Where a Gateway listener is reached here. In a cluster the proxy serves ports below 1024 on
        port + 8000 and its Service maps them back; with no Service in between, the client dials that."""
        return (proxy_port(declared) if self.mode.name == "cluster" else declared) + self.offset

    def request(self, host: str, path: str, method: str = "GET", headers: dict | None = None, port: int = 80,
                body: bytes | None = None, timeout: float = 5.0, address: str = GATEWAY_ADDRESS) -> Response:
        conn = http.client.HTTPConnection(address, self.port(port), timeout=timeout)
        try:
            conn.request(method, path, body=body, headers={"Host": host, **(headers or {})})
            return _response(conn.getresponse())
        finally:
            conn.close()

    def https(self, sni: str, host: str, path: str = "/", port: int = 443, timeout: float = 5.0,
              address: str = GATEWAY_ADDRESS, client_certificate: str | None = None) -> Response:
        """`client_certificate`: the name of a client certificate Secret of the PKI (conf_pki.py) to present."""
        ctx = ssl.create_default_context(cafile=self.ca_file)
        ctx.check_hostname = False  # SNI and Host differ on purpose in some cases; the chain is still verified
        if client_certificate:
            ctx.load_cert_chain(*self.pki.client_files[client_certificate])
        conn = _SNIConnection(address, self.port(port), timeout=timeout, context=ctx)
        conn.sni = sni
        try:
            conn.request("GET", path, headers={"Host": host})
            resp = _response(conn.getresponse())
            resp.headers["x-test-peer-cert-cn"] = _peer_cn(conn.sock)
            return resp
        finally:
            conn.close()

    def wait_for(self, check, timeout: float = 10.0, what: str = "condition"):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError, ssl.SSLError, http.client.HTTPException):
                last = check()
                if last:
                    return last
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what} (last: {last!r})")


class _SNIConnection(http.client.HTTPSConnection):
    """HTTPS to an IP address with a chosen SNI (http.client always sends the address it connects to)."""

    sni = ""

    def connect(self):
        http.client.HTTPConnection.connect(self)
        self.sock = self._context.wrap_socket(self.sock, server_hostname=self.sni)


def _response(resp) -> Response:
    headers: dict[str, str] = {}
    for name, value in resp.getheaders():
        key = name.lower()
        headers[key] = f"{headers[key]},{value}" if key in headers else value
    return Response(resp.status, headers, resp.read())


def _peer_cn(sock) -> str:
    cert = sock.getpeercert() if sock else None
    for rdn in (cert or {}).get("subject", ()):
        for key, value in rdn:
            if key == "commonName":
                return value
    return ""
