"""Run the real kgw filter (.wasm) under wasmtime with an Envoy-like proxy-wasm ABI 0.2.1 host.

A test tool: it loads wasmtime. Code outside tests/ never imports it (tests/test_layering.py); the
plugin configuration it feeds the filter is kgw_rules.wire.bundle's.
"""
from .engine import ConfigRefused, FilterVM, StreamStalled, WasmEngine, test_bundle
from .host import ProxyWasmHost, WasmTrap

__all__ = ["ConfigRefused", "FilterVM", "ProxyWasmHost", "StreamStalled", "WasmEngine", "WasmTrap", "test_bundle"]
