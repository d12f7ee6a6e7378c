//! Query strings of the request target and cookies, docs/runtime.md sections 3 and 4.
//! Edits keep other parameters' raw bytes: a parameter is only decoded to compare its name.
const std = @import("std");
const enc = @import("encoding.zig");
const strfn = @import("strfn.zig");

pub const Target = struct { path: []const u8, query: ?[]const u8 };

pub fn splitTarget(url: []const u8) Target {
    if (std.mem.indexOfScalar(u8, url, '?')) |q| return .{ .path = url[0..q], .query = url[q + 1 ..] };
    return .{ .path = url, .query = null };
}

fn rawName(seg: []const u8) []const u8 {
    return if (std.mem.indexOfScalar(u8, seg, '=')) |e| seg[0..e] else seg;
}

fn rawValue(seg: []const u8) []const u8 {
    return if (std.mem.indexOfScalar(u8, seg, '=')) |e| seg[e + 1 ..] else "";
}

/// A raw name that does not decode matches nothing.
fn nameIs(a: std.mem.Allocator, seg: []const u8, name: []const u8) !bool {
    const d = (try enc.urlDecode(a, rawName(seg))) orelse return false;
    return strfn.eql(d, name);
}

/// Non-empty `&` segments of a query, in order.
const Segments = struct {
    rest: ?[]const u8,
    fn next(self: *Segments) ?[]const u8 {
        while (self.rest) |r| {
            if (std.mem.indexOfScalar(u8, r, '&')) |amp| {
                self.rest = r[amp + 1 ..];
                if (amp > 0) return r[0..amp];
            } else {
                self.rest = null;
                if (r.len > 0) return r;
            }
        }
        return null;
    }
};

pub fn get(a: std.mem.Allocator, url: []const u8, name: []const u8) !?[]const u8 {
    var it = Segments{ .rest = splitTarget(url).query };
    while (it.next()) |seg| {
        if (try nameIs(a, seg, name)) return try enc.urlDecode(a, rawValue(seg));
    }
    return null;
}

fn rebuild(a: std.mem.Allocator, path: []const u8, segs: []const []const u8) ![]const u8 {
    if (segs.len == 0) return path;
    var total: usize = path.len + 1 + segs.len - 1;
    for (segs) |s| total += s.len;
    const out = try a.alloc(u8, total);
    @memcpy(out[0..path.len], path);
    var at = path.len;
    for (segs, 0..) |s, i| {
        out[at] = if (i == 0) '?' else '&';
        at += 1;
        @memcpy(out[at .. at + s.len], s);
        at += s.len;
    }
    return out;
}

/// `set query NAME = v`: replace the first occurrence in place, drop later ones, else append.
pub fn set(a: std.mem.Allocator, url: []const u8, name: []const u8, value: ?[]const u8) ![]const u8 {
    const v = value orelse return remove(a, url, name);
    const t = splitTarget(url);
    const new_seg = try strfn.concat(a, &.{ try enc.urlEncode(a, name), "=", try enc.urlEncode(a, v) });
    var out: std.ArrayList([]const u8) = .empty;
    var replaced = false;
    var it = Segments{ .rest = t.query };
    while (it.next()) |seg| {
        if (!try nameIs(a, seg, name)) {
            try out.append(a, seg);
        } else if (!replaced) {
            try out.append(a, new_seg);
            replaced = true;
        }
    }
    if (!replaced) try out.append(a, new_seg);
    return rebuild(a, t.path, out.items);
}

/// `remove query NAME`: drop every occurrence; the target is byte-identical when none matched.
pub fn remove(a: std.mem.Allocator, url: []const u8, name: []const u8) ![]const u8 {
    const t = splitTarget(url);
    var kept: std.ArrayList([]const u8) = .empty;
    var removed = false;
    var it = Segments{ .rest = t.query };
    while (it.next()) |seg| {
        if (try nameIs(a, seg, name)) removed = true else try kept.append(a, seg);
    }
    if (!removed) return url;
    return rebuild(a, t.path, kept.items);
}

/// `set path = v`: null (skip the write) unless it starts with '/' and has no CR/LF/NUL; '?' and '#'
/// are percent-encoded; the old query is kept exactly, an empty one included.
pub fn setPath(a: std.mem.Allocator, url: []const u8, new_path: []const u8) !?[]const u8 {
    if (new_path.len == 0 or new_path[0] != '/' or !strfn.validHeaderValue(new_path)) return null;
    var n: usize = 0;
    for (new_path) |c| n += if (c == '?' or c == '#') 3 else 1;
    const q = splitTarget(url).query;
    const out = try a.alloc(u8, n + if (q) |qq| qq.len + 1 else 0);
    var o: usize = 0;
    for (new_path) |c| {
        if (c == '?' or c == '#') {
            @memcpy(out[o .. o + 3], if (c == '?') "%3F" else "%23");
            o += 3;
        } else {
            out[o] = c;
            o += 1;
        }
    }
    if (q) |qq| {
        out[o] = '?';
        @memcpy(out[o + 1 ..], qq);
    }
    return out;
}

/// `cookie(NAME)` over all request `cookie` header values, split at ';' only.
pub fn cookie(values: []const []const u8, name: []const u8) ?[]const u8 {
    for (values) |header| {
        var pieces = std.mem.splitScalar(u8, header, ';');
        while (pieces.next()) |raw| {
            const piece = strfn.trim(raw);
            const eq = std.mem.indexOfScalar(u8, piece, '=') orelse continue;
            if (!strfn.eql(strfn.trim(piece[0..eq]), name)) continue;
            var v = strfn.trim(piece[eq + 1 ..]);
            if (v.len >= 2 and v[0] == '"' and v[v.len - 1] == '"') v = v[1 .. v.len - 1];
            return v;
        }
    }
    return null;
}
