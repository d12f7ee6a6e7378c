"""L4 through a real Envoy driven by `kgw up`: a TLS passthrough listener hands the client the backend's own
certificate (the Gateway holds none, and the backend sees the client's SNI), a TLS Terminate listener on the same
port answers with the Gateway's certificate and forwards plain bytes, a UDP datagram makes the round trip, and
a TCP listener splits connections by weight. Backends: kgw_controller.echo_l4 on loopback."""
from __future__ import annotations

import collections
import json
import socket
import ssl
import time
from pathlib import Path

import pytest

from kgw_controller import echo_l4
from kgw_controller.embedded import EmbeddedUp
from kgw_controller.runner import UpOptions
from tests.conformance.conf_certs import make_ca, make_leaf
from tests.support.apiserver import free_port
from tests.support.manifests import gateway_yaml

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(90)]
GATEWAY = "127.0.0.61"
BACKEND, BACKEND_2 = "127.0.0.62", "127.0.0.63"


def _manifests(tls_port: int, tcp_port: int, udp_port: int, terminate: tuple[str, str], log: Path) -> str:
    def indent(text: str) -> str:
        return "\n".join("    " + line for line in text.strip().splitlines())
    return gateway_yaml([
        "name: pass, port: 8443, protocol: TLS, hostname: db.example.com, tls: {mode: Passthrough}",
        "name: term, port: 8443, protocol: TLS, hostname: edge.example.com, tls: {certificateRefs: [{name: edge}]}",
        ("tcp", 9000, "TCP"), ("udp", 9000, "UDP")],
        name="l4", spec_extra=f"  addresses: [{{type: IPAddress, value: {GATEWAY}}}]\n") + f"""---
apiVersion: v1
kind: Secret
metadata: {{name: edge, namespace: default}}
type: kubernetes.io/tls
stringData:
  tls.crt: |
{indent(terminate[0])}
  tls.key: |
{indent(terminate[1])}
---
apiVersion: v1
kind: Service
metadata: {{name: db, namespace: default}}
spec:
  ports: [{{name: tls, port: 443}}, {{name: tcp, port: 80}}, {{name: udp, port: 53, protocol: UDP}}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {{name: db-1, namespace: default, labels: {{kubernetes.io/service-name: db}}}}
addressType: IPv4
ports:
- {{name: tls, port: {tls_port}}}
- {{name: tcp, port: {tcp_port}}}
- {{name: udp, port: {udp_port}, protocol: UDP}}
endpoints: [{{addresses: [{BACKEND}]}}]
---
apiVersion: v1
kind: Service
metadata: {{name: db-2, namespace: default}}
spec:
  ports: [{{name: tcp, port: 80}}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {{name: db-2-1, namespace: default, labels: {{kubernetes.io/service-name: db-2}}}}
addressType: IPv4
ports: [{{name: tcp, port: {tcp_port}}}]
endpoints: [{{addresses: [{BACKEND_2}]}}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: TLSRoute
metadata: {{name: db, namespace: default}}
spec:
  parentRefs: [{{name: l4, sectionName: pass}}]
  hostnames: [db.example.com]
  rules: [{{backendRefs: [{{name: db, port: 443}}]}}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: TLSRoute
metadata: {{name: edge, namespace: default}}
spec:
  parentRefs: [{{name: l4, sectionName: term}}]
  hostnames: [edge.example.com]
  rules: [{{backendRefs: [{{name: db, port: 80}}]}}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: TCPRoute
metadata: {{name: split, namespace: default}}
spec:
  parentRefs: [{{name: l4, sectionName: tcp}}]
  rules: [{{backendRefs: [{{name: db, port: 80, weight: 3}}, {{name: db-2, port: 80, weight: 1}}]}}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: UDPRoute
metadata: {{name: dns, namespace: default}}
spec:
  parentRefs: [{{name: l4, sectionName: udp}}]
  rules: [{{backendRefs: [{{name: db, port: 53}}]}}]
---
apiVersion: gateway.kgateway.dev/v1alpha1
kind: HTTPListenerPolicy
metadata: {{name: logs, namespace: default}}
spec:
  targetRefs: [{{group: gateway.networking.k8s.io, kind: Gateway, name: l4}}]
  accessLog: [{{fileSink: {{path: {log}, stringFormat: "conn %UPSTREAM_HOST% %BYTES_RECEIVED%\\n"}}}}]
"""


