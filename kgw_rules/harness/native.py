"""The native engine: the real native module (libkgw_rules.so) under the Envoy-like dynamic-module host
of native_host.py, behind the same interface as the wasm engine (`NativeEngine().run(programs, request,
response, host=...) -> Outcome`). As the controller configures the module, the programs come as a
per-route configuration (a bundle whose only entry is the wildcard), found with
`get_most_specific_route_config`; the listener-level configuration holds none.
"""
from __future__ import annotations

import itertools
import sys

from ..exchange import HostContext, LocalResponse, Outcome, Request, Response
from ..wire.bundle import BundleRoute, encode_bundle
from ..wire.stats import ENVOY_FILTER_STATE_PREFIX, LOG_FIELD_PREFIX
from .engine import SKIP_PREFIX, ConfigRefused, StreamStalled
from .host import envoy_order
from .native_host import NativeHost, Stream

CONTINUE = 0
REQUEST_HEADER, RESPONSE_HEADER = 0, 2


def _client_address(ip: bytes) -> bytes:
    return (b"[" + ip + b"]" if b":" in ip else ip) + b":50000"


class NativeFilter:
    """One listener-level configuration and one route's programs; streams run through it one at a time."""

    _ids = itertools.count(1)

    def __init__(self, route_plugin: bytes | None, listener_plugin: bytes = b"", context: HostContext | None = None):
        self.host = NativeHost.get()
        if context is not None:
            self.host.context = context
        self.config = self.host.config_new(listener_plugin)
        try:
            self.route = self.host.per_route_config_new(route_plugin) if route_plugin is not None else None
        except ConfigRefused:
            self.host.config_destroy(self.config)
            raise

    def close(self) -> None:
        if self.route is not None:
            self.host.per_route_config_destroy(self.route)
        self.host.config_destroy(self.config)

    def exchange(self, request: Request, response: Response | None, chunk: int = 1 << 20,
                 trailers: bool = False, route_name: bytes = b"kgw-test-route") -> Outcome:
        """One stream, delivered as Envoy delivers it (`route_name`: what the xds.route_name attribute
        answers, read only by a single-program listener configuration)."""
        host = self.host
        host.stream = st = Stream()
        host.route_config = self.route
        host.client_address = _client_address(request.client_ip)
        host.route_name = route_name
        first_log = len(host.logs)
        envoy = next(self._ids)
        ptr: int | None = host.call("new", self.config, envoy)
        if not ptr:
            raise RuntimeError("the module refused a stream")
        try:
            return self._run(st, envoy, ptr, request, response, first_log, chunk, trailers)
        finally:
            host.call("destroy", ptr)
            host.stream = Stream()

    @staticmethod
    def _log_fields(st: Stream) -> dict[bytes, bytes]:
        prefix = (ENVOY_FILTER_STATE_PREFIX + LOG_FIELD_PREFIX).encode()
        return {k[len(prefix):]: v for k, v in st.filter_state.items() if k.startswith(prefix)}

    def _skipped(self, first_log: int) -> list[str]:
        return [m[len(SKIP_PREFIX):].split(":", 1)[0] for _, m in self.host.logs[first_log:]
                if m.startswith(SKIP_PREFIX)]

    def _body(self, st: Stream, envoy: int, ptr: int, direction: int, body: bytes, chunk: int,
              trailers: bool) -> bytes:
        """Deliver a body as Envoy does and return what passes on: StopIterationAndBuffer keeps a chunk in
        the buffered body, Continue passes the buffered body and the chunk on."""
        st.buffered[direction] = bytearray()
        forwarded = b""
        chunks = [body[i:i + chunk] for i in range(0, len(body), chunk)] or [b""]
        hook = "request_body" if direction == 0 else "response_body"
        for i, piece in enumerate(chunks):
            eos = i == len(chunks) - 1 and not trailers
            st.received[direction] = bytearray(piece)
            result = self.host.call(hook, envoy, ptr, eos)
            received = st.received.pop(direction)
            if st.local is not None:
                return b""
            if result == CONTINUE:
                forwarded += bytes(st.buffered[direction]) + bytes(received)
                st.buffered[direction] = bytearray()
            else:
                st.buffered[direction] += received
        if trailers:
            self.host.call("request_trailers" if direction == 0 else "response_trailers", envoy, ptr)
        return forwarded + bytes(st.buffered[direction])

    def _run(self, st: Stream, envoy: int, ptr: int, request: Request, response: Response | None, first_log: int,
             chunk: int, trailers: bool) -> Outcome:
        st.maps[REQUEST_HEADER] = envoy_order([
            (b":authority", request.host), (b":path", request.url), (b":method", request.method),
            (b":scheme", request.scheme), *request.headers])
        held = self.host.call("request_headers", envoy, ptr, request.body is None)
        if st.local is not None:
            return self._local(st, "request", first_log, None)
        body = None
        if request.body is not None:
            body = self._body(st, envoy, ptr, 0, request.body, chunk, trailers)
            if st.local is not None:
                return self._local(st, "request", first_log, None)
        elif held != CONTINUE:
            raise StreamStalled("request headers held on a request without body")
        upstream = self._upstream(st, request, body)
        if response is None:
            return Outcome(request=upstream, response=None, local_response=None, skipped=self._skipped(first_log),
                       log_fields=self._log_fields(st))
        st.maps[RESPONSE_HEADER] = envoy_order([(b":status", str(response.status).encode()), *response.headers])
        held = self.host.call("response_headers", envoy, ptr, response.body is None)
        if st.local is not None:
            return self._local(st, "response", first_log, upstream)
        rbody = None
        if response.body is not None:
            rbody = self._body(st, envoy, ptr, 1, response.body, chunk, trailers)
            if st.local is not None:
                return self._local(st, "response", first_log, upstream)
        elif held != CONTINUE:
            raise StreamStalled("response headers held on a response without body")
        pairs = st.maps[RESPONSE_HEADER]
        status = next((v for k, v in pairs if k == b":status"), b"0")
        downstream = Response(status=int(status), headers=[p for p in pairs if not p[0].startswith(b":")], body=rbody)
        return Outcome(request=upstream, response=downstream, local_response=None, skipped=self._skipped(first_log),
                       log_fields=self._log_fields(st))

    def _local(self, st: Stream, phase: str, first_log: int, upstream: Request | None) -> Outcome:
        r = st.local
        assert r is not None
        local = LocalResponse(r.status, list(r.headers), r.body, phase)
        return Outcome(request=upstream, response=None, local_response=local, skipped=self._skipped(first_log),
                       log_fields=self._log_fields(st))

    @staticmethod
    def _upstream(st: Stream, request: Request, body: bytes | None) -> Request:
        pairs = st.maps[REQUEST_HEADER]
        pseudo = {k: v for k, v in reversed(pairs) if k.startswith(b":")}
        return Request(method=pseudo.get(b":method", b""), url=pseudo.get(b":path", b""),
                       host=pseudo.get(b":authority", b""), scheme=pseudo.get(b":scheme", b""),
                       client_ip=request.client_ip, route=request.route,
                       headers=[p for p in pairs if not p[0].startswith(b":")], body=body)


def route_bundle(programs: list[bytes], route: bytes) -> bytes:
    """The per-route configuration the controller gives a route: its programs, the wildcard entry."""
    ids = {f"p{i}": blob for i, blob in enumerate(programs)}
    return encode_bundle(ids, [BundleRoute(b"", route, tuple(ids))])


class NativeEngine:
    """Runs exchanges through the native module; configurations are reused per program list."""

    def __init__(self) -> None:
        if sys.platform != "linux":
            raise RuntimeError("the native module is a Linux shared object")
        self._filters: dict[bytes, NativeFilter] = {}

    def filter(self, plugin: bytes) -> NativeFilter:
        f = self._filters.get(plugin)
        if f is None:
            if len(self._filters) > 16:
                for old in self._filters.values():
                    old.close()
                self._filters.clear()
            f = self._filters[plugin] = NativeFilter(plugin)
        return f

    def run(self, programs: list[bytes], request: Request, response: Response | None = None,
            host: HostContext | None = None) -> Outcome:
        f = self.filter(route_bundle(programs, request.route))
        f.host.context = host or HostContext()
        return f.exchange(request, response)


__all__ = ["NativeEngine", "NativeFilter", "route_bundle"]
