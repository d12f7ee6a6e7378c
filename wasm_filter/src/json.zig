//! Our own JSON parser, path walker and compact serializer, docs/runtime.md sections 6 and 7.
//! Strict RFC 8259 over UTF-8, depth at most 64, numbers and unedited strings kept as written.
const std = @import("std");
const strfn = @import("strfn.zig");
const enc = @import("encoding.zig");
const value = @import("value.zig");
const wire = @import("wire.zig");

const max_depth = wire.json_max_depth;
const max_segments = wire.json_max_segments;

const Member = struct { raw_key: []const u8, key: []const u8, val: *Node };

pub const Node = union(enum) {
    string: []const u8, // raw text, quotes included
    scalar: []const u8, // number / true / false / null as written
    object: std.ArrayList(Member),
    array: std.ArrayList(*Node),
};

const Invalid = error{ Invalid, OutOfMemory };

/// RFC 3629 UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF, no truncation.
pub fn validUtf8(s: []const u8) bool {
    var i: usize = 0;
    while (i < s.len) {
        const c = s[i];
        if (c < 0x80) {
            i += 1;
            continue;
        }
        var n: usize = 0;
        var lo: u8 = 0x80;
        var hi: u8 = 0xBF;
        if (c >= 0xC2 and c <= 0xDF) {
            n = 1;
        } else if (c >= 0xE0 and c <= 0xEF) {
            n = 2;
            if (c == 0xE0) lo = 0xA0;
            if (c == 0xED) hi = 0x9F;
        } else if (c >= 0xF0 and c <= 0xF4) {
            n = 3;
            if (c == 0xF0) lo = 0x90;
            if (c == 0xF4) hi = 0x8F;
        } else return false;
        if (i + n >= s.len) return false;
        if (s[i + 1] < lo or s[i + 1] > hi) return false;
        for (2..n + 1) |k| if (s[i + k] < 0x80 or s[i + k] > 0xBF) return false;
        i += n + 1;
    }
    return true;
}

