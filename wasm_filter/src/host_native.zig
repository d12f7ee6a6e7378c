//! The native host layer: Envoy's dynamic-module callbacks (abi.zig) behind the interface of host.zig.
//! Envoy passes the stream's handle to every event hook; native.zig stores it (and the filter
//! configuration's counters) in thread-locals for the duration of the hook, so the interpreter calls
//! the host exactly as it does under proxy-wasm. Memory Envoy hands out (header and body slices) is
//! valid only until the next change to the map or buffer: everything kept is copied into the arena.
const std = @import("std");
const abi = @import("abi.zig");
const mem = @import("mem.zig");
const pairs = @import("pairs.zig");
const metrics = @import("metrics.zig");
const host = @import("host.zig");
const wire = @import("wire.zig");
const Header = pairs.Header;
const Edit = @import("headers.zig").Edit;

/// The Envoy filter of the hook running on this thread, and its configuration's counter ids.
pub threadlocal var filter: abi.Ptr = null;
pub threadlocal var counters: ?*const Counters = null;

/// The totals, then their per-policy twins (labelled policy and route).
pub const Counters = [2 * metrics.names.len]usize;
const policy_labels = [_]abi.Buffer{ abi.Buffer.of("policy_kind"), abi.Buffer.of("policy"), abi.Buffer.of("route") };

pub fn log(level: u32, msg: []const u8) void {
    // debug lines (skipped writes) are formatted only when Envoy would print them
    if (level < 2 and !abi.envoy_dynamic_module_callback_log_enabled(level)) return;
    abi.envoy_dynamic_module_callback_log(level, abi.Buffer.of(msg));
}

fn headerType(map: host.Map) abi.HeaderType {
    return if (map == .request) .request_header else .response_header;
}

/// Every pair of a header map, copied into `a` (the map may change under Envoy's slices), with room
/// for `extra` more.
pub fn loadHeaders(a: std.mem.Allocator, map: host.Map, extra: usize) !std.ArrayList(Header) {
    const kind = headerType(map);
    const n = abi.envoy_dynamic_module_callback_http_get_headers_size(filter, kind);
    var list = try std.ArrayList(Header).initCapacity(a, n + extra);
    if (n == 0) return list;
    const raw = try a.alloc(abi.HttpHeader, n);
    if (!abi.envoy_dynamic_module_callback_http_get_headers(filter, kind, raw.ptr)) return list;
    var size: usize = 0;
    for (raw) |h| size += h.key_len + h.value_len;
    const text = try a.alloc(u8, size);
    var at: usize = 0;
    for (raw) |h| {
        const name = copy(text, &at, h.key_ptr, h.key_len);
        const value = copy(text, &at, h.value_ptr, h.value_len);
        list.appendAssumeCapacity(.{ .name = name, .value = value });
    }
    return list;
}

fn copy(buf: []u8, at: *usize, ptr: ?[*]const u8, len: usize) []const u8 {
    const out = buf[at.* .. at.* + len];
    if (ptr) |p| @memcpy(out, p[0..len]);
    at.* += len;
    return out;
}

/// The request map as it stands, serialized (kept for the response phase, as the wasm build keeps it).
pub fn requestSnapshot(a: std.mem.Allocator) ![]const u8 {
    const list = try loadHeaders(mem.scratch(), .request, 0);
    return pairs.serialize(a, list.items);
}

/// Replay a phase's header edits: set (Envoy's setCopy: every value removed, one appended), add,
/// remove (a set without value). Request edits then clear the route cache, as every proxy-wasm call on
/// the request map does, so both builds route a rewritten request alike.
pub fn applyEdits(map: host.Map, edits: []const Edit) void {
    const kind = headerType(map);
    const none: abi.Buffer = .{ .ptr = null, .len = 0 };
    for (edits) |e| {
        const key = abi.Buffer.of(e.name);
        if (e.kind != .remove and e.value.len == 0) {
            // Envoy's set_header removes on an empty value and add_header ignores one: a set still
            // removes the old values (as Envoy would), and the write itself is reported
            if (e.kind == .set) _ = abi.envoy_dynamic_module_callback_http_set_header(filter, kind, key, none);
            metrics.inc(.skipped_writes);
            host.logParts(.debug, &.{ "kgw skipped: empty_value: ", if (e.kind == .set) "set header " else "add header ", e.name });
            continue;
        }
        _ = switch (e.kind) {
            .remove => abi.envoy_dynamic_module_callback_http_set_header(filter, kind, key, none),
            .set => abi.envoy_dynamic_module_callback_http_set_header(filter, kind, key, abi.Buffer.of(e.value)),
            .add => abi.envoy_dynamic_module_callback_http_add_header(filter, kind, key, abi.Buffer.of(e.value)),
        };
    }
    if (map == .request and edits.len > 0) abi.envoy_dynamic_module_callback_http_clear_route_cache(filter);
}

