"""The native engine: the real native module (libkgw_rules.so) loaded with ctypes under an Envoy-like
dynamic-module host, behind the same interface as the wasm engine (`NativeEngine().run(programs,
request, response, host=...) -> Outcome`).

The module's imports (Envoy's `envoy_dynamic_module_callback_*`) are bound to a small shim library
(native_shim.zig, built here with the pinned Zig and cached) whose functions call back into Python. The
host keeps what Envoy keeps per stream: header maps in Envoy's order, the buffered and the received body
of each direction, the local reply, logs and counters, and Envoy's quirks that the filter must live with:
`set_header` with an empty value removes the header and `add_header` ignores one (Envoy 1.40). As the
controller configures the module, the programs come as a per-route configuration (a bundle whose only
entry is the wildcard), looked up with `get_most_specific_route_config`.
"""
from __future__ import annotations

import ctypes
import hashlib
import itertools
import os
import pathlib
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field

from ..exchange import HostContext, LocalResponse, Outcome, Request, Response
from ..filter import native_module_path
from ..wire.bundle import BundleRoute, encode_bundle
from .engine import SKIP_PREFIX, ConfigRefused, StreamStalled
from .host import LOG_LEVELS, Pairs, envoy_order

ABI_VERSION = b"v0.2.0"
SHIM_SOURCE = pathlib.Path(__file__).with_name("native_shim.zig")
CONTINUE, STOP = 0, 1
REQUEST_HEADER, RESPONSE_HEADER = 0, 2
BODY_BUFFERED = {0: 1, 1: 3}  # direction (0 request, 1 response) -> body type; received is one less
ATTR_SOURCE_ADDRESS, ATTR_ROUTE_NAME = 24, 61


class Buf(ctypes.Structure):
    _fields_ = [("ptr", ctypes.c_void_p), ("len", ctypes.c_size_t)]


class Header(ctypes.Structure):
    _fields_ = [("kp", ctypes.c_void_p), ("kl", ctypes.c_size_t), ("vp", ctypes.c_void_p), ("vl", ctypes.c_size_t)]


P, SZ, U32, U64, B = ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint32, ctypes.c_uint64, ctypes.c_bool
CB = ctypes.CFUNCTYPE
_TABLE = [
    ("log", CB(None, U32, P, SZ)), ("log_enabled", CB(B, U32)),
    ("headers_size", CB(SZ, P, U32)), ("headers", CB(B, P, U32, ctypes.POINTER(Header))),
    ("set_header", CB(B, P, U32, P, SZ, P, SZ)), ("add_header", CB(B, P, U32, P, SZ, P, SZ)),
    ("body_chunks_size", CB(SZ, P, U32)), ("body_chunks", CB(B, P, U32, ctypes.POINTER(Buf))),
    ("body_size", CB(SZ, P, U32)), ("drain_body", CB(B, P, U32, SZ)), ("append_body", CB(B, P, U32, P, SZ)),
    ("send_response", CB(None, P, U32, ctypes.POINTER(Header), SZ, P, SZ, P, SZ)),
    ("clear_route_cache", CB(None, P)), ("attribute_string", CB(B, P, U32, ctypes.POINTER(Buf))),
    ("route_config", CB(P, P)), ("define_counter", CB(U32, P, P, SZ, ctypes.POINTER(SZ))),
    ("increment_counter", CB(U32, P, SZ, U64)), ("config_increment_counter", CB(U32, P, SZ, U64)),
    ("env", CB(B, P, SZ, ctypes.POINTER(Buf))), ("random", CB(B, P, SZ)),
]


class _Table(ctypes.Structure):
    _fields_ = [(name, kind) for name, kind in _TABLE]


def _bytes(ptr: int | None, size: int) -> bytes:
    return ctypes.string_at(ptr, size) if ptr and size else b""