const Parser = struct {
    a: std.mem.Allocator,
    s: []const u8,
    i: usize = 0,

    fn skipWs(p: *Parser) void {
        while (p.i < p.s.len) : (p.i += 1) {
            switch (p.s[p.i]) {
                ' ', '\t', '\n', '\r' => {},
                else => return,
            }
        }
    }

    fn node(p: *Parser, n: Node) Invalid!*Node {
        const out = try p.a.create(Node);
        out.* = n;
        return out;
    }

    fn parseValue(p: *Parser, depth: usize) Invalid!*Node {
        p.skipWs();
        if (p.i >= p.s.len) return error.Invalid;
        const c = p.s[p.i];
        switch (c) {
            '{' => {
                if (depth + 1 > max_depth) return error.Invalid;
                p.i += 1;
                var members: std.ArrayList(Member) = .empty;
                p.skipWs();
                if (p.i < p.s.len and p.s[p.i] == '}') {
                    p.i += 1;
                    return p.node(.{ .object = members });
                }
                while (true) {
                    p.skipWs();
                    if (p.i >= p.s.len or p.s[p.i] != '"') return error.Invalid;
                    const start = p.i;
                    const key = try p.parseString();
                    const raw = p.s[start..p.i];
                    p.skipWs();
                    if (p.i >= p.s.len or p.s[p.i] != ':') return error.Invalid;
                    p.i += 1;
                    const v = try p.parseValue(depth + 1);
                    try members.append(p.a, .{ .raw_key = raw, .key = key, .val = v });
                    p.skipWs();
                    if (p.i >= p.s.len) return error.Invalid;
                    if (p.s[p.i] == ',') {
                        p.i += 1;
                        continue;
                    }
                    if (p.s[p.i] != '}') return error.Invalid;
                    p.i += 1;
                    return p.node(.{ .object = members });
                }
            },
            '[' => {
                if (depth + 1 > max_depth) return error.Invalid;
                p.i += 1;
                var items: std.ArrayList(*Node) = .empty;
                p.skipWs();
                if (p.i < p.s.len and p.s[p.i] == ']') {
                    p.i += 1;
                    return p.node(.{ .array = items });
                }
                while (true) {
                    try items.append(p.a, try p.parseValue(depth + 1));
                    p.skipWs();
                    if (p.i >= p.s.len) return error.Invalid;
                    if (p.s[p.i] == ',') {
                        p.i += 1;
                        continue;
                    }
                    if (p.s[p.i] != ']') return error.Invalid;
                    p.i += 1;
                    return p.node(.{ .array = items });
                }
            },
            '"' => {
                const start = p.i;
                _ = try p.parseString();
                return p.node(.{ .string = p.s[start..p.i] });
            },
            't', 'f', 'n' => {
                inline for (.{ "true", "false", "null" }) |lit| {
                    if (std.mem.startsWith(u8, p.s[p.i..], lit)) {
                        p.i += lit.len;
                        return p.node(.{ .scalar = lit });
                    }
                }
                return error.Invalid;
            },
            else => {
                const start = p.i;
                try p.parseNumber();
                return p.node(.{ .scalar = p.s[start..p.i] });
            },
        }
    }

    fn digits(p: *Parser) usize {
        const start = p.i;
        while (p.i < p.s.len and p.s[p.i] >= '0' and p.s[p.i] <= '9') p.i += 1;
        return p.i - start;
    }

    fn parseNumber(p: *Parser) Invalid!void {
        if (p.i < p.s.len and p.s[p.i] == '-') p.i += 1;
        if (p.i >= p.s.len) return error.Invalid;
        if (p.s[p.i] == '0') {
            p.i += 1;
        } else if (p.digits() == 0) return error.Invalid;
        if (p.i < p.s.len and p.s[p.i] == '.') {
            p.i += 1;
            if (p.digits() == 0) return error.Invalid;
        }
        if (p.i < p.s.len and (p.s[p.i] == 'e' or p.s[p.i] == 'E')) {
            p.i += 1;
            if (p.i < p.s.len and (p.s[p.i] == '+' or p.s[p.i] == '-')) p.i += 1;
            if (p.digits() == 0) return error.Invalid;
        }
    }

    fn hex4(p: *Parser) Invalid!u21 {
        if (p.i + 4 > p.s.len) return error.Invalid;
        var v: u21 = 0;
        for (p.s[p.i .. p.i + 4]) |c| v = v * 16 + (enc.hexValue(c) orelse return error.Invalid);
        p.i += 4;
        return v;
    }

    /// Parse a string at p.i (on its quote); return its decoded bytes.
    fn parseString(p: *Parser) Invalid![]const u8 {
        p.i += 1;
        var out: std.ArrayList(u8) = .empty;
        while (true) {
            if (p.i >= p.s.len) return error.Invalid;
            const c = p.s[p.i];
            if (c == '"') {
                p.i += 1;
                return out.items;
            }
            if (c < 0x20) return error.Invalid;
            if (c != '\\') {
                try out.append(p.a, c);
                p.i += 1;
                continue;
            }
            p.i += 1;
            if (p.i >= p.s.len) return error.Invalid;
            const e = p.s[p.i];
            p.i += 1;
            const simple: ?u8 = switch (e) {
                '"' => '"',
                '\\' => '\\',
                '/' => '/',
                'b' => 0x08,
                'f' => 0x0C,
                'n' => '\n',
                'r' => '\r',
                't' => '\t',
                'u' => null,
                else => return error.Invalid,
            };
            if (simple) |b| {
                try out.append(p.a, b);
                continue;
            }
            var cp = try p.hex4();
            if (cp >= 0xDC00 and cp <= 0xDFFF) return error.Invalid;
            if (cp >= 0xD800 and cp <= 0xDBFF) {
                if (p.i + 2 > p.s.len or p.s[p.i] != '\\' or p.s[p.i + 1] != 'u') return error.Invalid;
                p.i += 2;
                const low = try p.hex4();
                if (low < 0xDC00 or low > 0xDFFF) return error.Invalid;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            }
            // UTF-8 of cp (never a surrogate here): a loop of our own, std's encoder drags in its error names
            var buf: [4]u8 = undefined;
            const n: usize = if (cp < 0x80) 1 else if (cp < 0x800) 2 else if (cp < 0x10000) 3 else 4;
            var v: u32 = cp;
            var k = n;
            while (k > 1) : (v >>= 6) {
                k -= 1;
                buf[k] = 0x80 | @as(u8, @truncate(v & 0x3F));
            }
            buf[0] = @as(u8, @truncate(v)) | @as(u8, @truncate(@as(u32, 0xF0E0C000) >> @intCast(8 * (n - 1))));
            try out.appendSlice(p.a, buf[0..n]);
        }
    }
};

