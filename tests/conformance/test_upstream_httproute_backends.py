"""Upstream v1.6.1 HTTPRoute tests about backends and listeners: request and backend-request timeouts, weighted
backends, h2c and WebSocket backend protocols, Service types (manual EndpointSlices, headless), HTTPS listeners
and misdirected requests over HTTP/2. Each applies its upstream objects while it runs."""
import base64
import os
import shutil
import socket
import subprocess

import conf_upstream_httproute as m
import conf_upstream_httproute_filters as f
import pytest
from conf_expect import Expect, accepted, expect_all, weighted
from conf_infra import BACKENDS
from conf_upstream import UPSTREAM_ADDRESSES

pytestmark = pytest.mark.e2e
SAME = "same-namespace"
HTTPS_GW = "same-namespace-with-https-listener"
V1, V2, V3 = "infra-backend-v1", "infra-backend-v2", "infra-backend-v3"


def test_HTTPRouteTimeoutRequest(gw):
    with gw.applied("upstream-httproute-timeout-request.yaml", f.TIMEOUT_REQUEST):
        accepted(gw, SAME, "request-timeout")
        expect_all(gw, SAME, [Expect("/request-timeout", V1), Expect("/request-timeout?delay=1s", status=504),
                              Expect("/disable-request-timeout?delay=1s", V1)])


def test_HTTPRouteTimeoutBackendRequest(gw):
    with gw.applied("upstream-httproute-timeout-backend-request.yaml", f.TIMEOUT_BACKEND_REQUEST):
        accepted(gw, SAME, "backend-request-timeout")
        expect_all(gw, SAME, [Expect("/backend-timeout", V1), Expect("/backend-timeout?delay=1s", status=504),
                              Expect("/disable-backend-timeout?delay=1s", V1)])


def test_HTTPRouteWeight(gw):
    """500 requests: each backend's share within 5 points of its weight (upstream TestWeightedDistribution)."""
    address = UPSTREAM_ADDRESSES[SAME]
    with gw.applied("upstream-httproute-weight.yaml", f.WEIGHT):
        accepted(gw, SAME, "weighted-backends")
        expect_all(gw, SAME, [Expect("/", "infra-backend-v")])  # any of them answers a 200
        weighted(lambda i: gw.request(address, f"/?entropy={i}", address=address).echoed()["service"],
                 {V1: 0.7, V2: 0.3, V3: 0.0})


def test_HTTPRouteServiceTypes(gw):
    _, address, _ = BACKENDS[V1]
    with gw.applied("upstream-httproute-service-types.yaml", f.service_types(address, gw.backend_port)):
        accepted(gw, SAME, "service-types")
        expect_all(gw, SAME, [Expect(f"/{name}", V1) for name in (
            "manual-endpointslices", "headless", "headless-manual-endpointslices")])


@pytest.mark.skipif(not shutil.which("curl"), reason="curl not installed")
def test_HTTPRouteBackendProtocolH2C(gw):
    address = UPSTREAM_ADDRESSES[SAME]
    with gw.applied("upstream-httproute-backend-protocol-h2c.yaml", f.BACKEND_PROTOCOL_H2C):
        accepted(gw, SAME, "backend-protocol-h2c")
        out = subprocess.run(["curl", "-s", "--http2-prior-knowledge", "-w", "\n%{http_version} %{http_code}",
                              f"http://{address}:{gw.port(80)}/"], capture_output=True, text=True, timeout=10)
        body, _, status = out.stdout.rpartition("\n")
        assert status == "2 200", out
        assert '"infra-backend-v1"' in body and '"proto": "HTTP/2.0"' in body, body


