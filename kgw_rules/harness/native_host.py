"""An Envoy-like dynamic-module host for the native module (libkgw_rules.so), in this process via ctypes.

The module's imports (Envoy's `envoy_dynamic_module_callback_*`) are bound to a small shim library
(native_shim.zig, built here with the pinned Zig and cached) whose functions call back into Python. The
host keeps what Envoy keeps per stream: header maps in Envoy's order, the buffered and the received body
of each direction, the local reply, logs and counters, and Envoy 1.40's quirks the filter must live with:
`set_header` with an empty value removes the header and `add_header` ignores one.
"""
from __future__ import annotations

import ctypes
import hashlib
import os
import pathlib
import subprocess
import tempfile
from dataclasses import dataclass, field
from typing import Any

from ..exchange import HostContext, LocalResponse
from .engine import ConfigRefused
from .host import LOG_LEVELS, Pairs

ABI_VERSION = b"v0.2.0"
SHIM_SOURCE = pathlib.Path(__file__).with_name("native_shim.zig")
ATTR_SOURCE_ADDRESS, ATTR_ROUTE_NAME = 24, 61


class Buf(ctypes.Structure):
    _fields_ = [("ptr", ctypes.c_void_p), ("len", ctypes.c_size_t)]


class Header(ctypes.Structure):
    _fields_ = [("kp", ctypes.c_void_p), ("kl", ctypes.c_size_t), ("vp", ctypes.c_void_p), ("vl", ctypes.c_size_t)]


P, SZ, U32, U64, B = ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint32, ctypes.c_uint64, ctypes.c_bool
CB = ctypes.CFUNCTYPE
# the shim's function table, field for field (native_shim.zig `Table`)
TABLE = [
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
    ("set_filter_state", CB(B, P, P, SZ, P, SZ)),
]


class _Table(ctypes.Structure):
    _fields_ = TABLE


def _bytes(ptr: int | None, size: int) -> bytes:
    return ctypes.string_at(ptr, size) if ptr and size else b""


def build_shim(cache: pathlib.Path | None = None) -> pathlib.Path:
    """Compile native_shim.zig with the pinned Zig (once per source version, cached)."""
    from ..build_filter import zig_command

    digest = hashlib.sha256(SHIM_SOURCE.read_bytes()).hexdigest()[:16]
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
class Stream:
    """Envoy's side of one stream: maps, bodies, reply, and memory handed to the module in this hook."""

    maps: dict[int, Pairs] = field(default_factory=dict)
    buffered: dict[int, bytearray] = field(default_factory=dict)  # direction (0 request) -> buffered body
    received: dict[int, bytearray] = field(default_factory=dict)  # the chunk of a body hook, only during it
    local: LocalResponse | None = None
    route_cache_cleared: int = 0
    keep: list[object] = field(default_factory=list)
    filter_state: dict[bytes, bytes] = field(default_factory=dict)  # set_filter_state_bytes, by key


