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
- repeated values of Envoy's inline headers (JOINED) -> one comma-joined value, as Envoy's codec
  presents them; outcomes are compared after the same joining (a filter that adds a second `vary`
  value is joined by Envoy's header map too).
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
    headers = join_inline(_empty_body_chunked(_ows(req.headers), req.body))
    return dataclasses.replace(req, client_ip=ip, headers=headers)


def map_response(resp: Response | None) -> Response:
    if resp is None:
        return Response(200, [(b"content-length", b"0")], None)
    headers = join_inline(_empty_body_chunked(_ows(resp.headers), resp.body))
    if resp.body is None and resp.status not in (204, 304) and b"content-length" not in dict(headers):
        headers.append((b"content-length", b"0"))  # HTTP/1.1 framing for "no body"
    return dataclasses.replace(resp, headers=headers)


HOST_FUNCTIONS = ("random_id(", "env(")
# Envoy's HTTP/1 codec joins repeated values of these headers into one comma-separated value (they are
# "inline" headers of its header map), so the filter sees one value: the input is mapped the same way.
JOINED = {b"vary", b"cache-control", b"accept-encoding", b"via", b"x-forwarded-for"}


def join_inline(headers):
    out, seen = [], {}
    for k, v in headers:
        if k in JOINED and k in seen:
            out[seen[k]] = (k, out[seen[k]][1] + b"," + v)
        else:
            seen.setdefault(k, len(out))
            out.append((k, v))
    return out


def exclusion(item_id: str, req: Request, sources: list[str]) -> str | None:
    if any(f in src for src in sources for f in HOST_FUNCTIONS):
        return ("env()/random_id() answer from Envoy's process environment and WASI random_get, which the "
                "reference VM cannot replay (the vector tier seeds them per case)")
    if not req.method.isupper():
        return "Envoy's HTTP/1 parser answers 400 to a method that is not upper case"
    if req.scheme not in (b"http", b"https"):
        return f"scheme {req.scheme!r}: a listener can only present http or https"
    return EXCLUDED.get(item_id)
