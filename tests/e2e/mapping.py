"""How a behaviour vector case travels over real HTTP/1.1 into Envoy, and what the upstream answers.

Some inputs of the shared vectors cannot be carried by a real connection as written. Each is mapped to
the nearest input that can, and *all three engines* (reference VM, wasmtime harness, real Envoy) run the
mapped input, so agreement is still exact; the vector's own expectations stay checked by the
`tests/vectors` tier on the original input. docs/e2e.md lists the same rules.

- client_ip outside 127/8 -> 127.0.0.2 (the client binds that source address; only loopback is usable).
- scheme https -> sent to a second listener whose HCM overwrites `:scheme` to https (no TLS needed).
- header values: leading/trailing SP/HTAB removed (HTTP/1.1 optional whitespace; Envoy's codec drops it).
- an empty body (b"") -> `transfer-encoding: chunked` with no data chunk instead of `content-length: 0`:
  Envoy turns `content-length: 0` into end-of-stream on the headers (no body), chunked gives headers plus
  an empty end-of-stream data frame (a body). Same for empty upstream bodies.
- an upstream response without a body gets `content-length: 0` (HTTP/1.1 framing; Envoy then sees
  end-of-stream on the headers, which is what "no body" means to the filter).
- no upstream response in the case -> the upstream answers `200` with `content-length: 0` (a real proxy
  always gets an answer), so the response phase of the rules runs in every engine.
Exclusions (EXCLUDED) are inputs no real request can express at all.
"""
from __future__ import annotations

import dataclasses

from kgw_rules.exchange import Request, Response

SUBSTITUTE_IP = b"127.0.0.2"
# id fragment -> reason. Keep this minimal: every entry is a case Envoy cannot be sent faithfully.
EXCLUDED = {
    "skipped_writes::body writes on an upgraded stream are skipped::websocket":
        "an `upgrade: websocket` request is a WebSocket handshake in Envoy: without upgrade_configs Envoy "
        "strips `upgrade`/`connection` (the filter never sees them); with them, the stream becomes a tunnel "
        "and needs a 101 from the upstream, so the vector's plain-HTTP exchange cannot be replayed",
}


def _ows(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    return [(k, v.strip(b" \t")) for k, v in headers]


def _empty_body_chunked(headers, body):
    if body == b"":
        headers = [(k, v) for k, v in headers if k != b"content-length"] + [(b"transfer-encoding", b"chunked")]
    return headers


def map_request(req: Request) -> Request:
    ip = req.client_ip if req.client_ip.startswith(b"127.") else SUBSTITUTE_IP
    return dataclasses.replace(req, client_ip=ip, headers=_empty_body_chunked(_ows(req.headers), req.body))


def map_response(resp: Response | None) -> Response:
    if resp is None:
        return Response(200, [(b"content-length", b"0")], None)
    headers = _empty_body_chunked(_ows(resp.headers), resp.body)
    if resp.body is None and resp.status not in (204, 304) and b"content-length" not in dict(headers):
        headers.append((b"content-length", b"0"))  # HTTP/1.1 framing for "no body"
    return dataclasses.replace(resp, headers=headers)


def exclusion(item_id: str, req: Request) -> str | None:
    if req.scheme not in (b"http", b"https"):
        return f"scheme {req.scheme!r}: a listener can only present http or https"
    return EXCLUDED.get(item_id)
