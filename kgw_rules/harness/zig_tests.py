"""Run a `zig test` binary built for wasm32-wasi under wasmtime, as `zig test --test-cmd` does:

    python -m kgw_rules.harness.zig_tests <test.wasm>       # exit status: the test runner's

The filter's proxy-wasm imports (module "env") are answered by a fake host: logs and metrics are
accepted and dropped, and properties come from FAKE_PROPERTIES (anything else is NOT_FOUND), so the
interpreter's tests can run programs that read `client_ip`. WASI (stdout, stderr, the environment
variables of FAKE_ENV, random bytes) is wasmtime's own.
"""
from __future__ import annotations

import sys

import wasmtime

FAKE_ENV = {"KGW_TEST_GREETING": "hello"}
FAKE_PROPERTIES = {b"source\0address\0": b"10.1.2.3:5555"}
OK, NOT_FOUND = 0, 1


class FakeHost:
    def __init__(self, store: wasmtime.Store):
        self.store = store
        self.instance: wasmtime.Instance | None = None

    def _export(self, name: str) -> wasmtime.Func | wasmtime.Memory:
        assert self.instance is not None
        item = self.instance.exports(self.store)[name]
        assert isinstance(item, wasmtime.Func | wasmtime.Memory)
        return item

    def get_property(self, path_ptr: int, path_len: int, out_ptr: int, out_len: int) -> int:
        memory, alloc = self._export("memory"), self._export("proxy_on_memory_allocate")
        assert isinstance(memory, wasmtime.Memory) and isinstance(alloc, wasmtime.Func)
        value = FAKE_PROPERTIES.get(bytes(memory.read(self.store, path_ptr, path_ptr + path_len)))
        if value is None:
            return NOT_FOUND
        ptr = alloc(self.store, len(value))
        assert isinstance(ptr, int)
        memory.write(self.store, value, ptr)
        memory.write(self.store, ptr.to_bytes(4, "little"), out_ptr)
        memory.write(self.store, len(value).to_bytes(4, "little"), out_len)
        return OK

    def define(self, linker: wasmtime.Linker, module: wasmtime.Module) -> None:
        for imp in module.imports:
            if imp.module != "env" or imp.name is None or not isinstance(imp.type, wasmtime.FuncType):
                continue
            if imp.name == "proxy_get_property":
                linker.define_func("env", imp.name, imp.type, self.get_property)
            elif imp.type.results:
                linker.define_func("env", imp.name, imp.type, lambda *_: OK)
            else:
                linker.define_func("env", imp.name, imp.type, lambda *_: None)


def run(path: str) -> int:
    engine = wasmtime.Engine()
    store = wasmtime.Store(engine)
    wasi = wasmtime.WasiConfig()
    wasi.inherit_stdout()
    wasi.inherit_stderr()
    wasi.argv = [path]
    wasi.env = list(FAKE_ENV.items())
    store.set_wasi(wasi)
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    module = wasmtime.Module.from_file(engine, path)
    host = FakeHost(store)
    host.define(linker, module)
    host.instance = linker.instantiate(store, module)
    start = host._export("_start")
    assert isinstance(start, wasmtime.Func)
    try:
        start(store)
    except wasmtime.ExitTrap as exit_:
        return exit_.code
    return 0


if __name__ == "__main__":
    sys.exit(run(sys.argv[1]))