@pytest.fixture(scope="module")
def l4(tmp_path_factory):
    root = tmp_path_factory.mktemp("l4")
    ca = make_ca(root)
    make_leaf(root, ca, "backend", ["db.example.com"])
    terminate = make_leaf(root, ca, "edge", ["edge.example.com"])
    tls_port, tcp_port, udp_port = free_port(), free_port(), free_port()
    servers = [
        echo_l4.start_tcp(BACKEND, tls_port, service="db",
                          tls=echo_l4.server_tls(str(root / "backend.crt"), str(root / "backend.key"))),
        echo_l4.start_tcp(BACKEND, tcp_port, service="db"),
        echo_l4.start_tcp(BACKEND_2, tcp_port, service="db-2"),
        echo_l4.start_udp(BACKEND, udp_port, service="db"),
    ]
    manifests = root / "manifests"
    manifests.mkdir()
    log = root / "access.log"
    (manifests / "l4.yaml").write_text(_manifests(tls_port, tcp_port, udp_port, terminate, log))
    offset = 20000 + free_port() % 20000
    opts = UpOptions(directory=manifests, admin=f"127.0.0.1:{free_port()}", port_offset=offset,
                     state_dir=root / "state")
    try:
        with EmbeddedUp(opts) as up:
            _wait_ready(up)
            yield {"offset": offset, "ca": str(ca[0]), "backend_cert": (root / "backend.crt").read_text(),
                   "log": log, "tcp_port": tcp_port}
    finally:
        for s in servers:
            s.shutdown()
            s.server_close()


def _wait_ready(up: EmbeddedUp) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        runner = up.runner
        if runner.generation and runner.ready_generation == runner.generation:
            return
        time.sleep(0.05)
    raise AssertionError(f"kgw up never became ready: {up.lines}")


def _tls_exchange(port: int, sni: str, ca: str) -> tuple[bytes, dict]:
    ctx = ssl.create_default_context(cafile=ca)
    with socket.create_connection((GATEWAY, port), timeout=5) as raw, ctx.wrap_socket(raw, server_hostname=sni) as s:
        lines = s.makefile("rb")
        assert lines.readline() == echo_l4.WELCOME
        s.sendall(b"TEST\n")
        return s.getpeercert(binary_form=True), json.loads(lines.readline())


def _der(pem: str) -> bytes:
    return ssl.PEM_cert_to_DER_cert(pem)


def test_tls_passthrough_hands_the_client_the_backends_certificate(l4):
    peer, seen = _tls_exchange(8443 + l4["offset"], "db.example.com", l4["ca"])
    assert peer == _der(l4["backend_cert"])  # byte for byte: Envoy never terminated this connection
    assert seen["isTLS"] is True and seen["tls"]["serverName"] == "db.example.com" and seen["service"] == "db"


def test_tls_terminate_on_the_same_port_answers_with_the_gateways_certificate(l4):
    peer, seen = _tls_exchange(8443 + l4["offset"], "edge.example.com", l4["ca"])
    assert peer != _der(l4["backend_cert"])
    assert ssl.DER_cert_to_PEM_cert(peer) and seen["isTLS"] is False and seen["service"] == "db"


def test_an_sni_no_listener_serves_is_refused(l4):
    ctx = ssl.create_default_context(cafile=l4["ca"])
    with pytest.raises((ssl.SSLError, ConnectionError)), \
            socket.create_connection((GATEWAY, 8443 + l4["offset"]), timeout=5) as raw:
        ctx.wrap_socket(raw, server_hostname="other.example.com")


def test_udp_round_trip(l4):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(5)
        s.sendto(b"hello over udp", (GATEWAY, 9000 + l4["offset"]))
        answer, source = s.recvfrom(4096)
    assert source == (GATEWAY, 9000 + l4["offset"])  # the answer comes back through Envoy
    assert json.loads(answer) | {"pod": ""} == {"request": "hello over udp", "namespace": "default", "ingress": "",
                                                "service": "db", "pod": ""}


def test_tcp_connections_split_by_weight(l4):
    seen = collections.Counter()
    for _ in range(200):
        with socket.create_connection((GATEWAY, 9000 + l4["offset"]), timeout=5) as s:
            lines = s.makefile("rb")
            assert lines.readline() == echo_l4.WELCOME
            s.sendall(b"TEST\n")
            seen[json.loads(lines.readline())["service"]] += 1
    # 3:1 over 200 connections: 150 expected for db; +-30 is more than 4 standard deviations (6.1)
    assert set(seen) == {"db", "db-2"} and 120 <= seen["db"] <= 180, seen


def test_http_listener_policy_logs_each_tcp_connection(l4):
    with socket.create_connection((GATEWAY, 9000 + l4["offset"]), timeout=5) as s:
        lines = s.makefile("rb")
        assert lines.readline() == echo_l4.WELCOME
        s.sendall(b"PING\n")
        assert lines.readline() == b"PONG\n"

    def logged():
        text = l4["log"].read_text() if l4["log"].exists() else ""
        return [ln for ln in text.splitlines() if ln.startswith("conn ") and ln.endswith(" 5")]
    deadline = time.monotonic() + 5  # kgw up flushes access logs every 250 ms
    while not logged() and time.monotonic() < deadline:
        time.sleep(0.05)
    # one line for the connection: the backend it went to and the 5 bytes the client sent
    assert any(f":{l4['tcp_port']} " in ln for ln in logged()), l4["log"].read_text() if l4["log"].exists() else ""
