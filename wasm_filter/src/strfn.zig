//! String functions, docs/runtime.md section 1 (byte strings, ASCII-only case rules).
const std = @import("std");

pub const ws = " \t\n\x0b\x0c\r";

/// ASCII case change: `from` is 'A' (lower) or 'a' (upper); the letter's case bit 0x20 is flipped.
pub fn changeCase(a: std.mem.Allocator, s: []const u8, from: u8) ![]const u8 {
    const out = try a.alloc(u8, s.len);
    for (s, 0..) |c, i| out[i] = if (c >= from and c <= from + 25) c ^ 0x20 else c;
    return out;
}

pub fn trim(s: []const u8) []const u8 {
    return std.mem.trim(u8, s, ws);
}

/// Negative starts clamp to 0 (they do not count from the end); lengths clamp without overflow.
pub fn substr(s: []const u8, start: i64, length: ?i64) []const u8 {
    const n: i64 = @intCast(s.len);
    const st: i64 = @min(@max(start, 0), n);
    const b: usize = @intCast(st);
    const len = length orelse return s[b..];
    const l = @max(len, 0);
    const end: usize = if (l >= n - st) s.len else @intCast(st + l);
    return s[b..end];
}

pub fn splitPart(s: []const u8, sep: []const u8, n: i64) []const u8 {
    if (n < 0) return "";
    if (sep.len == 0) return if (n == 0) s else "";
    var part: i64 = 0;
    var start: usize = 0;
    while (true) {
        const hit = find(s, start, sep);
        const end = hit orelse s.len;
        if (part == n) return s[start..end];
        if (hit == null) return "";
        start = end + sep.len;
        part += 1;
    }
}

pub fn find(hay: []const u8, from: usize, needle: []const u8) ?usize {
    if (needle.len > hay.len) return null;
    var i = from;
    while (i + needle.len <= hay.len) : (i += 1) {
        if (hay[i] == needle[0] and eql(hay[i .. i + needle.len], needle)) return i;
    }
    return null;
}

pub fn contains(s: []const u8, needle: []const u8) bool {
    if (needle.len == 0) return true;
    return find(s, 0, needle) != null;
}

/// int(): exactly -?[0-9]+ within i64, else null. Leading zeros are fine.
pub fn toInt(s: []const u8) ?i64 {
    const neg = s.len > 0 and s[0] == '-';
    const digits = if (neg) s[1..] else s;
    if (digits.len == 0) return null;
    const limit: u64 = if (neg) @as(u64, 1) << 63 else (@as(u64, 1) << 63) - 1;
    var mag: u64 = 0;
    for (digits) |c| {
        if (c < '0' or c > '9') return null;
        const d: u64 = c - '0';
        if (mag > (limit - d) / 10) return null;
        mag = mag * 10 + d;
    }
    if (neg) return if (mag == @as(u64, 1) << 63) std.math.minInt(i64) else -@as(i64, @intCast(mag));
    return @intCast(mag);
}

pub fn concat(a: std.mem.Allocator, parts: []const []const u8) ![]const u8 {
    var total: usize = 0;
    for (parts) |p| total += p.len;
    const out = try a.alloc(u8, total);
    var at: usize = 0;
    for (parts) |p| {
        @memcpy(out[at .. at + p.len], p);
        at += p.len;
    }
    return out;
}

/// Header values must not carry CR, LF or NUL (no smuggling through decoded input).
pub fn validHeaderValue(v: []const u8) bool {
    // Envoy refuses (503) every control byte but HTAB in a header value, not only CR/LF/NUL
    for (v) |c| if ((c < 0x20 and c != '\t') or c == 0x7f) return false;
    return true;
}

/// Byte equality. The length test is inlined (most header-name comparisons end there); the byte
/// loop is one shared function: std.mem.eql's vectorised version costs about 600 bytes of wasm.
pub inline fn eql(a: []const u8, b: []const u8) bool {
    return a.len == b.len and sameBytes(a.ptr, b.ptr, a.len);
}

noinline fn sameBytes(a: [*]const u8, b: [*]const u8, n: usize) bool {
    for (a[0..n], b[0..n]) |x, y| if (x != y) return false;
    return true;
}