class NativeHost:
    """The module, loaded once per process (ctypes cannot unload it); configurations and streams run
    through it one at a time, as on one Envoy worker."""

    _instance: NativeHost | None = None

    @classmethod
    def get(cls, module: pathlib.Path | None = None) -> NativeHost:
        if cls._instance is None:
            from ..filter import native_module_path

            cls._instance = cls(module or native_module_path())
        return cls._instance

    def __init__(self, module: pathlib.Path):
        self.shim = ctypes.CDLL(str(build_shim()), mode=ctypes.RTLD_GLOBAL)
        self.lib = ctypes.CDLL(str(module))
        self.logs: list[tuple[str, str]] = []
        self.counters: dict[int, list[Any]] = {}  # id -> [name, value]
        self.context = HostContext()
        self.stream = Stream()
        self.route_config: int | None = None
        self.client_address = b""
        self.route_name = b""
        self.keep: list[object] = []  # memory handed over outside a stream (configurations, env)
        self._callbacks = {name: kind(getattr(self, "_" + name)) for name, kind in TABLE}
        table = _Table.in_dll(self.shim, "kgw_shim_table")
        for name, fn in self._callbacks.items():
            setattr(table, name, fn)
        self._declare(self.lib)
        version = self.lib.envoy_dynamic_module_on_program_init()
        if version != ABI_VERSION:
            raise RuntimeError(f"module answers ABI {version!r}, Envoy 1.40 wants {ABI_VERSION!r}")

    @staticmethod
    def _declare(lib: ctypes.CDLL) -> None:
        lib.envoy_dynamic_module_on_program_init.restype = ctypes.c_char_p
        hook = "envoy_dynamic_module_on_http_filter_"
        for name, args in (("config_new", [P, Buf, Buf]), ("per_route_config_new", [Buf, Buf]), ("new", [P, P])):
            fn = getattr(lib, hook + name)
            fn.argtypes, fn.restype = args, P
        for name in ("request_headers", "request_body", "response_headers", "response_body"):
            fn = getattr(lib, hook + name)
            fn.argtypes, fn.restype = [P, P, B], U32
        for name in ("request_trailers", "response_trailers"):
            fn = getattr(lib, hook + name)
            fn.argtypes, fn.restype = [P, P], U32
        for name in ("config_destroy", "per_route_config_destroy", "destroy"):
            getattr(lib, hook + name).argtypes = [P]

    def call(self, hook: str, *args: Any) -> Any:
        """One event hook; what Envoy handed over during it is released after."""
        try:
            return getattr(self.lib, "envoy_dynamic_module_on_http_filter_" + hook)(*args)
        finally:
            self.stream.keep.clear()
            self.keep.clear()

    # -- configurations -----------------------------------------------------------------------------

    def _buf(self, data: bytes) -> Buf:
        raw = ctypes.create_string_buffer(data, len(data) or 1)
        self.keep.append(raw)
        return Buf(ctypes.cast(raw, P), len(data))

    def _refused(self, first: int) -> ConfigRefused:
        return ConfigRefused([m for lvl, m in self.logs[first:] if lvl in ("error", "critical")])

    def config_new(self, data: bytes) -> int:
        """A listener-level filter configuration (empty: every route brings its programs)."""
        first = len(self.logs)
        ptr: int | None = self.call("config_new", 1, self._buf(b"kgw"), self._buf(data))
        if not ptr:
            raise self._refused(first)
        return ptr

    def per_route_config_new(self, data: bytes) -> int:
        first = len(self.logs)
        ptr: int | None = self.call("per_route_config_new", self._buf(b"kgw"), self._buf(data))
        if not ptr:
            raise self._refused(first)
        return ptr

    def config_destroy(self, ptr: int) -> None:
        self.call("config_destroy", ptr)

    def per_route_config_destroy(self, ptr: int) -> None:
        self.call("per_route_config_destroy", ptr)

    def metric(self, name: str) -> int:
        return sum(int(v) for n, v in self.counters.values() if n == name)

    # -- imports --------------------------------------------------------------------------------------

    def _hand(self, out: Any, data: bytes, keep: list[object]) -> None:
        raw = ctypes.create_string_buffer(data, len(data) or 1)
        keep.append(raw)
        out[0] = Buf(ctypes.cast(raw, P), len(data))

    def _log(self, level: int, ptr: int | None, size: int) -> None:
        name = LOG_LEVELS[level] if 0 <= level < len(LOG_LEVELS) else str(level)
        self.logs.append((name, _bytes(ptr, size).decode("utf-8", "replace")))

    def _log_enabled(self, level: int) -> bool:
        return True

    def _headers_size(self, f: int | None, kind: int) -> int:
        return len(self.stream.maps.get(kind, []))

    def _headers(self, f: int | None, kind: int, out: Any) -> bool:
        m = self.stream.maps.get(kind)
        if m is None:
            return False
        for i, (k, v) in enumerate(m):
            kb, vb = ctypes.create_string_buffer(k, len(k) or 1), ctypes.create_string_buffer(v, len(v) or 1)
            self.stream.keep += [kb, vb]
            out[i] = Header(ctypes.cast(kb, P), len(k), ctypes.cast(vb, P), len(v))
        return True

    @staticmethod
    def _insert(m: Pairs, key: bytes, value: bytes) -> None:
        if key.startswith(b":"):  # Envoy keeps pseudo-headers first
            m.insert(sum(1 for k, _ in m if k.startswith(b":")), (key, value))
        else:
            m.append((key, value))

    def _set_header(self, f: int | None, kind: int, kp: int | None, kl: int, vp: int | None, vl: int) -> bool:
        m = self.stream.maps.get(kind)
        if m is None:
            return False
        key = _bytes(kp, kl).lower()
        m[:] = [p for p in m if p[0] != key]
        if vp and vl:  # Envoy 1.40: an empty (or null) value removes the header
            self._insert(m, key, _bytes(vp, vl))
        return True

    def _add_header(self, f: int | None, kind: int, kp: int | None, kl: int, vp: int | None, vl: int) -> bool:
        m = self.stream.maps.get(kind)
        if m is None or not vp or not vl:  # Envoy 1.40: an empty value is refused
            return False
        self._insert(m, _bytes(kp, kl).lower(), _bytes(vp, vl))
        return True

    def _part(self, kind: int) -> bytearray | None:
        direction, buffered = divmod(kind, 2)  # body types: received/buffered request, then response
        return self.stream.buffered.get(direction) if buffered else self.stream.received.get(direction)

    def _body_chunks_size(self, f: int | None, kind: int) -> int:
        return 1 if self._part(kind) else 0

    def _body_chunks(self, f: int | None, kind: int, out: Any) -> bool:
        part = self._part(kind)
        if part is None:
            return False
        self._hand(out, bytes(part), self.stream.keep)
        return True

    def _body_size(self, f: int | None, kind: int) -> int:
        return len(self._part(kind) or b"")

    def _drain_body(self, f: int | None, kind: int, n: int) -> bool:
        part = self._part(kind)
        if part is None:
            return False
        del part[:n]
        return True

    def _append_body(self, f: int | None, kind: int, ptr: int | None, size: int) -> bool:
        part = self._part(kind)
        if part is None:
            return False
        part += _bytes(ptr, size)
        return True

    def _send_response(self, f: int | None, status: int, hs: Any, n: int, bp: int | None, bl: int,
                       dp: int | None, dl: int) -> None:
        headers = [(_bytes(hs[i].kp, hs[i].kl), _bytes(hs[i].vp, hs[i].vl)) for i in range(n)]
        self.stream.local = LocalResponse(status, headers, _bytes(bp, bl), "")

    def _set_filter_state(self, f: int | None, kp: int | None, kl: int, vp: int | None, vl: int) -> bool:
        self.stream.filter_state[_bytes(kp, kl)] = _bytes(vp, vl)
        return True

    def _clear_route_cache(self, f: int | None) -> None:
        self.stream.route_cache_cleared += 1

    def _attribute_string(self, f: int | None, attr: int, out: Any) -> bool:
        value = {ATTR_SOURCE_ADDRESS: self.client_address, ATTR_ROUTE_NAME: self.route_name}.get(attr)
        if value is None:
            return False
        self._hand(out, value, self.stream.keep)
        return True

    def _route_config(self, f: int | None) -> int | None:
        return self.route_config

    def _define_counter(self, cfg: int | None, np: int | None, nl: int, out: Any) -> int:
        name = _bytes(np, nl).decode()
        cid = next((i for i, (n, _) in self.counters.items() if n == name), None)
        if cid is None:
            cid = len(self.counters)
            self.counters[cid] = [name, 0]
        out[0] = cid
        return 0

    def _increment_counter(self, f: int | None, cid: int, value: int) -> int:
        if cid not in self.counters:
            return 1
        self.counters[cid][1] += value
        return 0

    def _config_increment_counter(self, cfg: int | None, cid: int, value: int) -> int:
        return self._increment_counter(None, cid, value)

    def _env(self, np: int | None, nl: int, out: Any) -> bool:
        value = self.context.env.get(_bytes(np, nl))
        if value is None:
            return False
        self._hand(out, value, self.keep)
        return True

    def _random(self, ptr: int | None, size: int) -> bool:
        data = self.context.random_bytes(size)
        if len(data) != size or not ptr:
            return False
        ctypes.memmove(ptr, data, size)
        return True


__all__ = ["ABI_VERSION", "NativeHost", "Stream", "build_shim"]
