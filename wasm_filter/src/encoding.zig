//! Encodings, docs/runtime.md section 2: base64 (two alphabets), percent-encoding, SHA-256, JSON
//! string literals. Decoders are strict and canonical and give null on malformed input.
const std = @import("std");

const b64_std = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const b64_url = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Standard alphabet with padding, or URL alphabet without. (A loop of our own: std's encoder
/// costs about 1.4 KB of wasm for the same output.)
pub fn b64Encode(a: std.mem.Allocator, s: []const u8, url: bool) ![]const u8 {
    const alphabet = if (url) b64_url else b64_std;
    const full = s.len / 3 * 4;
    const rest = s.len % 3;
    const n = if (rest == 0) full else if (url) full + rest + 1 else full + 4;
    const out = try a.alloc(u8, n);
    var o: usize = 0;
    var i: usize = 0;
    while (i < s.len) : (i += 3) {
        const k = @min(3, s.len - i);
        var v: u32 = 0;
        for (0..3) |j| v = (v << 8) | (if (j < k) @as(u32, s[i + j]) else 0);
        for (0..4) |j| {
            if (j <= k) {
                out[o] = alphabet[(v >> @intCast(18 - 6 * j)) & 63];
                o += 1;
            } else if (!url) {
                out[o] = '=';
                o += 1;
            }
        }
    }
    return out;
}

fn b64Value(c: u8, url: bool) ?u6 {
    return switch (c) {
        'A'...'Z' => @intCast(c - 'A'),
        'a'...'z' => @intCast(c - 'a' + 26),
        '0'...'9' => @intCast(c - '0' + 52),
        '+' => if (url) null else 62,
        '/' => if (url) null else 63,
        '-' => if (url) 62 else null,
        '_' => if (url) 63 else null,
        else => null,
    };
}

/// One algorithm for both alphabets: optional `=` padding (only as the last one or two bytes of a
/// multiple-of-4 input), no length 1 mod 4, zero trailing bits (one canonical spelling).
pub fn b64Decode(a: std.mem.Allocator, input: []const u8, url: bool) !?[]const u8 {
    var s = input;
    if (std.mem.indexOfScalar(u8, s, '=') != null) {
        if (s.len % 4 != 0) return null;
        var pad: usize = 0;
        while (pad < s.len and s[s.len - 1 - pad] == '=') pad += 1;
        if (pad > 2) return null;
        s = s[0 .. s.len - pad];
        if (std.mem.indexOfScalar(u8, s, '=') != null) return null;
    }
    if (s.len % 4 == 1) return null;
    const out = try a.alloc(u8, s.len / 4 * 3 + ((s.len % 4) -| 1));
    var o: usize = 0;
    var i: usize = 0;
    while (i < s.len) : (i += 4) {
        const group = s[i..@min(i + 4, s.len)];
        var n: u32 = 0;
        for (group) |c| n = (n << 6) | (b64Value(c, url) orelse return null);
        const bits: u5 = @intCast(6 * group.len);
        const extra: u5 = bits % 8;
        if (n & ((@as(u32, 1) << extra) - 1) != 0) return null;
        n >>= extra;
        var k: usize = bits / 8;
        while (k > 0) {
            k -= 1;
            out[o] = @truncate(n >> @intCast(8 * k));
            o += 1;
        }
    }
    return out[0..o];
}

fn unreserved(c: u8) bool {
    return std.ascii.isAlphanumeric(c) or c == '-' or c == '.' or c == '_' or c == '~';
}

const hex_upper = "0123456789ABCDEF";
const hex_lower = "0123456789abcdef";

pub fn urlEncode(a: std.mem.Allocator, s: []const u8) ![]const u8 {
    var n: usize = 0;
    for (s) |c| n += if (unreserved(c)) 1 else 3;
    const out = try a.alloc(u8, n);
    var o: usize = 0;
    for (s) |c| {
        if (unreserved(c)) {
            out[o] = c;
            o += 1;
        } else {
            out[o] = '%';
            out[o + 1] = hex_upper[c >> 4];
            out[o + 2] = hex_upper[c & 15];
            o += 3;
        }
    }
    return out;
}

pub fn hexValue(c: u8) ?u8 {
    return switch (c) {
        '0'...'9' => c - '0',
        'a'...'f' => c - 'a' + 10,
        'A'...'F' => c - 'A' + 10,
        else => null,
    };
}

/// %XX (either case) and '+' as space, single pass; a bad escape makes the whole result null.
pub fn urlDecode(a: std.mem.Allocator, s: []const u8) !?[]const u8 {
    const out = try a.alloc(u8, s.len);
    var o: usize = 0;
    var i: usize = 0;
    while (i < s.len) {
        const c = s[i];
        if (c == '%') {
            if (i + 2 >= s.len) return null;
            const hi = hexValue(s[i + 1]) orelse return null;
            const lo = hexValue(s[i + 2]) orelse return null;
            out[o] = hi * 16 + lo;
            i += 3;
        } else {
            out[o] = if (c == '+') ' ' else c;
            i += 1;
        }
        o += 1;
    }
    return out[0..o];
}

pub fn sha256Hex(a: std.mem.Allocator, s: []const u8) ![]const u8 {
    var digest: [32]u8 = undefined;
    @import("sha256.zig").hash(s, &digest);
    const out = try a.alloc(u8, 64);
    for (digest, 0..) |b, i| {
        out[2 * i] = hex_lower[b >> 4];
        out[2 * i + 1] = hex_lower[b & 15];
    }
    return out;
}

fn shortEscape(c: u8) ?[]const u8 {
    return switch (c) {
        '"' => "\\\"",
        '\\' => "\\\\",
        0x08 => "\\b",
        0x0C => "\\f",
        '\n' => "\\n",
        '\r' => "\\r",
        '\t' => "\\t",
        else => null,
    };
}

/// The JSON string literal for s, quotes included; bytes >= 0x80 copied unchanged.
pub fn jsonEscape(a: std.mem.Allocator, s: []const u8) ![]const u8 {
    var n: usize = 2;
    for (s) |c| n += if (shortEscape(c)) |e| e.len else if (c < 0x20 or c == 0x7F) 6 else 1;
    const out = try a.alloc(u8, n);
    out[0] = '"';
    var o: usize = 1;
    for (s) |c| {
        if (shortEscape(c)) |e| {
            @memcpy(out[o .. o + e.len], e);
            o += e.len;
        } else if (c < 0x20 or c == 0x7F) {
            @memcpy(out[o .. o + 4], "\\u00");
            out[o + 4] = hex_lower[c >> 4];
            out[o + 5] = hex_lower[c & 15];
            o += 6;
        } else {
            out[o] = c;
            o += 1;
        }
    }
    out[o] = '"';
    return out;
}
