//! Root of the filter's Zig tests: `python -m kgw_rules.build_filter --test` builds them for
//! wasm32-wasi and runs them under wasmtime with a fake proxy-wasm host (kgw_rules/harness/zig_tests.py).
//! Not part of the filter: the production build's root is main.zig.
test {
    _ = @import("reader.zig");
    _ = @import("test_decoders.zig");
    _ = @import("test_vm.zig");
}
