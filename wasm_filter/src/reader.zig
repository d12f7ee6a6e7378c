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