def build_shim(cache: pathlib.Path | None = None) -> pathlib.Path:
    """Compile native_shim.zig with the pinned Zig (once per source version, cached)."""
    from ..build_filter import zig_command

    source = SHIM_SOURCE.read_bytes()
    digest = hashlib.sha256(source).hexdigest()[:16]
    cache = cache or pathlib.Path(os.environ.get("XDG_CACHE_HOME", pathlib.Path.home() / ".cache")) / "kgw"
    out = cache / f"native-shim-{digest}" / "libkgw_shim.so"
    if out.exists():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="kgw-shim-") as tmp:
        work = pathlib.Path(tmp)
        built = work / "libkgw_shim.so"
        cmd = [*zig_command(), "build-lib", "-dynamic", str(SHIM_SOURCE), "-lc", "-O", "ReleaseSafe", "-fPIC",
               "--name", "kgw_shim", "--cache-dir", str(work / "c"), "--global-cache-dir", str(work / "g"),
               "-femit-bin=" + str(built)]
        res = subprocess.run(cmd, capture_output=True, text=True)
        if res.returncode != 0:
            raise RuntimeError("building the native test shim failed:\n" + res.stderr)
        os.replace(built, out)
    return out


@dataclass
class _Stream:
    """Envoy's side of one stream: maps, bodies, reply, and memory handed to the module this hook."""

    maps: dict[int, Pairs] = field(default_factory=dict)
    buffered: dict[int, bytearray] = field(default_factory=dict)  # direction -> buffered body
    received: dict[int, bytearray | None] = field(default_factory=dict)  # only during a body hook
    local: LocalResponse | None = None
    route_cache_cleared: int = 0
    keep: list[object] = field(default_factory=list)


