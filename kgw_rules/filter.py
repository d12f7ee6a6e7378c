"""The prebuilt filters shipped inside the package: nobody needs Zig to use kgw. The proxy-wasm module
(the default data plane) and the native Envoy dynamic module built from the same sources."""
from __future__ import annotations

import functools
import importlib.resources
import pathlib
import platform
from collections.abc import Iterable

from .wire.program import decode_program
from .wire.variants import Variant, program_needs, variant_for

# Envoy loads a dynamic module by name, `lib<name>.so`, from ENVOY_DYNAMIC_MODULES_SEARCH_PATH
NATIVE_MODULE_NAME = "kgw_rules"
NATIVE_ARCHES = ("x86_64", "aarch64")
_MACHINE_ARCH = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64"}


def filter_wasm_path(filename: str = "kgw_filter.wasm") -> pathlib.Path:
    """Path of the installed kgw_filter.wasm (the bytes Envoy loads), or of another build of it
    (`filename`: a kgw_rules.wire.variants.Variant's)."""
    ref = importlib.resources.files("kgw_rules").joinpath(f"data/{filename}")
    with importlib.resources.as_file(ref) as path:
        return pathlib.Path(path)


@functools.lru_cache(maxsize=8)
def _cached(filename: str, mtime_ns: int) -> bytes:
    return filter_wasm_path(filename).read_bytes()


def filter_wasm_bytes(filename: str = "kgw_filter.wasm") -> bytes:
    """The filter's bytes (cached; re-read when the file changes, e.g. after a rebuild)."""
    return _cached(filename, filter_wasm_path(filename).stat().st_mtime_ns)


def wasm_variant_for(blobs: Iterable[bytes]) -> Variant:
    """The smallest build of the wasm filter that runs these programs (kgw_rules.wire.variants): what the
    controller configures Envoy with, and what `kgw test` and the harness run."""
    return variant_for(program_needs(decode_program(b)) for b in blobs)


def native_module_dir(arch: str | None = None) -> pathlib.Path:
    """The directory holding the native module for `arch` (default: this machine's): the value for
    ENVOY_DYNAMIC_MODULES_SEARCH_PATH. Raises ValueError for a CPU kgw ships no module for."""
    name = arch or _MACHINE_ARCH.get(platform.machine().lower(), platform.machine())
    if name not in NATIVE_ARCHES:
        raise ValueError(f"no native kgw module for {name!r}; built for {', '.join(NATIVE_ARCHES)}")
    ref = importlib.resources.files("kgw_rules").joinpath(f"data/native/{name}")
    with importlib.resources.as_file(ref) as path:
        return pathlib.Path(path)


def native_module_path(arch: str | None = None) -> pathlib.Path:
    return native_module_dir(arch) / f"lib{NATIVE_MODULE_NAME}.so"
