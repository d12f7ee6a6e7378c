"""The wasm engine: run an exchange through the real filter (.wasm) under the Envoy-like host.

`WasmEngine().run(programs, request, response, host=...)` gives the same `Outcome` the reference VM gives
(`host`: a HostContext with the environment and random source, as `run_exchange` takes).
It simulates Envoy's stream flow: root context + configure with a bundle holding the programs,
a stream context, request headers (end_of_stream when there is no body), body chunks with
StopIterationAndBuffer accumulating, then -- unless a local response was sent -- response headers and
body, on_done and on_delete. `allow_on_headers_stop_iteration: true` is assumed, as the controller sets it.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass

from ..exchange import HostContext, LocalResponse, Outcome, Request, Response
from ..filter import filter_wasm_bytes, wasm_variant_for
from ..wire.bundle import BundleRoute, encode_bundle
from ..wire.stats import LOG_FIELD_PREFIX
from .host import BUF_REQUEST_BODY, BUF_RESPONSE_BODY, MAP_REQUEST, MAP_RESPONSE, ProxyWasmHost, WasmTrap, envoy_order

CONTINUE, STOP_ITERATION = 0, 1
TEST_ROUTE_NAME = b"kgw-test-route"  # the xds route name the harness reports for every request
SKIP_PREFIX = "kgw skipped: "


class ConfigRefused(ValueError):
    """proxy_on_configure returned false (Envoy refuses the config); `logs` says why."""

    def __init__(self, logs: list[str]):
        super().__init__("; ".join(logs) or "configuration refused")
        self.logs = logs


class StreamStalled(RuntimeError):
    """The filter held headers and never let them go (the stream would hang in Envoy)."""


@dataclass
class PhaseStats:
    fuel: int = 0  # fuel the filter used in this exchange's callbacks (deterministic)
    calls: int = 0


def _client_address(ip: bytes) -> bytes:
    return (b"[" + ip + b"]" if b":" in ip else ip) + b":50000"


class FilterVM:
    """One VM with one configured plugin; streams run through it one at a time."""

    def __init__(self, plugin_config: bytes, wasm: bytes | None = None, fuel: bool = True, record: bool = False,
                 context: HostContext | None = None):
        self.host = ProxyWasmHost(wasm or filter_wasm_bytes(), fuel=fuel, record=record)
        if context is not None:  # before configure: the filter may read its environment from then on
            self.host.context = context
        self.root_id = 1
        self._ids = itertools.count(2)
        if not self.host.configure(self.root_id, plugin_config):
            raise ConfigRefused([m for lvl, m in self.host.logs if lvl in ("error", "critical")])

    def _cb(self, stats: PhaseStats, name: str, *args: int) -> int | None:
        result = self.host.call(name, *args)
        stats.fuel += self.host.last_fuel
        stats.calls += 1
        # a callback the module does not export is not called: Envoy continues the stream
        return CONTINUE if result is None and name not in self.host.exports else result

    def _body(self, stats: PhaseStats, ctx: int, callback: str, kind: int, body: bytes, chunk: int,
              trailers: bool = False) -> int | None:
        """Deliver a body as Envoy does; returns the last callback result. With `trailers` the last
        data frame does not end the stream: the trailers callback does."""
        st = self.host.state
        forwarded = b""
        st.buffers[kind] = b""
        chunks = [body[i:i + chunk] for i in range(0, len(body), chunk)] or [b""]
        result: int | None = CONTINUE
        for i, piece in enumerate(chunks):
            eos = i == len(chunks) - 1 and not trailers
            st.buffers[kind] += piece
            result = self._cb(stats, callback, ctx, len(st.buffers[kind]), int(eos))
            if st.local_reply is not None:
                return result
            if result == CONTINUE and not eos:
                forwarded += st.buffers[kind]  # passed on: the next callback sees only new data
                st.buffers[kind] = b""
        if trailers and st.local_reply is None:
            name = "proxy_on_request_trailers" if kind == BUF_REQUEST_BODY else "proxy_on_response_trailers"
            result = self._cb(stats, name, ctx, 1)
        st.buffers[kind] = forwarded + st.buffers[kind]
        return result

    def exchange(self, request: Request, response: Response | None, chunk: int = 1 << 20,
                 stats: PhaseStats | None = None, xds_route_name: bytes | None = TEST_ROUTE_NAME,
                 trailers: bool = False) -> Outcome:
        """One stream. `chunk` splits bodies into several data frames; `xds_route_name` is what the
        property `xds.route_name` answers (None: the property is missing); `trailers` ends each body
        with a trailers callback instead of end_of_stream on the last data frame."""
        stats = stats or PhaseStats()
        host, st = self.host, self.host.state
        st.maps.clear()
        st.buffers.clear()
        st.local_reply = None
        st.filter_state.clear()
        st.properties = {(b"source", b"address"): _client_address(request.client_ip)}
        if xds_route_name is not None:
            st.properties[(b"xds", b"route_name")] = xds_route_name
        first_log = len(host.logs)
        ctx = next(self._ids)
        self._cb(stats, "proxy_on_context_create", ctx, self.root_id)
        try:
            return self._run(stats, ctx, request, response, first_log, chunk, trailers)
        finally:
            self._cb(stats, "proxy_on_done", ctx)
            self._cb(stats, "proxy_on_delete", ctx)

    def _skipped(self, first_log: int) -> list[str]:
        return [m[len(SKIP_PREFIX):].split(":", 1)[0] for _, m in self.host.logs[first_log:]
                if m.startswith(SKIP_PREFIX)]

    def _log_fields(self) -> dict[bytes, bytes]:
        prefix = LOG_FIELD_PREFIX.encode()
        return {k[len(prefix):]: v for k, v in self.host.state.filter_state.items() if k.startswith(prefix)}

    def _local(self, phase: str, first_log: int, upstream: Request | None) -> Outcome:
        r = self.host.state.local_reply
        assert r is not None  # callers check that the filter sent one
        local = LocalResponse(r.status, list(r.headers), r.body, phase)
        return Outcome(request=upstream, response=None, local_response=local, skipped=self._skipped(first_log),
                       log_fields=self._log_fields())

    def _run(self, stats: PhaseStats, ctx: int, request: Request, response: Response | None, first_log: int, chunk: int,
             trailers: bool) -> Outcome:
        st = self.host.state
        st.maps[MAP_REQUEST] = envoy_order([
            (b":authority", request.host), (b":path", request.url), (b":method", request.method),
            (b":scheme", request.scheme), *request.headers])
        has_body = request.body is not None
        held = self._cb(stats, "proxy_on_request_headers", ctx, len(st.maps[MAP_REQUEST]), int(not has_body))
        if st.local_reply is not None:
            return self._local("request", first_log, None)
        if request.body is not None:
            self._body(stats, ctx, "proxy_on_request_body", BUF_REQUEST_BODY, request.body, chunk, trailers)
            if st.local_reply is not None:
                return self._local("request", first_log, None)
        elif held != CONTINUE:
            raise StreamStalled("request headers held on a request without body")
        upstream = self._message_request(request, st.buffers.get(BUF_REQUEST_BODY) if has_body else None)
        # As in Envoy: its wasm context holds the request header map only until the request headers
        # continue, so response callbacks find none (the filter keeps its own copy).
        del st.maps[MAP_REQUEST]
        if response is None:
            return Outcome(request=upstream, response=None, local_response=None, skipped=self._skipped(first_log),
                       log_fields=self._log_fields())
        st.maps[MAP_RESPONSE] = envoy_order([(b":status", str(response.status).encode()), *response.headers])
        has_body = response.body is not None
        held = self._cb(stats, "proxy_on_response_headers", ctx, len(st.maps[MAP_RESPONSE]), int(not has_body))
        if st.local_reply is not None:
            return self._local("response", first_log, upstream)
        if response.body is not None:
            self._body(stats, ctx, "proxy_on_response_body", BUF_RESPONSE_BODY, response.body, chunk, trailers)
            if st.local_reply is not None:
                return self._local("response", first_log, upstream)
        elif held != CONTINUE:
            raise StreamStalled("response headers held on a response without body")
        pairs = st.maps[MAP_RESPONSE]
        status = next((v for k, v in pairs if k == b":status"), b"0")
        downstream = Response(status=int(status), headers=[p for p in pairs if not p[0].startswith(b":")],
                              body=st.buffers.get(BUF_RESPONSE_BODY) if has_body else None)
        return Outcome(request=upstream, response=downstream, local_response=None, skipped=self._skipped(first_log),
                       log_fields=self._log_fields())

    def _message_request(self, request: Request, body: bytes | None) -> Request:
        pairs = self.host.state.maps[MAP_REQUEST]
        pseudo = {k: v for k, v in reversed(pairs) if k.startswith(b":")}
        return Request(method=pseudo.get(b":method", b""), url=pseudo.get(b":path", b""),
                       host=pseudo.get(b":authority", b""), scheme=pseudo.get(b":scheme", b""),
                       client_ip=request.client_ip, route=request.route,
                       headers=[p for p in pairs if not p[0].startswith(b":")], body=body)


def test_bundle(programs: list[bytes], route: bytes) -> bytes:
    """A bundle that runs `programs` in order on the harness's route, seeing `route` as its name."""
    ids = {f"p{i}": blob for i, blob in enumerate(programs)}
    return encode_bundle(ids, [BundleRoute(TEST_ROUTE_NAME, route, tuple(ids))])


