"""A proxy-wasm ABI 0.2.1 host on wasmtime that behaves like Envoy 1.40's, for tests.

It runs any ABI 0.2.1 module (not only kgw's filter): header maps serialized as Envoy does
(pseudo-headers first, lower-case names, `get_header_map_value` gives the first value), HTTP body
buffers with Envoy's prepend / replace-all / append rules, properties, `send_local_response`, logging
and metrics. Every host call is appended to `transcript` so tests can assert on the exact ABI traffic.
Fuel metering is on: `last_fuel` is the instructions-ish count of the last callback (deterministic).
The three WASI calls Envoy's V8 runtime gives a module (`environ_sizes_get`, `environ_get`, `random_get`)
answer from `context`, a HostContext: the same one the reference VM takes.
"""
from __future__ import annotations

import ctypes
import struct
from dataclasses import dataclass, field

import wasmtime

from ..exchange import HostContext

OK, NOT_FOUND, BAD_ARGUMENT = 0, 1, 2
MAP_REQUEST, MAP_REQUEST_TRAILERS, MAP_RESPONSE, MAP_RESPONSE_TRAILERS = 0, 1, 2, 3
BUF_REQUEST_BODY, BUF_RESPONSE_BODY, BUF_PLUGIN_CONFIG, BUF_VM_CONFIG = 0, 1, 7, 6
LOG_LEVELS = ("trace", "debug", "info", "warn", "error", "critical")
FUEL = 1 << 62
WASI = "wasi_snapshot_preview1"
WASI_EINVAL = 28

Pairs = list[tuple[bytes, bytes]]


class WasmTrap(RuntimeError):
    """The module trapped (Envoy would answer 503 and apply the failure policy)."""


def serialize_pairs(pairs: Pairs) -> bytes:
    out = bytearray(struct.pack("<I", len(pairs)))
    for k, v in pairs:
        out += struct.pack("<II", len(k), len(v))
    for k, v in pairs:
        out += k + b"\0" + v + b"\0"
    return bytes(out)


def parse_pairs(data: bytes) -> Pairs:
    (n,) = struct.unpack_from("<I", data, 0)
    sizes = [struct.unpack_from("<II", data, 4 + 8 * i) for i in range(n)]
    at = 4 + 8 * n
    out = []
    for kl, vl in sizes:
        k = data[at:at + kl]
        at += kl + 1
        v = data[at:at + vl]
        at += vl + 1
        out.append((bytes(k), bytes(v)))
    return out


def envoy_order(pairs: Pairs) -> Pairs:
    """Envoy's header maps keep pseudo-headers before all other headers, names in lower case."""
    pairs = [(k.lower(), v) for k, v in pairs]
    return [p for p in pairs if p[0].startswith(b":")] + [p for p in pairs if not p[0].startswith(b":")]


@dataclass
class LocalReply:
    status: int
    details: bytes
    body: bytes
    headers: Pairs
    grpc_status: int


@dataclass
class HostState:
    """What the host holds for the callback being run (Envoy's view of the stream)."""

    maps: dict[int, Pairs] = field(default_factory=dict)
    buffers: dict[int, bytes] = field(default_factory=dict)
    properties: dict[tuple[bytes, ...], bytes] = field(default_factory=dict)
    local_reply: LocalReply | None = None
    filter_state: dict[bytes, bytes] = field(default_factory=dict)  # proxy_set_property, as Envoy keeps it


_ENGINES: dict[bool, wasmtime.Engine] = {}
_MODULES: dict[tuple[bool, bytes], wasmtime.Module] = {}


def _engine(fuel: bool) -> wasmtime.Engine:
    if fuel not in _ENGINES:
        cfg = wasmtime.Config()
        cfg.consume_fuel = fuel
        _ENGINES[fuel] = wasmtime.Engine(cfg)
    return _ENGINES[fuel]


def _module(wasm: bytes, fuel: bool) -> wasmtime.Module:
    """Compiled modules are cached per (fuel, bytes): compiling is the slow part."""
    key = (fuel, wasm)
    if key not in _MODULES:
        _MODULES[key] = wasmtime.Module(_engine(fuel), wasm)
    return _MODULES[key]


