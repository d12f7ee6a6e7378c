//! Test host for the native module (kgw_rules/harness/native.py): the Envoy callbacks the module imports,
//! each forwarding to a function pointer the harness sets from Python (ctypes), with the {pointer,
//! length} structs Envoy passes by value flattened into plain arguments. Loaded with RTLD_GLOBAL before
//! the module, so the dynamic linker binds the module's imports here. It also defines
//! `kgw_host_hooks`, through which the module asks for env() and random_id() answers (Envoy does not).
const Buf = extern struct { ptr: ?[*]const u8, len: usize };
const Header = extern struct { kp: ?[*]const u8, kl: usize, vp: ?[*]const u8, vl: usize };
const P = ?*anyopaque;

pub const Table = extern struct {
    log: *const fn (u32, ?[*]const u8, usize) callconv(.c) void,
    log_enabled: *const fn (u32) callconv(.c) bool,
    headers_size: *const fn (P, u32) callconv(.c) usize,
    headers: *const fn (P, u32, [*]Header) callconv(.c) bool,
    set_header: *const fn (P, u32, ?[*]const u8, usize, ?[*]const u8, usize) callconv(.c) bool,
    add_header: *const fn (P, u32, ?[*]const u8, usize, ?[*]const u8, usize) callconv(.c) bool,
    body_chunks_size: *const fn (P, u32) callconv(.c) usize,
    body_chunks: *const fn (P, u32, [*]Buf) callconv(.c) bool,
    body_size: *const fn (P, u32) callconv(.c) usize,
    drain_body: *const fn (P, u32, usize) callconv(.c) bool,
    append_body: *const fn (P, u32, ?[*]const u8, usize) callconv(.c) bool,
    send_response: *const fn (P, u32, ?[*]const Header, usize, ?[*]const u8, usize, ?[*]const u8, usize) callconv(.c) void,
    clear_route_cache: *const fn (P) callconv(.c) void,
    attribute_string: *const fn (P, u32, *Buf) callconv(.c) bool,
    route_config: *const fn (P) callconv(.c) P,
    define_counter: *const fn (P, ?[*]const u8, usize, *usize) callconv(.c) u32,
    increment_counter: *const fn (P, usize, u64) callconv(.c) u32,
    config_increment_counter: *const fn (P, usize, u64) callconv(.c) u32,
    env: *const fn (?[*]const u8, usize, *Buf) callconv(.c) bool,
    random: *const fn (?[*]u8, usize) callconv(.c) bool,
    set_filter_state: *const fn (P, ?[*]const u8, usize, ?[*]const u8, usize) callconv(.c) bool,
};

export var kgw_shim_table: Table = undefined;

const Hooks = extern struct {
    env: *const fn (name: ?[*]const u8, len: usize, out: *Buf) callconv(.c) bool,
    random: *const fn (buf: ?[*]u8, len: usize) callconv(.c) bool,
};

fn env(name: ?[*]const u8, len: usize, out: *Buf) callconv(.c) bool {
    return kgw_shim_table.env(name, len, out);
}

fn random(buf: ?[*]u8, len: usize) callconv(.c) bool {
    return kgw_shim_table.random(buf, len);
}

export const kgw_host_hooks: Hooks = .{ .env = env, .random = random };

export fn envoy_dynamic_module_callback_log(level: u32, msg: Buf) void {
    kgw_shim_table.log(level, msg.ptr, msg.len);
}
export fn envoy_dynamic_module_callback_log_enabled(level: u32) bool {
    return kgw_shim_table.log_enabled(level);
}
export fn envoy_dynamic_module_callback_http_get_headers_size(f: P, kind: u32) usize {
    return kgw_shim_table.headers_size(f, kind);
}
export fn envoy_dynamic_module_callback_http_get_headers(f: P, kind: u32, out: [*]Header) bool {
    return kgw_shim_table.headers(f, kind, out);
}
export fn envoy_dynamic_module_callback_http_set_header(f: P, kind: u32, key: Buf, value: Buf) bool {
    return kgw_shim_table.set_header(f, kind, key.ptr, key.len, value.ptr, value.len);
}
export fn envoy_dynamic_module_callback_http_add_header(f: P, kind: u32, key: Buf, value: Buf) bool {
    return kgw_shim_table.add_header(f, kind, key.ptr, key.len, value.ptr, value.len);
}
export fn envoy_dynamic_module_callback_http_get_body_chunks_size(f: P, kind: u32) usize {
    return kgw_shim_table.body_chunks_size(f, kind);
}
export fn envoy_dynamic_module_callback_http_get_body_chunks(f: P, kind: u32, out: [*]Buf) bool {
    return kgw_shim_table.body_chunks(f, kind, out);
}
export fn envoy_dynamic_module_callback_http_get_body_size(f: P, kind: u32) usize {
    return kgw_shim_table.body_size(f, kind);
}
export fn envoy_dynamic_module_callback_http_drain_body(f: P, kind: u32, n: usize) bool {
    return kgw_shim_table.drain_body(f, kind, n);
}
export fn envoy_dynamic_module_callback_http_append_body(f: P, kind: u32, data: Buf) bool {
    return kgw_shim_table.append_body(f, kind, data.ptr, data.len);
}
export fn envoy_dynamic_module_callback_http_send_response(f: P, status: u32, hs: ?[*]const Header, n: usize, body: Buf, details: Buf) void {
    kgw_shim_table.send_response(f, status, hs, n, body.ptr, body.len, details.ptr, details.len);
}
export fn envoy_dynamic_module_callback_http_clear_route_cache(f: P) void {
    kgw_shim_table.clear_route_cache(f);
}
export fn envoy_dynamic_module_callback_http_filter_get_attribute_string(f: P, id: u32, out: *Buf) bool {
    return kgw_shim_table.attribute_string(f, id, out);
}
export fn envoy_dynamic_module_callback_get_most_specific_route_config(f: P) P {
    return kgw_shim_table.route_config(f);
}
export fn envoy_dynamic_module_callback_http_filter_config_define_counter(c: P, name: Buf, _: ?*anyopaque, _: usize, id: *usize) u32 {
    return kgw_shim_table.define_counter(c, name.ptr, name.len, id);
}
export fn envoy_dynamic_module_callback_http_filter_increment_counter(f: P, id: usize, _: ?*anyopaque, _: usize, v: u64) u32 {
    return kgw_shim_table.increment_counter(f, id, v);
}
export fn envoy_dynamic_module_callback_http_filter_config_increment_counter(c: P, id: usize, _: ?*anyopaque, _: usize, v: u64) u32 {
    return kgw_shim_table.config_increment_counter(c, id, v);
}
export fn envoy_dynamic_module_callback_http_set_filter_state_bytes(f: P, key: Buf, value: Buf) bool {
    return kgw_shim_table.set_filter_state(f, key.ptr, key.len, value.ptr, value.len);
}
