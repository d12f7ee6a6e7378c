//! Test-only proxy-wasm module (never shipped): shows what Envoy does with a filter that traps, under the
//! plugin settings kgw uses (FAIL_RELOAD). Its "rules" are the plugin configuration: every request gets
//! the header `x-rules: <configuration>`, so a request served without them is visible upstream. A request
//! carrying `x-trap` executes `@trap()` (the wasm `unreachable` instruction; plain `unreachable` would be
//! optimised away in ReleaseSmall) in proxy_on_request_headers.
extern "env" fn proxy_get_buffer_bytes(kind: u32, start: u32, max: u32, ptr: *[*]u8, len: *u32) u32;
extern "env" fn proxy_get_header_map_value(map: u32, k: [*]const u8, klen: u32, ptr: *[*]u8, len: *u32) u32;
extern "env" fn proxy_add_header_map_value(map: u32, k: [*]const u8, klen: u32, v: [*]const u8, vlen: u32) u32;

var heap: [1 << 16]u8 = undefined;
var top: usize = 0;
var rules: [256]u8 = undefined;
var rules_len: u32 = 0;

export fn proxy_abi_version_0_2_1() void {}

/// A bump allocator over a static buffer, reset at each callback (host buffers live for one callback).
export fn proxy_on_memory_allocate(size: usize) ?[*]u8 {
    if (top + size > heap.len) return null;
    const p = heap[top..].ptr;
    top += (size + 7) & ~@as(usize, 7);
    return p;
}

export fn proxy_on_vm_start(_: u32, _: u32) bool {
    return true;
}

export fn proxy_on_context_create(_: u32, _: u32) void {}

export fn proxy_on_configure(_: u32, size: u32) bool {
    top = 0;
    var p: [*]u8 = undefined;
    var n: u32 = 0;
    if (size == 0 or size > rules.len) return false;
    if (proxy_get_buffer_bytes(7, 0, size, &p, &n) != 0) return false;
    @memcpy(rules[0..n], p[0..n]);
    rules_len = n;
    return true;
}

export fn proxy_on_request_headers(_: u32, _: u32, _: bool) u32 {
    top = 0;
    var p: [*]u8 = undefined;
    var n: u32 = 0;
    if (proxy_get_header_map_value(0, "x-trap", 6, &p, &n) == 0) @trap();
    _ = proxy_add_header_map_value(0, "x-rules", 7, &rules, rules_len);
    return 0;
}
