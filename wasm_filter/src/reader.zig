//! The one reader of every byte format, twin of kgw_rules/wire/reader.py: bounds-checked takes,
//! little-endian integers and LEB128 varints. A defect stores its reason and returns error.Invalid,
//! which proxy_on_configure logs.
const std = @import("std");

pub const Invalid = error{Invalid};

pub fn fail(reason: *[]const u8, msg: []const u8) Invalid {
    reason.* = msg;
    return error.Invalid;
}

pub const Reader = struct {
    data: []const u8,
    pos: usize,
    end: usize,
    reason: *[]const u8,

    pub fn refuse(r: *const Reader, msg: []const u8) Invalid {
        return fail(r.reason, msg);
    }

    pub fn take(r: *Reader, n: usize, what: []const u8) Invalid![]const u8 {
        if (n > r.end - r.pos) return r.refuse(what);
        const out = r.data[r.pos .. r.pos + n];
        r.pos += n;
        return out;
    }

    pub fn byte(r: *Reader, what: []const u8) Invalid!u8 {
        return (try r.take(1, what))[0];
    }

    pub fn int(r: *Reader, comptime T: type, what: []const u8) Invalid!T {
        return std.mem.readInt(T, (try r.take(@sizeOf(T), what))[0..@sizeOf(T)], .little);
    }

    /// Unsigned LEB128 of at most `bits` bits; truncated, overlong (a final 0 byte after the first)
    /// and out-of-range encodings are refused: one encoding per value.
    pub fn varint(r: *Reader, bits: u7, what: []const u8) Invalid!u64 {
        var v: u128 = 0;
        var shift: u32 = 0;
        const first = r.pos;
        while (true) {
            const b = try r.byte(what);
            v |= @as(u128, b & 0x7F) << @intCast(shift);
            if (b & 0x80 == 0) break;
            shift += 7;
            if (shift >= @as(u32, bits) + 7) return r.refuse("varint too long");
        }
        if (v >> bits != 0) return r.refuse("varint out of range");
        if (r.pos - first > 1 and r.data[r.pos - 1] == 0) return r.refuse("overlong varint");
        return @intCast(v);
    }

    /// A `str`: varint length, then that many bytes.
    pub fn blob(r: *Reader, what: []const u8) Invalid![]const u8 {
        return r.take(@intCast(try r.varint(32, what)), what);
    }

    pub fn done(r: *const Reader) bool {
        return r.pos == r.end;
    }
};

const testing = std.testing;

fn reader(data: []const u8, reason: *[]const u8) Reader {
    return .{ .data = data, .pos = 0, .end = data.len, .reason = reason };
}

test "varints: one encoding per value" {
    var why: []const u8 = "";
    const ok = [_]struct { []const u8, u64 }{ .{ "\x00", 0 }, .{ "\x7f", 127 }, .{ "\x80\x01", 128 }, .{ "\xff\xff\xff\xff\x0f", 0xffff_ffff } };
    for (ok) |case| {
        var r = reader(case[0], &why);
        try testing.expectEqual(case[1], try r.varint(32, "v"));
        try testing.expect(r.done());
    }
    const bad = [_]struct { []const u8, []const u8 }{
        .{ "\x80", "v" }, // truncated: the reason is what was being read
        .{ "\x80\x00", "overlong varint" },
        .{ "\xff\xff\xff\xff\x1f", "varint out of range" },
        .{ "\xff\xff\xff\xff\xff\xff\x01", "varint too long" },
    };
    for (bad) |case| {
        var r = reader(case[0], &why);
        try testing.expectError(error.Invalid, r.varint(32, "v"));
        try testing.expectEqualStrings(case[1], why);
    }
    var r = reader("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", &why);
    try testing.expectEqual(std.math.maxInt(u64), try r.varint(64, "v"));
}

test "blobs and fixed-width integers" {
    var why: []const u8 = "";
    var r = reader("\x03abc\x34\x12\x78\x56\x34\x12", &why);
    try testing.expectEqualStrings("abc", try r.blob("s"));
    try testing.expectEqual(@as(u16, 0x1234), try r.int(u16, "n"));
    try testing.expectEqual(@as(u32, 0x12345678), try r.int(u32, "n"));
    try testing.expect(r.done());
    try testing.expectError(error.Invalid, r.byte("past the end"));
    try testing.expectEqualStrings("past the end", why);
    var short = reader("\x04ab", &why);
    try testing.expectError(error.Invalid, short.blob("short blob"));
    try testing.expectEqualStrings("short blob", why);
}
