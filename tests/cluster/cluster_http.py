"""HTTP to a Gateway's address from inside the cluster's network namespace, with the interface of the
conformance harness (`request(host, path, method, headers, port) -> Response`), so table-driven cases
(tests/conformance/conf_cases.py `Case` + `check`) run unchanged against a real proxy pod behind its Service."""
from __future__ import annotations

import http.client
import sys
from pathlib import Path

from cluster_netns import NetnsExecutor

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "conformance"))
from conf_harness import Response, _response  # noqa: E402


def _request(address: str, port: int, host: str, path: str, method: str, headers: dict, body: bytes | None,
             timeout: float) -> Response:
    conn = http.client.HTTPConnection(address, port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers={"Host": host, **headers})
        return _response(conn.getresponse())
    finally:
        conn.close()


class GatewayClient:
    def __init__(self, net: NetnsExecutor, address: str):
        self.net, self.address = net, address

    def request(self, host: str, path: str, method: str = "GET", headers: dict | None = None, port: int = 80,
                body: bytes | None = None, timeout: float = 5.0) -> Response:
        return self.net.call(_request, self.address, port, host, path, method, headers or {}, body, timeout)



def http_get(address: str, port: int, path: str, timeout: float = 5.0) -> tuple[int, bytes]:
    """A plain GET (pod admin endpoints, for instance); run it on a NetnsExecutor."""
    resp = _request(address, port, address, path, "GET", {}, None, timeout)
    return resp.status, resp.body
