"""The prebuilt proxy-wasm filter shipped inside the package: nobody needs Zig to use kgw."""
from __future__ import annotations

import functools
import importlib.resources
import pathlib

_RESOURCE = "data/kgw_filter.wasm"


def filter_wasm_path() -> pathlib.Path:
    """Path of the installed kgw_filter.wasm (the bytes Envoy loads)."""
    ref = importlib.resources.files("kgw_rules").joinpath(_RESOURCE)
    with importlib.resources.as_file(ref) as path:
        return pathlib.Path(path)


@functools.lru_cache(maxsize=1)
def _cached(mtime_ns: int) -> bytes:
    return filter_wasm_path().read_bytes()


def filter_wasm_bytes() -> bytes:
    """The filter's bytes (cached; re-read when the file changes, e.g. after a rebuild)."""
    return _cached(filter_wasm_path().stat().st_mtime_ns)