fn bodyTypes(kind: host.Body) [2]abi.BodyType {
    return if (kind == .request) .{ .buffered_request, .received_request } else .{ .buffered_response, .received_response };
}

/// The whole body at its end: what Envoy buffered for us, then the last chunk (absent in a trailers hook).
pub fn getBody(kind: host.Body, _: usize) ?[]const u8 {
    const a = mem.scratch();
    var out: std.ArrayList(u8) = .empty;
    for (bodyTypes(kind)) |t| {
        const n = abi.envoy_dynamic_module_callback_http_get_body_chunks_size(filter, t);
        if (n == 0) continue;
        const chunks = a.alloc(abi.Buffer, n) catch return null;
        if (!abi.envoy_dynamic_module_callback_http_get_body_chunks(filter, t, chunks.ptr)) continue;
        for (chunks) |c| out.appendSlice(a, c.slice()) catch return null;
    }
    return out.items;
}

/// Replace the whole body: drain both parts, append the new body to the last chunk (or, in a trailers
/// hook, where there is none, to the buffered body).
pub fn replaceBody(kind: host.Body, data: []const u8) void {
    const types = bodyTypes(kind);
    for (types) |t| _ = abi.envoy_dynamic_module_callback_http_drain_body(filter, t, std.math.maxInt(usize));
    if (data.len == 0) return;
    if (!abi.envoy_dynamic_module_callback_http_append_body(filter, types[1], abi.Buffer.of(data)))
        _ = abi.envoy_dynamic_module_callback_http_append_body(filter, types[0], abi.Buffer.of(data));
}

pub fn sendLocalResponse(status: u32, details: []const u8, body: []const u8, headers: []const Header) !void {
    const hs = try mem.scratch().alloc(abi.HttpHeader, headers.len);
    for (headers, hs) |h, *o| o.* = .{ .key_ptr = h.name.ptr, .key_len = h.name.len, .value_ptr = h.value.ptr, .value_len = h.value.len };
    abi.envoy_dynamic_module_callback_http_send_response(filter, status, hs.ptr, hs.len, abi.Buffer.of(body), abi.Buffer.of(details));
}

fn attribute(id: abi.Attribute) ?[]const u8 {
    var out: abi.Buffer = .{ .ptr = null, .len = 0 };
    if (!abi.envoy_dynamic_module_callback_http_filter_get_attribute_string(filter, id, &out)) return null;
    return out.slice();
}

pub fn sourceAddress() ?[]const u8 {
    return attribute(.source_address);
}

pub fn routeName() ?[]const u8 {
    return attribute(.xds_route_name);
}

/// Define the counters on a filter configuration (Envoy's main thread, in config_new).
pub fn defineCounters(config_envoy: abi.Ptr, out: *Counters) void {
    for (metrics.names, 0..) |n, i| {
        const id = &out[i];
        if (abi.envoy_dynamic_module_callback_http_filter_config_define_counter(config_envoy, abi.Buffer.of(n), null, 0, id) != 0)
            id.* = std.math.maxInt(usize);
        const twin = &out[metrics.names.len + i];
        const name = host.concat(&.{ wire.policy_counter_prefix, n[4..] }) orelse "kgw.rules";
        if (abi.envoy_dynamic_module_callback_http_filter_config_define_counter(config_envoy, abi.Buffer.of(name), &policy_labels, policy_labels.len, twin) != 0)
            twin.* = std.math.maxInt(usize);
    }
}

