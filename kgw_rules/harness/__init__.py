"""Run the real kgw filter (.wasm) under wasmtime with an Envoy-like proxy-wasm ABI 0.2.1 host."""
from .bundle import BundleError, BundleRoute, decode_config, encode_bundle
from .engine import ConfigRefused, FilterVM, StreamStalled, WasmEngine, test_bundle
from .host import ProxyWasmHost, WasmTrap

__all__ = ["BundleError", "BundleRoute", "decode_config", "ConfigRefused", "FilterVM", "ProxyWasmHost", "StreamStalled", "WasmEngine", "WasmTrap",
           "encode_bundle", "test_bundle"]
