"""Real Envoy as a third engine for the behaviour vectors: one Envoy process, one route per case (matched
on the `x-kgw-case` request header, which no vector reads), one bundle holding every vector's programs
keyed by route name, and an upstream that records what it received and answers the case's response.

What is observed becomes a `kgw_rules.exchange.Outcome`, so `outcome_difference` compares it with the
reference VM and the wasmtime harness field by field. `skipped` comes from the filter's debug log
(`kgw skipped: <code>: ...`), attributed to a case by a marker request sent after it (Envoy runs one
worker, so log lines arrive in request order). `log_fields` come from a JSON access log that prints every
`set log` field any program names, as an HTTPListenerPolicy format would (`%FILTER_STATE(wasm.kgw.NAME:PLAIN)%`,
the key both builds write)."""
from __future__ import annotations

import json
import pathlib
import time

import kgw_rules
from kgw_rules.exchange import LocalResponse, Outcome, Request, Response
from kgw_rules.wire import BundleRoute, encode_bundle
from kgw_rules.wire.stats import log_field_format

from . import envoy as E
from .wire import Message, Upstream, encode, request

CASE_HEADER, UPSTREAM_HEADER = b"x-kgw-case", b"x-kgw-upstream-case"
# Headers Envoy itself adds on the way (HCM, router) or that the tier uses for routing: not the rules'.
ENVOY_REQUEST_HEADERS = {CASE_HEADER, UPSTREAM_HEADER, b"x-forwarded-proto", b"x-envoy-expected-rq-timeout-ms"}
ENVOY_RESPONSE_HEADERS = {b"date"}
SKIP_PREFIX = "kgw skipped: "
# logs exactly the skips host, path, method (an order no vector produces), then answers
MARKER = 'on request {\n set host = header("x-kgw-marker")\n set path = header("x-kgw-marker")\n' \
         ' set method = header("x-kgw-marker")\n respond 204\n}'
MARKER_CODES = ["host", "path", "method"]


