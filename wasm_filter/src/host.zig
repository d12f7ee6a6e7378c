//! proxy-wasm ABI 0.2.1 host imports (module "env"), the three WASI calls Envoy's runtime provides
//! (environment and random bytes, for env() and random_id()) and thin wrappers.
//! Every import returns a status (0 OK, 1 NOT_FOUND, 2 BAD_ARGUMENT, ...). Memory the host hands back
//! comes from proxy_on_memory_allocate, i.e. the per-callback arena: valid until the next callback.
const std = @import("std");
const mem = @import("mem.zig");
const strfn = @import("strfn.zig");
const Edit = @import("headers.zig").Edit;
const wire = @import("wire.zig");

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

pub const LogLevel = enum(u32) { trace = 0, debug = 1, info = 2, warn = 3, err = 4, critical = 5 };
pub const Map = enum(u32) { request = 0, response = 2 };
pub const Buffer = enum(u32) { request_body = 0, response_body = 1, plugin_config = 7 };

pub const Header = struct { name: []const u8, value: []const u8 };

pub fn log(level: LogLevel, msg: []const u8) void {
    _ = proxy_log(@intFromEnum(level), msg.ptr, msg.len);
}

/// Log a message built from parts, in the arena (the filter has no formatting library on purpose).
pub fn logParts(level: LogLevel, parts: []const []const u8) void {
    log(level, concat(parts) orelse "kgw: out of memory");
}

/// The parts joined, in the scratch arena (the filter has no formatting library on purpose).
pub fn concat(parts: []const []const u8) ?[]u8 {
    var total: usize = 0;
    for (parts) |p| total += p.len;
    const buf = mem.scratch().alloc(u8, total) catch return null;
    var at: usize = 0;
    for (parts) |p| {
        @memcpy(buf[at .. at + p.len], p);
        at += p.len;
    }
    return buf;
}

/// `set log NAME`: Envoy keeps it as filter state `wasm.kgw.NAME`, which access logs read
/// (%FILTER_STATE(wasm.kgw.NAME:PLAIN)%, gRPC ALS filter_state_objects). A later write replaces it.
pub fn setLogField(name: []const u8, value: []const u8) void {
    const key = concat(&.{ wire.log_field_prefix, name }) orelse return;
    const v: []const u8 = if (value.len == 0) "" else value; // see replaceBuffer
    _ = proxy_set_property(key.ptr, key.len, v.ptr, v.len);
}

fn slice(ptr: ?[*]u8, len: usize) []const u8 {
    if (ptr) |p| return p[0..len];
    return "";
}

pub fn getBuffer(kind: Buffer, size: usize) ?[]const u8 {
    var p: ?[*]u8 = null;
    var l: usize = 0;
    if (proxy_get_buffer_bytes(@intFromEnum(kind), 0, size, &p, &l) != 0) return null;
    return slice(p, l);
}

/// Replace the whole body: Envoy treats start 0 with a size at least the current length as replace-all.
pub fn replaceBuffer(kind: Buffer, data: []const u8) bool {
    // an empty slice's pointer may lie outside memory, and Envoy then refuses the call (body kept!)
    const d: []const u8 = if (data.len == 0) "" else data;
    return proxy_set_buffer_bytes(@intFromEnum(kind), 0, std.math.maxInt(u32), d.ptr, d.len) == 0;
}

pub fn getProperty(path: []const u8) ?[]const u8 {
    var p: ?[*]u8 = null;
    var l: usize = 0;
    if (proxy_get_property(path.ptr, path.len, &p, &l) != 0) return null;
    return slice(p, l);
}

/// The serialized pairs as the host gives them (valid for this callback only).
pub fn getRawHeaders(map: Map) ?[]const u8 {
    var p: ?[*]u8 = null;
    var l: usize = 0;
    if (proxy_get_header_map_pairs(@intFromEnum(map), &p, &l) != 0) return null;
    return slice(p, l);
}

/// All pairs of a header map, decoded from `u32 N | N x (u32 klen, u32 vlen) | N x (key\0 value\0)`,
/// with room for `extra` more. Null when the host answered nothing usable.
pub fn decodePairs(a: std.mem.Allocator, data: []const u8, extra: usize) !?std.ArrayList(Header) {
    const n: usize = if (data.len < 4) 0 else std.mem.readInt(u32, data[0..4], .little);
    if (n > 0 and n > (data.len - 4) / 8) return null;
    var list = try std.ArrayList(Header).initCapacity(a, n + extra);
    list.items.len = n;
    const out = list.items;
    var at: usize = 4 + 8 * @as(usize, n);
    for (0..n) |i| {
        const kl = std.mem.readInt(u32, data[4 + 8 * i ..][0..4], .little);
        const vl = std.mem.readInt(u32, data[8 + 8 * i ..][0..4], .little);
        if (at + kl + 1 > data.len) return null;
        const k = data[at .. at + kl];
        at += kl + 1;
        if (at + vl + 1 > data.len) return null;
        const v = data[at .. at + vl];
        at += vl + 1;
        out[i] = .{ .name = k, .value = v };
    }
    return list;
}

/// Replay a phase's header edits on Envoy's map, one call each (see headers.zig).
pub fn applyEdits(map: Map, edits: []const Edit) void {
    const k = @intFromEnum(map);
    for (edits) |e| {
        // an empty value's pointer may lie outside memory (see replaceBuffer)
        const v: []const u8 = if (e.value.len == 0) "" else e.value;
        _ = switch (e.kind) {
            .remove => proxy_remove_header_map_value(k, e.name.ptr, e.name.len),
            .set => proxy_replace_header_map_value(k, e.name.ptr, e.name.len, v.ptr, v.len),
            .add => proxy_add_header_map_value(k, e.name.ptr, e.name.len, v.ptr, v.len),
        };
    }
}

/// Serialize pairs in the same layout the host uses for header maps.
pub fn serializePairs(a: std.mem.Allocator, pairs: []const Header) ![]u8 {
    var size: usize = 4 + 8 * pairs.len;
    for (pairs) |h| size += h.name.len + h.value.len + 2;
    const buf = try a.alloc(u8, size);
    std.mem.writeInt(u32, buf[0..4], @intCast(pairs.len), .little);
    var at: usize = 4 + 8 * pairs.len;
    for (pairs, 0..) |h, i| {
        std.mem.writeInt(u32, buf[4 + 8 * i ..][0..4], @intCast(h.name.len), .little);
        std.mem.writeInt(u32, buf[8 + 8 * i ..][0..4], @intCast(h.value.len), .little);
        @memcpy(buf[at .. at + h.name.len], h.name);
        at += h.name.len;
        buf[at] = 0;
        at += 1;
        @memcpy(buf[at .. at + h.value.len], h.value);
        at += h.value.len;
        buf[at] = 0;
        at += 1;
    }
    return buf;
}

pub fn sendLocalResponse(status: u32, details: []const u8, body: []const u8, headers: []const u8) void {
    const b: []const u8 = if (body.len == 0) "" else body; // see replaceBuffer: else the stream hangs
    _ = proxy_send_local_response(status, details.ptr, details.len, b.ptr, b.len, headers.ptr, headers.len, -1);
}

pub fn defineCounter(name: []const u8) u32 {
    var id: u32 = 0;
    if (proxy_define_metric(0, name.ptr, name.len, &id) != 0) return std.math.maxInt(u32);
    return id;
}

pub fn increment(id: u32) void {
    if (id != std.math.maxInt(u32)) _ = proxy_increment_metric(id, 1);
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
