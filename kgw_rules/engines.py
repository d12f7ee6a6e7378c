"""Engines that run compiled programs over an exchange: the reference VM, the wasm filter (wasmtime) and
the native module (ctypes)."""
from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from .bytecode import Program
from .exchange import HostContext, Outcome, Request, Response

# engine(blobs, request, response, host=None): `host` gives env() and random_id() their answers.
Engine = Callable[..., Outcome]
ENGINE_NAMES = ("wasm", "ref", "both", "native")
T = TypeVar("T", Request, Response)


def reference_engine(blobs: list[bytes], request: Request, response: Response | None,
                     host: HostContext | None = None) -> Outcome:
    from .vm import run_exchange

    return run_exchange([Program.from_bytes(b) for b in blobs], request, response, host)


def wasm_engine() -> Engine:
    """The prebuilt filter under wasmtime (kgw_rules.harness)."""
    from .harness import WasmEngine

    engine = WasmEngine()
    return engine.run


def native_engine() -> Engine:
    """The prebuilt native module loaded in this process (kgw_rules.harness.native); needs the pinned Zig
    once, to build the small test host library it binds the module's imports to."""
    from .harness.native import NativeEngine

    engine = NativeEngine()
    return engine.run


def native_available() -> bool:
    import importlib.util
    import platform
    import sys

    try:
        from .filter import native_module_path

        path = native_module_path()
    except (ImportError, ValueError):
        return False
    return sys.platform == "linux" and path.exists() and importlib.util.find_spec("ziglang") is not None \
        and platform.libc_ver()[0] == "glibc"


def wasm_available() -> bool:
    try:
        from .filter import filter_wasm_path

        return filter_wasm_path().exists()
    except ImportError:
        return False


def outcome_difference(a: Outcome, b: Outcome) -> list[str]:
    """What differs between two engines' outcomes (the trace is the reference VM's alone)."""
    out = []
    for field in ("request", "response", "local_response", "skipped", "log_fields"):
        if getattr(a, field) != getattr(b, field):
            out.append(f"engines differ in {field}: ref {getattr(a, field)!r} vs wasm {getattr(b, field)!r}")
    return out


def native_comparable(o: Outcome) -> Outcome:
    """An outcome as the native build can produce it: Envoy 1.40's dynamic-module ABI cannot write an empty
    header value (the native filter reports such writes as skipped `empty_value`, kgw_rules.skips), so
    headers with an empty value and that skip code are left out. Both sides of a native comparison go
    through this; every other field must still be equal."""
    import dataclasses

    def strip(m: T | None) -> T | None:
        if m is None:
            return None
        return dataclasses.replace(m, headers=[(k, v) for k, v in m.headers if v != b""])

    return Outcome(request=strip(o.request), response=strip(o.response),
                   local_response=o.local_response,
                   skipped=[c for c in o.skipped if c != "empty_value"])


def get_engine(name: str) -> Engine:
    if name == "ref":
        return reference_engine
    if name == "wasm":
        return wasm_engine()
    if name == "native":
        return native_engine()
    if name == "both":
        wasm = wasm_engine()

        def both(blobs: list[bytes], request: Request, response: Response | None,
                 host: HostContext | None = None) -> Outcome:
            # one random stream, replayed to each engine, so random_id() cannot make them differ
            ref_host, wasm_host = (host or HostContext()).split()
            ref = reference_engine(blobs, request, response, ref_host)
            differences = outcome_difference(ref, wasm(blobs, request, response, host=wasm_host))
            if differences:
                raise EngineMismatch(differences)
            return ref

        return both
    raise ValueError(f"unknown engine {name!r}; choose one of {', '.join(ENGINE_NAMES)}")


class EngineMismatch(Exception):
    def __init__(self, differences: list[str]):
        super().__init__("\n".join(differences))
        self.differences = differences
