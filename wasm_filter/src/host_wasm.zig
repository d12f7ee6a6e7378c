//! The proxy-wasm host layer: ABI 0.2.1 imports (module "env"), the three WASI calls Envoy's runtime
//! provides (environment and random bytes, for env() and random_id()) and thin wrappers behind the
//! interface of host.zig. Every import returns a status (0 OK, 1 NOT_FOUND, 2 BAD_ARGUMENT, ...). Memory
//! the host hands back comes from proxy_on_memory_allocate, i.e. the per-callback arena: valid until the
//! next callback.
const std = @import("std");
const mem = @import("mem.zig");
const strfn = @import("strfn.zig");
const pairs = @import("pairs.zig");
const Header = pairs.Header;
const Edit = @import("headers.zig").Edit;
const metrics = @import("metrics.zig");
const wire = @import("wire.zig");
const concat = @import("host.zig").concat;

extern "env" fn proxy_log(level: u32, ptr: [*]const u8, len: usize) u32;
extern "env" fn proxy_get_buffer_bytes(kind: u32, start: usize, max: usize, out_ptr: *?[*]u8, out_len: *usize) u32;
extern "env" fn proxy_set_buffer_bytes(kind: u32, start: usize, size: usize, ptr: [*]const u8, len: usize) u32;
extern "env" fn proxy_get_header_map_pairs(kind: u32, out_ptr: *?[*]u8, out_len: *usize) u32;
extern "env" fn proxy_add_header_map_value(kind: u32, kp: [*]const u8, kl: usize, vp: [*]const u8, vl: usize) u32;
extern "env" fn proxy_replace_header_map_value(kind: u32, kp: [*]const u8, kl: usize, vp: [*]const u8, vl: usize) u32;
extern "env" fn proxy_remove_header_map_value(kind: u32, kp: [*]const u8, kl: usize) u32;
extern "env" fn proxy_set_property(kp: [*]const u8, kl: usize, vp: [*]const u8, vl: usize) u32;
extern "env" fn proxy_get_property(pp: [*]const u8, pl: usize, out_ptr: *?[*]u8, out_len: *usize) u32;
extern "env" fn proxy_send_local_response(status: u32, dp: [*]const u8, dl: usize, bp: [*]const u8, bl: usize, hp: [*]const u8, hl: usize, grpc: i32) u32;
extern "env" fn proxy_define_metric(kind: u32, np: [*]const u8, nl: usize, out_id: *u32) u32;
extern "env" fn proxy_increment_metric(id: u32, offset: i64) u32;
extern "wasi_snapshot_preview1" fn environ_sizes_get(count: *usize, size: *usize) u16;
extern "wasi_snapshot_preview1" fn environ_get(ptrs: [*][*]u8, buf: [*]u8) u16;
extern "wasi_snapshot_preview1" fn random_get(buf: [*]u8, len: usize) u16;

const Map = @import("host.zig").Map;
const Body = @import("host.zig").Body;
const plugin_config: u32 = 7;

pub fn log(level: u32, msg: []const u8) void {
    _ = proxy_log(level, msg.ptr, msg.len);
}

fn slice(ptr: ?[*]u8, len: usize) []const u8 {
    if (ptr) |p| return p[0..len];
    return "";
}

fn buffer(kind: u32, size: usize) ?[]const u8 {
    var p: ?[*]u8 = null;
    var l: usize = 0;
    if (proxy_get_buffer_bytes(kind, 0, size, &p, &l) != 0) return null;
    return slice(p, l);
}

/// The plugin configuration handed to proxy_on_configure.
pub fn pluginConfig(size: usize) ?[]const u8 {
    return buffer(plugin_config, size);
}

/// The whole body of this phase (Envoy buffered it: the filter returned StopIterationAndBuffer).
pub fn getBody(kind: Body, size: usize) ?[]const u8 {
    return buffer(if (kind == .request) 0 else 1, size);
}

/// Replace the whole body: Envoy treats start 0 with a size at least the current length as replace-all.
pub fn replaceBody(kind: Body, data: []const u8) void {
    // an empty slice's pointer may lie outside memory, and Envoy then refuses the call (body kept!)
    const d: []const u8 = if (data.len == 0) "" else data;
    _ = proxy_set_buffer_bytes(if (kind == .request) 0 else 1, 0, std.math.maxInt(u32), d.ptr, d.len);
}

fn property(path: []const u8) ?[]const u8 {
    var p: ?[*]u8 = null;
    var l: usize = 0;
    if (proxy_get_property(path.ptr, path.len, &p, &l) != 0) return null;
    return slice(p, l);
}

/// Downstream address with its port, as Envoy resolved it (`source.address`).
pub fn sourceAddress() ?[]const u8 {
    return property("source\x00address\x00");
}

pub fn routeName() ?[]const u8 {
    return property("xds\x00route_name\x00");
}

fn rawHeaders(map: Map) ?[]const u8 {
    var p: ?[*]u8 = null;
    var l: usize = 0;
    if (proxy_get_header_map_pairs(@intFromEnum(map), &p, &l) != 0) return null;
    return slice(p, l);
}

/// Every pair of a header map, with room for `extra` more (empty when the host has no such map).
pub fn loadHeaders(a: std.mem.Allocator, map: Map, extra: usize) !std.ArrayList(Header) {
    return (try pairs.decode(a, rawHeaders(map) orelse "", extra)) orelse .empty;
}

