//! Variant (f) of benchmarks/dataplane.py: the host calls the kgw filter makes for the benchmark's
//! transformation, and nothing else. No bytecode, no header map of its own, results hard-coded. It
//! exports the same stream callbacks as the kgw filter, reads the route name and the request headers,
//! counts the program run, and replays the same six edits with the same calls. What it costs is the
//! price of doing this transformation through the proxy-wasm ABI at all: the floor under variant (d).
extern "env" fn proxy_get_property(pp: [*]const u8, pl: usize, out_ptr: *?[*]u8, out_len: *usize) u32;
extern "env" fn proxy_get_header_map_pairs(kind: u32, out_ptr: *?[*]u8, out_len: *usize) u32;
extern "env" fn proxy_add_header_map_value(kind: u32, kp: [*]const u8, kl: usize, vp: [*]const u8, vl: usize) u32;
extern "env" fn proxy_replace_header_map_value(kind: u32, kp: [*]const u8, kl: usize, vp: [*]const u8, vl: usize) u32;
extern "env" fn proxy_remove_header_map_value(kind: u32, kp: [*]const u8, kl: usize) u32;
extern "env" fn proxy_define_metric(kind: u32, np: [*]const u8, nl: usize, out_id: *u32) u32;
extern "env" fn proxy_increment_metric(id: u32, offset: i64) u32;

// Host-returned buffers: a bump region rewound at every request.
var heap: [256 << 10]u8 = undefined;
var top: usize = 0;
var counter: u32 = 0;

export fn proxy_abi_version_0_2_1() void {}

export fn proxy_on_memory_allocate(size: usize) ?[*]u8 {
    if (size > heap.len - top) return null;
    const p = heap[top..].ptr;
    top += (size + 7) & ~@as(usize, 7);
    return p;
}

export fn proxy_on_vm_start(_: u32, _: usize) bool {
    return true;
}

export fn proxy_on_configure(_: u32, _: usize) bool {
    _ = proxy_define_metric(0, "floor.programs_run", 18, &counter);
    return true;
}

export fn proxy_on_context_create(_: u32, _: u32) void {}

fn replace(k: []const u8, v: []const u8) void {
    _ = proxy_replace_header_map_value(0, k.ptr, k.len, v.ptr, v.len);
}

fn add(k: []const u8, v: []const u8) void {
    _ = proxy_add_header_map_value(0, k.ptr, k.len, v.ptr, v.len);
}

fn remove(k: []const u8) void {
    _ = proxy_remove_header_map_value(0, k.ptr, k.len);
}

export fn proxy_on_request_headers(_: u32, _: u32, _: bool) u32 {
    top = 0;
    var p: ?[*]u8 = null;
    var l: usize = 0;
    _ = proxy_get_property("xds\x00route_name\x00", 16, &p, &l);
    _ = proxy_get_header_map_pairs(0, &p, &l);
    _ = proxy_increment_metric(counter, 1);
    replace("x-a", "1");
    replace("x-b", "2");
    add("x-c", "3");
    remove("x-remove-me");
    remove("x-old");
    add("x-new", "moved");
    replace(":path", "/v2/items/42?page=1");
    return 0;
}

export fn proxy_on_request_body(_: u32, _: usize, _: bool) u32 {
    return 0;
}

export fn proxy_on_response_headers(_: u32, _: u32, _: bool) u32 {
    return 0;
}

export fn proxy_on_response_body(_: u32, _: usize, _: bool) u32 {
    return 0;
}

export fn proxy_on_delete(_: u32) void {}