pub fn parse(a: std.mem.Allocator, body: []const u8) !?*Node {
    if (!validUtf8(body)) return null;
    var p = Parser{ .a = a, .s = body };
    const root = p.parseValue(0) catch |e| switch (e) {
        error.Invalid => return null,
        error.OutOfMemory => return error.OutOfMemory,
    };
    p.skipWs();
    if (p.i != body.len) return null;
    return root;
}

fn serializeInto(a: std.mem.Allocator, out: *std.ArrayList(u8), n: *const Node) !void {
    switch (n.*) {
        .string, .scalar => |raw| try out.appendSlice(a, raw),
        .object => |members| {
            try out.append(a, '{');
            for (members.items, 0..) |m, i| {
                if (i > 0) try out.append(a, ',');
                try out.appendSlice(a, m.raw_key);
                try out.append(a, ':');
                try serializeInto(a, out, m.val);
            }
            try out.append(a, '}');
        },
        .array => |items| {
            try out.append(a, '[');
            for (items.items, 0..) |v, i| {
                if (i > 0) try out.append(a, ',');
                try serializeInto(a, out, v);
            }
            try out.append(a, ']');
        },
    }
}

pub fn serialize(a: std.mem.Allocator, n: *const Node) ![]const u8 {
    var out: std.ArrayList(u8) = .empty;
    try serializeInto(a, &out, n);
    return out.items;
}

// ---- paths ----------------------------------------------------------------------------------

pub const Segment = union(enum) { key: []const u8, index: u32 };

/// Parse a path constant; null when it is invalid (then every JSON op treats the field as missing).
pub fn parsePath(a: std.mem.Allocator, path: []const u8) !?[]Segment {
    if (path.len == 0 or !validUtf8(path)) return null;
    var segs: std.ArrayList(Segment) = .empty;
    var i: usize = 0;
    while (true) {
        if (segs.items.len >= max_segments) return null;
        var is_key = path[i] != '[';
        if (segs.items.len > 0) {
            if (path[i] == '.') {
                i += 1;
                is_key = true;
            } else if (path[i] != '[') return null;
        }
        if (is_key) {
            const start = i;
            while (i < path.len and path[i] != '.' and path[i] != '[' and path[i] != ']') i += 1;
            if (i == start) return null;
            try segs.append(a, .{ .key = path[start..i] });
            if (i < path.len and path[i] == ']') return null;
        } else {
            i += 1; // '['
            const start = i;
            while (i < path.len and path[i] >= '0' and path[i] <= '9') i += 1;
            const d = path[start..i];
            if (d.len == 0 or d.len > wire.json_max_index_digits or (d.len > 1 and d[0] == '0')) return null;
            if (i >= path.len or path[i] != ']') return null;
            i += 1;
            var v: u32 = 0;
            for (d) |c| v = v * 10 + (c - '0');
            try segs.append(a, .{ .index = v });
        }
        if (i == path.len) break;
    }
    return segs.items;
}

fn lastMember(n: *const Node, key: []const u8) ?*Node {
    if (n.* != .object) return null;
    var found: ?*Node = null;
    for (n.object.items) |m| if (strfn.eql(m.key, key)) {
        found = m.val;
    };
    return found;
}

fn step(n: *const Node, seg: Segment) ?*Node {
    switch (seg) {
        .key => |k| return lastMember(n, k),
        .index => |idx| {
            if (n.* != .array or idx >= n.array.items.len) return null;
            return n.array.items[idx];
        },
    }
}

