"""One request to the test Gateway from a chosen loopback address (any 127/8 address is this host), so a test
can play a client and a load balancer in front of the gateway."""
from __future__ import annotations

import http.client


def send(port: int, path: str, method: str = "GET", headers: dict | None = None,
         source: str = "127.0.0.1") -> tuple[int, str, dict[str, str]]:
    """(status, body, lower-cased response headers)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5, source_address=(source, 0))
    try:
        conn.request(method, path, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.read().decode(), {k.lower(): v for k, v in resp.getheaders()}
    finally:
        conn.close()