test_bundle.__test__ = False  # type: ignore[attr-defined]  # not a pytest test despite the name


class WasmEngine:
    """Runs exchanges through the filter; VMs are reused per configuration (as Envoy keeps one). Without
    `wasm`, each run uses the build the controller would choose for its programs (wasm_variant_for)."""

    def __init__(self, wasm: bytes | None = None, fuel: bool = True):
        self.wasm = wasm
        self.fuel = fuel
        self._vms: dict[tuple[bytes, tuple[tuple[bytes, bytes], ...], bytes | None], FilterVM] = {}
        self.last_stats = PhaseStats()

    def vm(self, plugin_config: bytes, context: HostContext | None = None, wasm: bytes | None = None) -> FilterVM:
        context = context or HostContext()
        wasm = wasm or self.wasm
        # The filter reads its environment once per VM (as in Envoy, where it is part of vm_config), so
        # a VM is reused only for the same environment.
        key = (plugin_config, tuple(sorted(context.env.items())), wasm)
        vm = self._vms.get(key)
        if vm is None:
            if len(self._vms) > 16:
                self._vms.clear()
            vm = self._vms[key] = FilterVM(plugin_config, wasm or filter_wasm_bytes(), fuel=self.fuel,
                                           context=context)
        vm.host.context = context  # this run's random stream
        return vm

    def run(self, programs: list[bytes], request: Request, response: Response | None = None,
            host: HostContext | None = None) -> Outcome:
        self.last_stats = PhaseStats()
        wasm = self.wasm or filter_wasm_bytes(wasm_variant_for(programs).filename)
        vm = self.vm(test_bundle(programs, request.route), host, wasm)
        return vm.exchange(request, response, stats=self.last_stats)


__all__ = ["ConfigRefused", "FilterVM", "StreamStalled", "WasmEngine", "WasmTrap", "test_bundle"]