pub fn incrementPolicy(l: metrics.Labels, c: metrics.Counter) void {
    const ids = counters orelse return;
    const id = ids[metrics.names.len + @intFromEnum(c)];
    // the labels the wasm build's names get from the bootstrap's stats tags: a program id is Kind/ns/name
    const cut = std.mem.indexOfScalar(u8, l.policy, '/') orelse 0;
    const rest = if (cut == 0) l.policy else l.policy[cut + 1 ..];
    const values = [_]abi.Buffer{ abi.Buffer.of(l.policy[0..cut]), abi.Buffer.of(rest), abi.Buffer.of(l.route) };
    if (filter == null) return;
    // As in the wasm build, all of a pair's counters exist from its first run (0 until their event): adding 0
    // creates a labelled series. The configuration (and its first-run mark) is shared by Envoy's workers.
    if (@cmpxchgStrong(u32, &l.ids[0], metrics.unset, 0, .monotonic, .monotonic) == null) {
        for (0..metrics.names.len) |i| {
            if (i == @intFromEnum(metrics.Counter.verifier_refusals)) continue; // a configuration's, not a program's
            const other = ids[metrics.names.len + i];
            if (other != std.math.maxInt(usize))
                _ = abi.envoy_dynamic_module_callback_http_filter_increment_counter(filter, other, &values, values.len, 0);
        }
    }
    if (id != std.math.maxInt(usize))
        _ = abi.envoy_dynamic_module_callback_http_filter_increment_counter(filter, id, &values, values.len, 1);
}

/// `set log NAME`: the same filter state key the wasm build's property becomes (`wasm.kgw.NAME`), so
/// access-log formats read it alike in both builds.
pub fn setLogField(name: []const u8, value: []const u8) void {
    const key = host.concat(&.{ "wasm.", wire.log_field_prefix, name }) orelse return;
    _ = abi.envoy_dynamic_module_callback_http_set_filter_state_bytes(filter, abi.Buffer.of(key), abi.Buffer.of(value));
}

pub fn increment(c: metrics.Counter) void {
    const ids = counters orelse return;
    const id = ids[@intFromEnum(c)];
    if (filter != null and id != std.math.maxInt(usize))
        _ = abi.envoy_dynamic_module_callback_http_filter_increment_counter(filter, id, null, 0, 1);
}

// env() and random_id(): the process environment and the kernel's CSPRNG. A library loaded before
// this module may answer instead by defining `kgw_host_hooks` (the test harness does: its HostContext
// gives every engine the same environment and random stream); Envoy defines no such symbol. Looked up
// once with dlsym: a weak reference would do, but the compiler assumes its address is never null.
const Hooks = extern struct {
    env: *const fn (name: [*]const u8, len: usize, out: *abi.Buffer) callconv(.c) bool,
    random: *const fn (buf: [*]u8, len: usize) callconv(.c) bool,
};
var hooks_at = std.atomic.Value(usize).init(0); // 0: not looked up, 1: none

fn hooks() ?*const Hooks {
    var at = hooks_at.load(.acquire);
    if (at == 0) {
        at = if (std.c.dlsym(null, "kgw_host_hooks")) |p| @intFromPtr(p) else 1;
        hooks_at.store(at, .release);
    }
    return if (at == 1) null else @ptrFromInt(at);
}

pub fn env(name: []const u8) ?[]const u8 {
    if (hooks()) |h| {
        var out: abi.Buffer = .{ .ptr = null, .len = 0 };
        return if (h.env(name.ptr, name.len, &out)) out.slice() else null;
    }
    const z = mem.scratch().dupeSentinel(u8, name, 0) catch return null;
    const v = std.c.getenv(z) orelse return null;
    return std.mem.span(v);
}

pub fn random(buf: []u8) !void {
    if (hooks()) |h| {
        if (!h.random(buf.ptr, buf.len)) return error.NoRandom;
        return;
    }
    var at: usize = 0;
    while (at < buf.len) {
        const n = getrandom(buf[at..].ptr, buf.len - at, 0);
        if (n <= 0) return error.NoRandom;
        at += @intCast(n);
    }
}

extern "c" fn getrandom(buf: [*]u8, len: usize, flags: c_uint) isize;