class VectorEnvoy:
    """`run(i, request, response) -> Outcome` for the i-th case given to the constructor."""

    def __init__(self, cases: list[tuple[list[bytes], Request, Response]], workdir: pathlib.Path,
                 native: bool = False):
        """`native`: the dynamic module, each case's programs on its route (DynamicModuleFilterPerRoute)
        as the controller configures it, instead of the wasm filter's one bundle keyed by route name."""
        self.cases = cases
        self.native = native
        programs: dict[str, bytes] = {"marker": kgw_rules.compile(MARKER, "marker").to_bytes(strip=True)}
        ids: dict[tuple[bytes, ...], tuple[str, ...]] = {}
        bundle_routes = [BundleRoute(b"marker", b"e2e/marker/0", ("marker",))]
        for i, (blobs, req, _) in enumerate(cases):
            key = tuple(blobs)
            if key not in ids:  # vectors share programs across their cases
                ids[key] = tuple(f"p{len(programs) + j}" for j in range(len(blobs)))
                programs.update(zip(ids[key], blobs, strict=True))
            # the route name selects the programs; `route` in the rules reads the case's own value
            bundle_routes.append(BundleRoute(f"case-{i}".encode(), req.route, ids[key]))
        self.plugin = encode_bundle(programs, bundle_routes)
        # native: one bundle per route, its only entry the wildcard (no route name is read)
        self.route_plugins = {r.xds_name: encode_bundle({p: programs[p] for p in r.programs},
                                                        [BundleRoute(b"", r.route, r.programs)])
                              for r in bundle_routes}
        self.upstream = Upstream(self._respond)
        self.workdir = workdir
        self.log_fields = sorted({f for blob in programs.values()
                                  for f in kgw_rules.Program.from_bytes(blob).log_field_names()})
        self.fields_log = workdir / "fields.log"
        self.fields_seen = 0  # bytes of it already read: cases run in order
        self.seen: dict[int, Message] = {}

    def _respond(self, msg: Message):
        i = int(msg.header(UPSTREAM_HEADER))
        self.seen[i] = msg
        resp = self.cases[i][2]
        chunked = resp.body == b""
        headers = [(k, v) for k, v in resp.headers if not (chunked and k == b"transfer-encoding")]
        if chunked:
            headers.append((b"transfer-encoding", b"chunked"))
        return b"HTTP/1.1 %d X" % resp.status, headers, resp.body, chunked

    def __enter__(self):
        self.upstream.__enter__()
        self.http, self.https = E.free_port(), E.free_port()
        filters = [E.native_filter()] if self.native else [E.kgw_filter(self.plugin)]
        fields = {"case": f"%REQ({CASE_HEADER.decode()})%", **{f: log_field_format(f) for f in self.log_fields}}
        logs = {"access_log": [{"name": "envoy.access_loggers.file", "typed_config": {
            "@type": E.T + "envoy.extensions.access_loggers.file.v3.FileAccessLog", "path": str(self.fields_log),
            "log_format": {"json_format": fields}}}]}
        listeners = [E.listener("http", self.http, self._routes(), filters, **logs),
                     E.listener("https", self.https, self._routes(), filters, **logs,
                                scheme_header_transformation={"scheme_to_overwrite": "https"})]
        self.envoy = E.Envoy(listeners, [E.cluster("upstream", self.upstream.port)], self.workdir,
                             log_level="error", wasm_debug=True, native=self.native,
                             extra_args=("--file-flush-interval-msec", "5")).__enter__()
        self.markers = 0
        return self

    def _per_route(self, name: str) -> dict:
        return {"typed_per_filter_config": E.native_route_programs(self.route_plugins[name.encode()])} \
            if self.native else {}

    def _routes(self):
        out = []
        for i in range(len(self.cases)):
            out.append(E.route(f"case-{i}", {"prefix": "", "headers": [
                {"name": CASE_HEADER.decode(), "string_match": {"exact": str(i)}}]},
                request_headers_to_add=[{"header": {"key": UPSTREAM_HEADER.decode(), "value": str(i)}}],
                **self._per_route(f"case-{i}")))
        out.append({"name": "marker", "match": {"prefix": "", "headers": [
            {"name": "x-kgw-marker", "present_match": True}]}, "direct_response": {"status": 200},
            **self._per_route("marker")})
        return out

    def __exit__(self, *exc):
        self.envoy.__exit__()
        self.upstream.__exit__()

    def _log_after_marker(self, start: int) -> list[str]:
        """Send the marker, wait for its skip line, return the skip codes logged since `start`."""
        request(self.http, b"GET / HTTP/1.1\r\nhost: m\r\nx-kgw-marker: a b\r\n\r\n")
        self.markers += 1
        deadline = time.time() + 5
        while True:
            lines = [ln.split(SKIP_PREFIX, 1)[1].split(":", 1)[0] for ln in self.envoy.log[start:] if SKIP_PREFIX in ln]
            if lines[-3:] == MARKER_CODES:  # the marker's lines come after every line of the case
                break
            if time.time() > deadline:
                raise AssertionError("marker skip line never arrived; log tail:\n" + "\n".join(self.envoy.log[-10:]))
            time.sleep(0.002)
        return lines[:-3]

    def _log_fields(self, i: int) -> dict[bytes, bytes]:
        """The case's access-log line (written when its stream ends, flushed every 5 ms): the fields set."""
        deadline = time.time() + 5
        while True:
            if self.fields_log.exists():
                with self.fields_log.open("rb") as f:
                    f.seek(self.fields_seen)
                    complete = f.read().rpartition(b"\n")[0]
                for line in complete.splitlines():
                    self.fields_seen += len(line) + 1
                    entry = json.loads(line)
                    if entry.pop("case") == str(i):
                        return {k.encode(): v.encode() for k, v in entry.items() if v is not None}
            if time.time() > deadline:
                raise AssertionError(f"no access-log line for case {i} in {self.fields_log}")
            time.sleep(0.005)

    def run(self, i: int) -> Outcome:
        _, req, resp = self.cases[i]
        start = len(self.envoy.log)
        chunked = req.body == b"" or (b"transfer-encoding", b"chunked") in req.headers
        headers = [(b"host", req.host), (CASE_HEADER, str(i).encode())]
        headers += [(k, v) for k, v in req.headers]
        raw = encode(req.method + b" " + req.url + b" HTTP/1.1", headers, req.body, chunked)
        if chunked:  # encode() writes the transfer-encoding framing itself
            raw = raw.replace(b"transfer-encoding: chunked\r\n", b"", 1).replace(
                b"\r\n\r\n", b"\r\ntransfer-encoding: chunked\r\n\r\n", 1)
        port = self.https if req.scheme == b"https" else self.http
        reply = request(port, raw, source_ip=req.client_ip.decode(), head=req.method == b"HEAD")
        skipped = self._log_after_marker(start)
        log_fields = self._log_fields(i)
        seen = self.seen.pop(i, None)
        upstream = None if seen is None else self._upstream_request(seen, req)
        headers = [(k, v) for k, v in reply.headers if k not in ENVOY_RESPONSE_HEADERS]
        if seen is None:
            # Envoy frames a local reply itself: content-length and `connection: close` are not the rules'
            headers = [(k, v) for k, v in headers if k not in (b"content-length", b"connection")]
            local = LocalResponse(reply.status, headers, reply.body or b"", "request")
            return Outcome(upstream, None, local, skipped, log_fields=log_fields)
        return Outcome(upstream, Response(reply.status, headers, _body(reply)), None, skipped, log_fields=log_fields)

    @staticmethod
    def _upstream_request(seen: Message, req: Request) -> Request:
        method, url, _ = seen.start.split(b" ", 2)
        host = seen.header(b"host") or b""
        headers = [(k, v) for k, v in seen.headers if k != b"host" and k not in ENVOY_REQUEST_HEADERS]
        if b"content-length" not in dict(req.headers):
            # Envoy's HTTP/1 encoder adds `content-length: 0` to a body-less POST/PUT/...: framing, not rules
            headers = [(k, v) for k, v in headers if (k, v) != (b"content-length", b"0")]
        return Request(method, url, host, req.scheme, req.client_ip, req.route, headers, _body(seen))


def _body(msg: Message) -> bytes | None:
    """`content-length: 0` (or no framing at all) is a message without body; chunked with no data is an
    empty body (the mapping in mapping.py sends empty bodies that way)."""
    return msg.body if msg.body or msg.chunked else None


def normalise(msg) -> None:
    """transfer-encoding is written by Envoy's codec after the other headers (compare it last); an empty
    body with `content-length: 0` is indistinguishable on the wire from none; inline headers are joined."""
    from .mapping import join_inline
    h = join_inline(msg.headers)
    msg.headers = [x for x in h if x[0] != b"transfer-encoding"] + [x for x in h if x[0] == b"transfer-encoding"]
    if msg.body == b"" and (b"content-length", b"0") in msg.headers:
        msg.body = None