def test_HTTPRouteBackendProtocolWebSocket(gw):
    address = UPSTREAM_ADDRESSES[SAME]
    with gw.applied("upstream-httproute-backend-protocol-websocket.yaml", f.BACKEND_PROTOCOL_WEBSOCKET):
        accepted(gw, SAME, "backend-protocol-ws")
        key = base64.b64encode(os.urandom(16)).decode()
        with socket.create_connection((address, gw.port(80)), timeout=5) as s:
            s.sendall((f"GET /ws HTTP/1.1\r\nHost: {address}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                       f"Origin: ws://gateway/test\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
                       ).encode())
            head = b""
            while b"\r\n\r\n" not in head:
                head += s.recv(1024)
            head, _, rest = head.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 101"), head
            for opcode, payload in ((0x1, b"Websocket Support!"), (0x2, bytes([1, 2, 3, 4, 5, 6, 7]))):
                mask = os.urandom(4)
                s.sendall(bytes([0x80 | opcode, 0x80 | len(payload)]) + mask
                          + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))
                data = rest
                while len(data) < 2 or len(data) < 2 + data[1]:
                    data += s.recv(1024)
                assert data[0] == 0x80 | opcode and data[2:2 + data[1]] == payload, data
                rest = data[2 + data[1]:]


def test_HTTPRouteHTTPSListener(gw):
    address = UPSTREAM_ADDRESSES[HTTPS_GW]
    with gw.applied("upstream-httproute-https-listener.yaml", m.HTTPS_LISTENER):
        accepted(gw, HTTPS_GW, "httproute-https-test", "httproute-https-test-no-hostname")
        for host, status, backend in (("example.org", 200, V1), ("unknown-example.org", 404, None),
                                      ("second-example.org", 200, V2)):
            resp = gw.https(host, host, "/", address=address)  # verified against the Secret's CA
            assert resp.status == status, (host, resp.status)
            if backend:
                assert resp.echoed()["service"] == backend and resp.echoed()["path"] == "/", resp.echoed()


MISDIRECTED = [
    ("example.org", "example.org", 200, V1), ("example.org", "second-example.org", 421, None),
    ("example.org", "unknown-example.org", 404, None), ("second-example.org", "second-example.org", 200, V2),
    ("second-example.org", "example.org", 421, None), ("second-example.org", "unknown-example.org", 421, None),
    ("third-example.wildcard.org", "third-example.wildcard.org", 200, V3),
    ("third-example.wildcard.org", "fith-example.wildcard.org", 200, V3),
    ("third-example.wildcard.org", "fourth-example.wildcard.org", 421, None),
    ("third-example.wildcard.org", "second-example.org", 421, None),
    ("third-example.wildcard.org", "unknown-example.org", 421, None),
    ("fourth-example.wildcard.org", "fourth-example.wildcard.org", 200, V1),
    ("fourth-example.wildcard.org", "fith-example.wildcard.org", 421, None),
    ("unknown-example.org", "example.org", 200, V1), ("unknown-example.org", "unknown-example.org", 404, None),
]


@pytest.mark.skipif(not shutil.which("curl"), reason="curl not installed")
def test_HTTPRouteHTTPSListenerDetectMisdirectedRequests(gw):
    """Over HTTP/2 (upstream's H2 protocol): SNI `server`, Host `host` -> status and backend."""
    address, port = UPSTREAM_ADDRESSES[HTTPS_GW], gw.port(443)
    path = "/detect-misdirected-requests"
    failures = []
    with gw.applied("upstream-httproute-https-listener-detect-misdirected-requests.yaml", m.DETECT_MISDIRECTED):
        accepted(gw, HTTPS_GW, *(f"https-listener-detect-misdirected-requests-test-{n}" for n in range(1, 5)))
        for server, host, status, backend in MISDIRECTED:
            # Go's verifier (upstream's client) accepts the certificate's "*.org" for unknown-example.org;
            # OpenSSL refuses a wildcard over one label, so that SNI is sent without verification
            verify = ["-k"] if server == "unknown-example.org" else ["--cacert", gw.ca_file]
            out = subprocess.run(
                ["curl", "-s", "--http2", *verify, "-w", "\n%{http_version} %{http_code}",
                 "--resolve", f"{server}:{port}:{address}", "-H", f"Host: {host}", f"https://{server}:{port}{path}"],
                capture_output=True, text=True, timeout=10)
            body, _, got = out.stdout.rpartition("\n")
            if got != f"2 {status}" or (backend and f'"service": "{backend}"' not in body):
                failures.append(f"SNI {server} Host {host}: want 2 {status} {backend}, got {got} {body[:120]}")
    assert not failures, "\n".join(failures)
