//! A header pair and proxy-wasm's serialized header map, `u32 N | N x (u32 klen, u32 vlen) |
//! N x (key\0 value\0)` (little endian). Both hosts use the layout: the wasm host gets it from Envoy, and
//! every build keeps the request headers that way for the response phase.
const std = @import("std");

pub const Header = struct { name: []const u8, value: []const u8 };

/// All pairs of a serialized map, with room for `extra` more. Null when `data` is malformed.
pub fn decode(a: std.mem.Allocator, data: []const u8, extra: usize) !?std.ArrayList(Header) {
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

/// Serialize pairs in the same layout.
pub fn serialize(a: std.mem.Allocator, pairs: []const Header) ![]u8 {
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
