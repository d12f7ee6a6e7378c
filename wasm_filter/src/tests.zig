//! Root of the filter's Zig tests: `python -m kgw_rules.build_filter --test` builds them for
//! wasm32-wasi and runs them under wasmtime with a fake proxy-wasm host (kgw_rules/harness/zig_tests.py).
//! Not part of the filter: the production build's root is main.zig.
// the fake host hands property values over through the filter's allocator, as Envoy does
export fn proxy_on_memory_allocate(size: usize) ?[*]u8 {
    return @import("mem.zig").hostAllocate(size);
}

test {
    _ = @import("reader.zig");
    _ = @import("test_decoders.zig");
    _ = @import("test_vm.zig");
    _ = @import("cidr.zig");
}