/// `json(PATH)`: a string gives its decoded text, anything else its compact serialization.
pub fn get(a: std.mem.Allocator, body: []const u8, path: []const u8) !?[]const u8 {
    const segs = (try parsePath(a, path)) orelse return null;
    var n = (try parse(a, body)) orelse return null;
    for (segs) |seg| n = step(n, seg) orelse return null;
    if (n.* == .string) {
        var p = Parser{ .a = a, .s = n.string };
        return p.parseString() catch |e| switch (e) {
            error.Invalid => null,
            error.OutOfMemory => error.OutOfMemory,
        };
    }
    return try serialize(a, n);
}

/// The text `set json` writes for a value; null when it is bytes that are not valid UTF-8.
pub fn scalarText(a: std.mem.Allocator, v: value.Value) !?[]const u8 {
    return switch (v) {
        .none => "null",
        .boolean => |b| if (b) "true" else "false",
        .int => try value.toStr(a, v),
        .str => |s| if (validUtf8(s)) try enc.jsonEscape(a, s) else null,
    };
}

fn newNode(a: std.mem.Allocator, n: Node) !*Node {
    const out = try a.create(Node);
    out.* = n;
    return out;
}

fn scalarNode(a: std.mem.Allocator, text: []const u8) !*Node {
    return newNode(a, if (text.len > 0 and text[0] == '"') .{ .string = text } else .{ .scalar = text });
}

/// `set json PATH = v`: the new body, or null when the body stays unchanged.
pub fn set(a: std.mem.Allocator, body: []const u8, path: []const u8, v: value.Value) !?[]const u8 {
    const segs = (try parsePath(a, path)) orelse return null;
    const text = (try scalarText(a, v)) orelse return null;
    const root = (try parse(a, body)) orelse return null;
    var n = root;
    for (segs[0 .. segs.len - 1], 0..) |seg, i| {
        if (step(n, seg)) |next| {
            n = next;
            continue;
        }
        // Only a missing key followed by another key is created (as {}); arrays never are.
        if (seg != .key or n.* != .object or segs[i + 1] != .key) return null;
        const child = try newNode(a, .{ .object = .empty });
        try n.object.append(a, .{ .raw_key = try enc.jsonEscape(a, seg.key), .key = seg.key, .val = child });
        n = child;
    }
    const last = segs[segs.len - 1];
    const fresh = try scalarNode(a, text);
    switch (last) {
        .key => |k| {
            if (n.* != .object) return null;
            var last_i: ?usize = null;
            for (n.object.items, 0..) |m, i| if (strfn.eql(m.key, k)) {
                last_i = i;
            };
            if (last_i) |li| {
                n.object.items[li].val = fresh;
                // drop earlier duplicates, keeping the position of the last one
                var w: usize = 0;
                for (n.object.items, 0..) |m, i| {
                    if (i < li and strfn.eql(m.key, k)) continue;
                    n.object.items[w] = m;
                    w += 1;
                }
                n.object.items.len = w;
            } else {
                try n.object.append(a, .{ .raw_key = try enc.jsonEscape(a, k), .key = k, .val = fresh });
            }
        },
        .index => |idx| {
            if (n.* != .array or idx >= n.array.items.len) return null;
            n.array.items[idx] = fresh;
        },
    }
    return try serialize(a, root);
}

/// `remove json PATH`: the new body, or null when nothing was removed.
pub fn remove(a: std.mem.Allocator, body: []const u8, path: []const u8) !?[]const u8 {
    const segs = (try parsePath(a, path)) orelse return null;
    const root = (try parse(a, body)) orelse return null;
    var n = root;
    for (segs[0 .. segs.len - 1]) |seg| n = step(n, seg) orelse return null;
    switch (segs[segs.len - 1]) {
        .key => |k| {
            if (n.* != .object) return null;
            var w: usize = 0;
            for (n.object.items) |m| {
                if (strfn.eql(m.key, k)) continue;
                n.object.items[w] = m;
                w += 1;
            }
            if (w == n.object.items.len) return null;
            n.object.items.len = w;
        },
        .index => |idx| {
            if (n.* != .array or idx >= n.array.items.len) return null;
            _ = n.array.orderedRemove(idx);
        },
    }
    return try serialize(a, root);
}