class NativeHost:
    """One process-wide instance of the module (ctypes cannot unload it); configurations and streams
    run through it one at a time, as on one Envoy worker."""

    _instance: NativeHost | None = None

    @classmethod
    def get(cls, module: pathlib.Path | None = None) -> NativeHost:
        if cls._instance is None:
            cls._instance = cls(module or native_module_path())
        return cls._instance

    def __init__(self, module: pathlib.Path):
        self.shim = ctypes.CDLL(str(build_shim()), mode=ctypes.RTLD_GLOBAL)
        self.lib = ctypes.CDLL(str(module))
        self.logs: list[tuple[str, str]] = []
        self.counters: dict[int, list] = {}  # id -> [name, value]
        self.context = HostContext()
        self.stream: _Stream | None = None
        self.route_config: int | None = None
        self.client_address = b""
        self.route_name = b""
        self._keep = []
        self._callbacks = {name: kind(getattr(self, "_" + name)) for name, kind in _TABLE}
        table = _Table.in_dll(self.shim, "kgw_shim_table")
        for name, fn in self._callbacks.items():
            setattr(table, name, fn)
        lib = self.lib
        lib.envoy_dynamic_module_on_program_init.restype = ctypes.c_char_p
        for name in ("config_new", "per_route_config_new", "new"):
            getattr(lib, f"envoy_dynamic_module_on_http_filter_{name}").restype = P
        lib.envoy_dynamic_module_on_http_filter_config_new.argtypes = [P, Buf, Buf]
        lib.envoy_dynamic_module_on_http_filter_per_route_config_new.argtypes = [Buf, Buf]
        lib.envoy_dynamic_module_on_http_filter_new.argtypes = [P, P]
        for name in ("request_headers", "request_body", "response_headers", "response_body"):
            fn = getattr(lib, f"envoy_dynamic_module_on_http_filter_{name}")
            fn.argtypes, fn.restype = [P, P, B], U32
        for name in ("request_trailers", "response_trailers"):
            fn = getattr(lib, f"envoy_dynamic_module_on_http_filter_{name}")
            fn.argtypes, fn.restype = [P, P], U32
        for name in ("config_destroy", "per_route_config_destroy", "destroy"):
            getattr(lib, f"envoy_dynamic_module_on_http_filter_{name}").argtypes = [P]
        version = lib.envoy_dynamic_module_on_program_init()
        if version != ABI_VERSION:
            raise RuntimeError(f"module answers ABI {version!r}, Envoy 1.40 wants {ABI_VERSION!r}")

    # -- configurations -----------------------------------------------------------------------------

    def _buf(self, data: bytes) -> Buf:
        raw = ctypes.create_string_buffer(data, len(data) or 1)
        self._keep.append(raw)
        return Buf(ctypes.cast(raw, P), len(data))

    def config_new(self, data: bytes) -> int:
        """A listener-level filter configuration (empty: every route brings its programs)."""
        first = len(self.logs)
        ptr = self.lib.envoy_dynamic_module_on_http_filter_config_new(1, self._buf(b"kgw"), self._buf(data))
        self._keep.clear()
        if not ptr:
            raise ConfigRefused([m for lvl, m in self.logs[first:] if lvl in ("error", "critical")])
        return ptr

    def per_route_config_new(self, data: bytes) -> int:
        first = len(self.logs)
        ptr = self.lib.envoy_dynamic_module_on_http_filter_per_route_config_new(self._buf(b"kgw"), self._buf(data))
        self._keep.clear()
        if not ptr:
            raise ConfigRefused([m for lvl, m in self.logs[first:] if lvl in ("error", "critical")])
        return ptr

    def config_destroy(self, ptr: int) -> None:
        self.lib.envoy_dynamic_module_on_http_filter_config_destroy(ptr)

    def per_route_config_destroy(self, ptr: int) -> None:
        self.lib.envoy_dynamic_module_on_http_filter_per_route_config_destroy(ptr)

    def metric(self, name: str) -> int:
        return sum(v for n, v in self.counters.values() if n == name)

    # -- imports --------------------------------------------------------------------------------------

    def _log(self, level, ptr, size):
        name = LOG_LEVELS[level] if 0 <= level < len(LOG_LEVELS) else str(level)
        self.logs.append((name, _bytes(ptr, size).decode("utf-8", "replace")))

    def _log_enabled(self, level):
        return True

    def _map(self, kind) -> Pairs | None:
        return self.stream.maps.get(kind) if self.stream else None

    def _headers_size(self, f, kind):
        m = self._map(kind)
        return len(m) if m is not None else 0

    def _headers(self, f, kind, out):
        m = self._map(kind)
        if m is None:
            return False
        for i, (k, v) in enumerate(m):
            kb, vb = ctypes.create_string_buffer(k, len(k) or 1), ctypes.create_string_buffer(v, len(v) or 1)
            self.stream.keep += [kb, vb]
            out[i] = Header(ctypes.cast(kb, P), len(k), ctypes.cast(vb, P), len(v))
        return True

    def _insert(self, m: Pairs, key: bytes, value: bytes) -> None:
        if key.startswith(b":"):
            m.insert(sum(1 for k, _ in m if k.startswith(b":")), (key, value))
        else:
            m.append((key, value))

    def _set_header(self, f, kind, kp, kl, vp, vl):
        m = self._map(kind)
        if m is None:
            return False
        key = _bytes(kp, kl).lower()
        m[:] = [p for p in m if p[0] != key]
        if vp and vl:  # Envoy 1.40: an empty (or null) value removes the header
            self._insert(m, key, _bytes(vp, vl))
        return True

    def _add_header(self, f, kind, kp, kl, vp, vl):
        m = self._map(kind)
        if m is None or not vp or not vl:  # Envoy 1.40: an empty value is refused
            return False
        self._insert(m, _bytes(kp, kl).lower(), _bytes(vp, vl))
        return True

    def _part(self, kind) -> bytearray | None:
        direction, buffered = divmod(kind, 2)
        if self.stream is None:
            return None
        return self.stream.buffered.get(direction) if buffered else self.stream.received.get(direction)

    def _body_chunks_size(self, f, kind):
        part = self._part(kind)
        return 1 if part else 0

    def _body_chunks(self, f, kind, out):
        part = self._part(kind)
        if part is None:
            return False
        raw = ctypes.create_string_buffer(bytes(part), len(part) or 1)
        self.stream.keep.append(raw)
        out[0] = Buf(ctypes.cast(raw, P), len(part))
        return True

    def _body_size(self, f, kind):
        part = self._part(kind)
        return len(part) if part else 0

    def _drain_body(self, f, kind, n):
        part = self._part(kind)
        if part is None:
            return False
        del part[:n]
        return True

    def _append_body(self, f, kind, ptr, size):
        part = self._part(kind)
        if part is None:
            return False
        part += _bytes(ptr, size)
        return True

    def _send_response(self, f, status, hs, n, bp, bl, dp, dl):
        headers = [(_bytes(hs[i].kp, hs[i].kl), _bytes(hs[i].vp, hs[i].vl)) for i in range(n)]
        self.stream.local = LocalResponse(status, headers, _bytes(bp, bl), "")

    def _clear_route_cache(self, f):
        self.stream.route_cache_cleared += 1

    def _attribute_string(self, f, attr, out):
        value = {ATTR_SOURCE_ADDRESS: self.client_address, ATTR_ROUTE_NAME: self.route_name}.get(attr)
        if value is None:
            return False
        raw = ctypes.create_string_buffer(value, len(value) or 1)
        self.stream.keep.append(raw)
        out[0] = Buf(ctypes.cast(raw, P), len(value))
        return True

    def _route_config(self, f):
        return self.route_config

    def _define_counter(self, cfg, np, nl, out):
        name = _bytes(np, nl).decode()
        cid = next((i for i, (n, _) in self.counters.items() if n == name), None)
        if cid is None:
            cid = len(self.counters)
            self.counters[cid] = [name, 0]
        out[0] = cid
        return 0

    def _increment_counter(self, f, cid, value):
        if cid not in self.counters:
            return 1
        self.counters[cid][1] += value
        return 0

    def _config_increment_counter(self, cfg, cid, value):
        return self._increment_counter(None, cid, value)

    def _env(self, np, nl, out):
        value = self.context.env.get(_bytes(np, nl))
        if value is None:
            return False
        raw = ctypes.create_string_buffer(value, len(value) or 1)
        self._keep.append(raw)
        out[0] = Buf(ctypes.cast(raw, P), len(value))
        return True

    def _random(self, ptr, size):
        data = self.context.random_bytes(size)
        if len(data) != size:
            return False
        ctypes.memmove(ptr, data, size)
        return True


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

    def _hook(self, name: str, *args) -> int:
        self.host.stream.keep.clear()
        result = getattr(self.host.lib, f"envoy_dynamic_module_on_http_filter_{name}")(*args)
        self.host.stream.keep.clear()
        self.host._keep.clear()
        return result

    def exchange(self, request: Request, response: Response | None, chunk: int = 1 << 20,
                 trailers: bool = False, route_name: bytes = b"kgw-test-route") -> Outcome:
        host = self.host
        host.stream = st = _Stream()
        host.route_config = self.route
        host.client_address = _client_address(request.client_ip)
        host.route_name = route_name
        first_log = len(host.logs)
        envoy = next(self._ids)
        ptr = host.lib.envoy_dynamic_module_on_http_filter_new(self.config, envoy)
        if not ptr:
            raise RuntimeError("the module refused a stream")
        try:
            return self._run(envoy, ptr, request, response, first_log, chunk, trailers)
        finally:
            host.lib.envoy_dynamic_module_on_http_filter_destroy(ptr)
            host.stream = None

    def _skipped(self, first_log: int) -> list[str]:
        return [m[len(SKIP_PREFIX):].split(":", 1)[0] for _, m in self.host.logs[first_log:]
                if m.startswith(SKIP_PREFIX)]

    def _body(self, envoy, ptr, direction: int, body: bytes, chunk: int, trailers: bool) -> bytes:
        """Deliver a body as Envoy does and return what passes on: StopIterationAndBuffer keeps a chunk in
        the buffered body, Continue passes the buffered body and the chunk on."""
        st = self.host.stream
        st.buffered[direction] = bytearray()
        forwarded = b""
        chunks = [body[i:i + chunk] for i in range(0, len(body), chunk)] or [b""]
        hook = "request_body" if direction == 0 else "response_body"
        for i, piece in enumerate(chunks):
            eos = i == len(chunks) - 1 and not trailers
            st.received[direction] = bytearray(piece)
            result = self._hook(hook, envoy, ptr, eos)
            received, st.received[direction] = st.received[direction], None
            if st.local is not None:
                return b""
            if result == CONTINUE:
                forwarded += bytes(st.buffered[direction]) + bytes(received)
                st.buffered[direction] = bytearray()
            else:
                st.buffered[direction] += received
        if trailers:
            self._hook("request_trailers" if direction == 0 else "response_trailers", envoy, ptr)
        return forwarded + bytes(st.buffered[direction])

    def _run(self, envoy, ptr, request: Request, response: Response | None, first_log: int, chunk: int,
             trailers: bool) -> Outcome:
        st = self.host.stream
        st.maps[REQUEST_HEADER] = envoy_order([
            (b":authority", request.host), (b":path", request.url), (b":method", request.method),
            (b":scheme", request.scheme), *request.headers])
        held = self._hook("request_headers", envoy, ptr, request.body is None)
        if st.local is not None:
            return self._local("request", first_log, None)
        body = None
        if request.body is not None:
            body = self._body(envoy, ptr, 0, request.body, chunk, trailers)
            if st.local is not None:
                return self._local("request", first_log, None)
        elif held != CONTINUE:
            raise StreamStalled("request headers held on a request without body")
        upstream = self._message_request(request, body)
        if response is None:
            return Outcome(request=upstream, response=None, local_response=None, skipped=self._skipped(first_log))
        st.maps[RESPONSE_HEADER] = envoy_order([(b":status", str(response.status).encode()), *response.headers])
        held = self._hook("response_headers", envoy, ptr, response.body is None)
        if st.local is not None:
            return self._local("response", first_log, upstream)
        rbody = None
        if response.body is not None:
            rbody = self._body(envoy, ptr, 1, response.body, chunk, trailers)
            if st.local is not None:
                return self._local("response", first_log, upstream)
        elif held != CONTINUE:
            raise StreamStalled("response headers held on a response without body")
        pairs = st.maps[RESPONSE_HEADER]
        status = next((v for k, v in pairs if k == b":status"), b"0")
        downstream = Response(status=int(status), headers=[p for p in pairs if not p[0].startswith(b":")], body=rbody)
        return Outcome(request=upstream, response=downstream, local_response=None, skipped=self._skipped(first_log))

    def _local(self, phase: str, first_log: int, upstream: Request | None) -> Outcome:
        r = self.host.stream.local
        assert r is not None
        local = LocalResponse(r.status, list(r.headers), r.body, phase)
        return Outcome(request=upstream, response=None, local_response=local, skipped=self._skipped(first_log))

    def _message_request(self, request: Request, body: bytes | None) -> Request:
        pairs = self.host.stream.maps[REQUEST_HEADER]
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
        self._filters: dict[bytes, NativeFilter] = {}
        if sys.platform != "linux":
            raise RuntimeError("the native module is a Linux shared object")

    def filter(self, plugin: bytes, context: HostContext | None = None) -> NativeFilter:
        f = self._filters.get(plugin)
        if f is None:
            if len(self._filters) > 16:
                for old in self._filters.values():
                    old.close()
                self._filters.clear()
            f = self._filters[plugin] = NativeFilter(plugin, context=context)
        return f

    def run(self, programs: list[bytes], request: Request, response: Response | None = None,
            host: HostContext | None = None) -> Outcome:
        f = self.filter(route_bundle(programs, request.route))
        f.host.context = host or HostContext()
        return f.exchange(request, response)


__all__ = ["NativeEngine", "NativeFilter", "NativeHost", "build_shim", "route_bundle"]
