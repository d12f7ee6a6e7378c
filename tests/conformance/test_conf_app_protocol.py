"""Service appProtocol: kubernetes.io/h2c (HTTP/2 prior knowledge to the backend) and kubernetes.io/ws
(WebSocket upgrade through the Gateway)."""
import base64
import os
import socket

import grpc
import pytest
from conf_grpc import call
from conf_infra import GATEWAY_ADDRESS

pytestmark = pytest.mark.e2e
H = "protocols.example.com"


def test_h2c_backend_via_httproute(gw):
    # The HTTPRoute's backend is a gRPC server that only speaks HTTP/2: a call succeeds only if Envoy uses h2c.
    echoed, _, code = call(gw, "/any.Service/Method", H)
    assert code == grpc.StatusCode.OK and echoed["service"] == "grpc-infra-backend-v1"


def _ws_frame(payload: bytes) -> bytes:
    mask = os.urandom(4)
    return bytes([0x81, 0x80 | len(payload)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def test_websocket_upgrade(gw):
    key = base64.b64encode(os.urandom(16)).decode()
    with socket.create_connection((GATEWAY_ADDRESS, gw.port(80)), timeout=5) as s:
        s.sendall((f"GET /ws HTTP/1.1\r\nHost: {H}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            head += s.recv(1024)
        head, _, rest = head.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101"), head
        s.sendall(_ws_frame(b"hello over websocket"))
        data = rest
        while len(data) < 2 or len(data) < 2 + data[1]:
            data += s.recv(1024)
        assert data[0] == 0x81 and data[2:2 + data[1]] == b"hello over websocket"


def test_websocket_refused_without_ws_app_protocol(gw):
    # The same upgrade on a route whose backend port has no appProtocol ws is not upgraded.
    resp = gw.request("match.example.com", "/exact", headers={
        "Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": base64.b64encode(os.urandom(16)).decode()})
    assert resp.status != 101