class ProxyWasmHost:
    """One VM instance of a proxy-wasm module with an Envoy-like host."""

    def __init__(self, wasm: bytes, fuel: bool = True, record: bool = True):
        self.module = _module(wasm, fuel)
        self.engine = _engine(fuel)
        self.store = wasmtime.Store(self.engine)
        self.fuel = fuel
        self.record = record
        self.state = HostState()
        self.transcript: list[tuple[object, ...]] = []
        self.logs: list[tuple[str, str]] = []
        self.metrics: dict[int, list[int | str]] = {}  # id -> [kind, name, value]
        self.last_fuel = 0
        self.roots: set[int] = set()
        self.context = HostContext()  # env and random source of the WASI calls
        linker = wasmtime.Linker(self.engine)
        for imp in self.module.imports:
            prefix = {"env": "_", WASI: "_wasi_"}.get(imp.module)
            impl = getattr(self, prefix + imp.name, None) if prefix and imp.name else None
            if impl is None or imp.name is None or not isinstance(imp.type, wasmtime.FuncType):
                raise ValueError(f"the module imports {imp.module}.{imp.name}, which this host does not provide")
            linker.define_func(imp.module, imp.name, imp.type, impl)
        self.instance = linker.instantiate(self.store, self.module)
        exports = self.instance.exports(self.store)
        memory = exports["memory"]
        assert isinstance(memory, wasmtime.Memory)
        self.memory = memory
        self.exports = {e.name: f for e in self.module.exports if isinstance(f := exports[e.name], wasmtime.Func)}
        if "proxy_abi_version_0_2_1" not in self.exports:
            raise ValueError("not a proxy-wasm ABI 0.2.1 module (no proxy_abi_version_0_2_1 export)")

    # -- calling the module -----------------------------------------------------------------------

    def call(self, name: str, *args: int) -> int | None:
        func = self.exports.get(name)
        if func is None:  # Envoy skips callbacks the module does not export
            self.last_fuel = 0
            return None
        if self.record:
            self.transcript.append(("call", name, *args))
        if self.fuel:
            self.store.set_fuel(FUEL)
        try:
            result = func(self.store, *args)
        except wasmtime.Trap as trap:
            raise WasmTrap(f"{name}{args}: {trap}") from None
        except wasmtime.WasmtimeError as err:  # e.g. out of fuel
            raise WasmTrap(f"{name}{args}: {err}") from None
        if self.fuel:
            self.last_fuel = FUEL - self.store.get_fuel()
        return result if isinstance(result, int) else None

    def memory_size(self) -> int:
        return self.memory.data_len(self.store)

    # -- memory helpers ---------------------------------------------------------------------------

    def _read(self, ptr: int, size: int) -> bytes:
        ptr, size = ptr & 0xFFFFFFFF, size & 0xFFFFFFFF
        if size == 0:
            return b""
        if ptr < 0 or ptr + size > self.memory.data_len(self.store):
            raise IndexError("out of bounds")
        return bytes(self.memory.get_buffer_ptr(self.store, size, ptr))

    def _write(self, ptr: int, data: bytes) -> None:
        if data:
            ctypes.memmove(self.memory.get_buffer_ptr(self.store, len(data), ptr), data, len(data))

    def _u32(self, ptr: int, value: int) -> None:
        self._write(ptr, struct.pack("<I", value))

    def _give(self, data: bytes, out_ptr: int, out_size: int) -> int:
        """Hand bytes to the module as Envoy does: allocate with proxy_on_memory_allocate, copy."""
        ptr = self.exports["proxy_on_memory_allocate"](self.store, len(data))
        assert isinstance(ptr, int)
        if not ptr and data:
            return BAD_ARGUMENT
        self._write(ptr, data)
        self._u32(out_ptr, ptr)
        self._u32(out_size, len(data))
        return OK

    def _log_call(self, *entry: object) -> None:
        if self.record:
            self.transcript.append(entry)

    # -- imports (names match the ABI; each returns a status) -------------------------------------

    def _proxy_log(self, level: int, ptr: int, size: int) -> int:
        msg = self._read(ptr, size).decode("utf-8", "replace")
        name = LOG_LEVELS[level] if 0 <= level < len(LOG_LEVELS) else str(level)
        self.logs.append((name, msg))
        self._log_call("proxy_log", name, msg)
        return OK

    def _proxy_get_buffer_bytes(self, kind: int, start: int, max_size: int, out_ptr: int, out_size: int) -> int:
        start, max_size = start & 0xFFFFFFFF, max_size & 0xFFFFFFFF
        self._log_call("proxy_get_buffer_bytes", kind, start, max_size)
        if kind not in self.state.buffers:
            return NOT_FOUND
        data = self.state.buffers[kind]
        return self._give(data[start:start + max_size], out_ptr, out_size)

    def _proxy_set_buffer_bytes(self, kind: int, start: int, size: int, ptr: int, length: int) -> int:
        start, size = start & 0xFFFFFFFF, size & 0xFFFFFFFF  # the ABI's sizes are u32
        data = self._read(ptr, length)
        self._log_call("proxy_set_buffer_bytes", kind, start, size, data)
        if kind not in self.state.buffers or kind not in (BUF_REQUEST_BODY, BUF_RESPONSE_BODY):
            return NOT_FOUND
        cur = self.state.buffers[kind]
        # Envoy on HTTP bodies: prepend, replace-all or append, nothing in between.
        if start == 0 and size == 0:
            self.state.buffers[kind] = data + cur
        elif start == 0 and size >= len(cur):
            self.state.buffers[kind] = data
        elif start >= len(cur):
            self.state.buffers[kind] = cur + data
        else:
            return BAD_ARGUMENT
        return OK

    def _map(self, kind: int) -> list[tuple[bytes, bytes]] | None:
        return self.state.maps.get(kind)

    def _proxy_get_header_map_pairs(self, kind: int, out_ptr: int, out_size: int) -> int:
        self._log_call("proxy_get_header_map_pairs", kind)
        pairs = self._map(kind)
        if pairs is None:
            return NOT_FOUND
        return self._give(serialize_pairs(pairs), out_ptr, out_size)

    def _proxy_set_header_map_pairs(self, kind: int, ptr: int, size: int) -> int:
        pairs = parse_pairs(self._read(ptr, size))
        self._log_call("proxy_set_header_map_pairs", kind, pairs)
        if self._map(kind) is None:
            return NOT_FOUND
        self.state.maps[kind] = envoy_order(pairs)
        return OK

    def _proxy_get_header_map_value(self, kind: int, kptr: int, klen: int, out_ptr: int, out_size: int) -> int:
        key = self._read(kptr, klen).lower()
        self._log_call("proxy_get_header_map_value", kind, key)
        pairs = self._map(kind)
        if pairs is None:
            return NOT_FOUND
        for k, v in pairs:
            if k == key:
                return self._give(v, out_ptr, out_size)
        return NOT_FOUND

    def _add(self, kind: int, key: bytes, value: bytes) -> None:
        pairs = self.state.maps[kind]
        if key.startswith(b":"):
            at = sum(1 for k, _ in pairs if k.startswith(b":"))
            pairs.insert(at, (key, value))
        else:
            pairs.append((key, value))

    def _proxy_add_header_map_value(self, kind: int, kptr: int, klen: int, vptr: int, vlen: int) -> int:
        key, value = self._read(kptr, klen).lower(), self._read(vptr, vlen)
        self._log_call("proxy_add_header_map_value", kind, key, value)
        if self._map(kind) is None:
            return NOT_FOUND
        self._add(kind, key, value)
        return OK

    def _proxy_replace_header_map_value(self, kind: int, kptr: int, klen: int, vptr: int, vlen: int) -> int:
        key, value = self._read(kptr, klen).lower(), self._read(vptr, vlen)
        self._log_call("proxy_replace_header_map_value", kind, key, value)
        pairs = self._map(kind)
        if pairs is None:
            return NOT_FOUND
        self.state.maps[kind] = [p for p in pairs if p[0] != key]
        self._add(kind, key, value)
        return OK

    def _proxy_remove_header_map_value(self, kind: int, kptr: int, klen: int) -> int:
        key = self._read(kptr, klen).lower()
        self._log_call("proxy_remove_header_map_value", kind, key)
        pairs = self._map(kind)
        if pairs is None:
            return NOT_FOUND
        self.state.maps[kind] = [p for p in pairs if p[0] != key]
        return OK

    def _proxy_get_property(self, ptr: int, size: int, out_ptr: int, out_size: int) -> int:
        raw = self._read(ptr, size)
        path = tuple(seg for seg in raw.split(b"\0") if seg)
        self._log_call("proxy_get_property", b".".join(path))
        if path not in self.state.properties:
            return NOT_FOUND
        return self._give(self.state.properties[path], out_ptr, out_size)

    def _proxy_set_property(self, ptr: int, size: int, vptr: int, vlen: int) -> int:
        # Envoy 1.40 keeps the flat path as filter state `wasm.<path>`, mutable, replaced by a later write
        key, value = self._read(ptr, size), self._read(vptr, vlen)
        self._log_call("proxy_set_property", key, value)
        self.state.filter_state[key] = value
        return OK

    def _proxy_send_local_response(self, status: int, dptr: int, dlen: int,
                                   bptr: int, blen: int, hptr: int, hlen: int, grpc: int) -> int:
        reply = LocalReply(status, self._read(dptr, dlen), self._read(bptr, blen),
                           parse_pairs(self._read(hptr, hlen)) if hlen else [], grpc)
        self._log_call("proxy_send_local_response", status, reply.body, reply.headers)
        self.state.local_reply = reply
        return OK

    def _proxy_define_metric(self, kind: int, ptr: int, size: int, out_id: int) -> int:
        name = self._read(ptr, size).decode()
        self._log_call("proxy_define_metric", kind, name)
        for mid, (k, n, _) in self.metrics.items():
            if n == name and k == kind:
                self._u32(out_id, mid)
                return OK
        mid = len(self.metrics) + 1
        self.metrics[mid] = [kind, name, 0]
        self._u32(out_id, mid)
        return OK

    def _proxy_increment_metric(self, mid: int, offset: int) -> int:
        self._log_call("proxy_increment_metric", mid, offset)
        if mid not in self.metrics:
            return NOT_FOUND
        self.metrics[mid][2] = int(self.metrics[mid][2]) + offset
        return OK

    def _proxy_record_metric(self, mid: int, value: int) -> int:
        if mid not in self.metrics:
            return NOT_FOUND
        self.metrics[mid][2] = value
        return OK

    def _proxy_get_metric(self, mid: int, out_ptr: int) -> int:
        if mid not in self.metrics:
            return NOT_FOUND
        self._write(out_ptr, struct.pack("<Q", self.metrics[mid][2]))
        return OK

    # -- WASI (Envoy's V8 runtime: the environment is vm_config.environment_variables) ---------------

    def _environ(self) -> list[bytes]:
        return [k + b"=" + v + b"\0" for k, v in self.context.env.items()]

    def _wasi_environ_sizes_get(self, count_ptr: int, size_ptr: int) -> int:
        entries = self._environ()
        self._log_call("environ_sizes_get")
        self._u32(count_ptr, len(entries))
        self._u32(size_ptr, sum(map(len, entries)))
        return 0

    def _wasi_environ_get(self, ptrs: int, buf: int) -> int:
        self._log_call("environ_get")
        for i, entry in enumerate(self._environ()):
            self._u32(ptrs + 4 * i, buf)
            self._write(buf, entry)
            buf += len(entry)
        return 0

    def _wasi_random_get(self, ptr: int, size: int) -> int:
        size &= 0xFFFFFFFF
        self._log_call("random_get", size)
        data = self.context.random_bytes(size)
        if len(data) != size:
            return WASI_EINVAL
        self._write(ptr, data)
        return 0

    # -- conveniences -----------------------------------------------------------------------------

    def metric(self, name: str) -> int:
        """Current value of a metric by name (Envoy shows it as wasmcustom.<name>); 0 if undefined."""
        for _, n, v in self.metrics.values():
            if n == name:
                return int(v)
        return 0

    def configure(self, root_id: int, plugin_config: bytes, vm_config: bytes = b"") -> bool:
        """Envoy's start of a plugin: vm start (once), root context, configure."""
        if not getattr(self, "_vm_started", False):
            self.state.buffers[BUF_VM_CONFIG] = vm_config
            self.call("proxy_on_vm_start", 0, len(vm_config))
            self._vm_started = True
        if root_id not in self.roots:
            self.call("proxy_on_context_create", root_id, 0)
            self.roots.add(root_id)
        self.state.buffers[BUF_PLUGIN_CONFIG] = plugin_config
        try:
            ok = self.call("proxy_on_configure", root_id, len(plugin_config))
        finally:
            self.state.buffers.pop(BUF_PLUGIN_CONFIG, None)
        return bool(ok)

    def delete_context(self, ctx: int) -> None:
        self.call("proxy_on_done", ctx)
        self.call("proxy_on_delete", ctx)
        self.roots.discard(ctx)