/// The request map as it stands, serialized (kept for the response phase).
pub fn requestSnapshot(a: std.mem.Allocator) ![]const u8 {
    return a.dupe(u8, rawHeaders(.request) orelse "");
}

/// Replay a phase's header edits on Envoy's map, one call each (see headers.zig).
pub fn applyEdits(map: Map, edits: []const Edit) void {
    const k = @intFromEnum(map);
    for (edits) |e| {
        // an empty value's pointer may lie outside memory (see replaceBody)
        const v: []const u8 = if (e.value.len == 0) "" else e.value;
        _ = switch (e.kind) {
            .remove => proxy_remove_header_map_value(k, e.name.ptr, e.name.len),
            .set => proxy_replace_header_map_value(k, e.name.ptr, e.name.len, v.ptr, v.len),
            .add => proxy_add_header_map_value(k, e.name.ptr, e.name.len, v.ptr, v.len),
        };
    }
}

pub fn sendLocalResponse(status: u32, details: []const u8, body: []const u8, headers: []const Header) !void {
    const hs = try pairs.serialize(mem.scratch(), headers);
    const b: []const u8 = if (body.len == 0) "" else body; // see replaceBody: else the stream hangs
    _ = proxy_send_local_response(status, details.ptr, details.len, b.ptr, b.len, hs.ptr, hs.len, -1);
}

var counter_ids: [metrics.names.len]u32 = @splat(std.math.maxInt(u32));
var counters_defined = false;

/// Counters are defined once per VM (Envoy shows them as `wasmcustom.<name>`), when it starts: they
/// read 0 before anything happens.
pub fn defineCounters() void {
    if (counters_defined) return;
    counters_defined = true;
    for (metrics.names, 0..) |n, i| {
        if (proxy_define_metric(0, n.ptr, n.len, &counter_ids[i]) != 0) counter_ids[i] = std.math.maxInt(u32);
    }
}

pub fn increment(c: metrics.Counter) void {
    defineCounters();
    const id = counter_ids[@intFromEnum(c)];
    if (id != std.math.maxInt(u32)) _ = proxy_increment_metric(id, 1);
}

/// A program's own counters on its route, under names that carry both: all defined on its first run,
/// so each reads 0 (rather than missing) until its event happens.
pub fn incrementPolicy(l: metrics.Labels, c: metrics.Counter) void {
    if (l.ids[0] == metrics.unset) {
        for (metrics.names, l.ids, 0..) |n, *slot, i| {
            slot.* = std.math.maxInt(u32);
            if (i == @intFromEnum(metrics.Counter.verifier_refusals)) continue; // a configuration's, not a program's
            const name = concat(&.{ wire.policy_counter_prefix, wire.policy_tag, l.policy, wire.tag_end, wire.route_tag, l.route, wire.tag_end, n[4..] }) orelse return;
            _ = proxy_define_metric(0, name.ptr, name.len, slot);
        }
    }
    const id = l.ids[@intFromEnum(c)];
    if (id != std.math.maxInt(u32)) _ = proxy_increment_metric(id, 1);
}

/// `set log NAME`: Envoy keeps the property as filter state `wasm.kgw.NAME`, which access logs read
/// (%FILTER_STATE(wasm.kgw.NAME:PLAIN)%, gRPC ALS filter_state_objects). A later write replaces it.
pub fn setLogField(name: []const u8, value: []const u8) void {
    const key = concat(&.{ wire.log_field_prefix, name }) orelse return;
    const v: []const u8 = if (value.len == 0) "" else value; // see replaceBody
    _ = proxy_set_property(key.ptr, key.len, v.ptr, v.len);
}

/// "K=V\0K=V\0..." as WASI gives it (Envoy: vm_config.environment_variables), read on first use:
/// the environment is fixed for the life of a VM.
var environ: ?[]const u8 = null;

/// Value of environment variable `name`, or null when unset (or unreadable).
pub fn env(name: []const u8) ?[]const u8 {
    const all = environ orelse blk: {
        var n: usize = 0;
        var size: usize = 0;
        var got: []const u8 = "";
        if (environ_sizes_get(&n, &size) == 0) {
            // one allocation: the strings at the end, the (unused) pointer array 4-aligned before them
            const buf = mem.long.alloc(u8, 4 * n + 4 + size) catch return null;
            const ptrs: [*][*]u8 = @ptrFromInt(std.mem.alignForward(usize, @intFromPtr(buf.ptr), 4));
            if (environ_get(ptrs, buf[buf.len - size ..].ptr) == 0) got = buf[buf.len - size ..];
        }
        environ = got;
        break :blk got;
    };
    var start: usize = 0; // of the current entry
    for (all, 0..) |c, i| {
        if (c != 0) continue;
        const e = all[start..i];
        start = i + 1;
        if (e.len > name.len and e[name.len] == '=' and strfn.eql(e[0..name.len], name)) return e[name.len + 1 ..];
    }
    return null;
}

/// Fill `buf` from WASI random_get (Envoy: the host's CSPRNG).
pub fn random(buf: []u8) !void {
    if (random_get(buf.ptr, buf.len) != 0) return error.NoRandom;
}
