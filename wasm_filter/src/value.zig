//! VM values and the coercions of docs/bytecode.md ("Values and coercions").
//! Every opcode is total over every kind, because a verified program may still be hand-made.
const std = @import("std");
const strfn = @import("strfn.zig");

pub const Value = union(enum) {
    none,
    boolean: bool,
    int: i64,
    str: []const u8,
};

/// Decimal text of an i64 (min value included), written into `buf`.
pub fn intText(buf: *[20]u8, n: i64) []const u8 {
    var mag: u64 = if (n < 0) @as(u64, @bitCast(-%n)) else @intCast(n);
    var i: usize = buf.len;
    while (true) {
        i -= 1;
        buf[i] = @intCast('0' + mag % 10);
        mag /= 10;
        if (mag == 0) break;
    }
    if (n < 0) {
        i -= 1;
        buf[i] = '-';
    }
    return buf[i..];
}

/// to_str: a string is itself, an int its decimal text, a bool true/false, none "".
pub fn toStr(a: std.mem.Allocator, v: Value) ![]const u8 {
    return switch (v) {
        .none => "",
        .boolean => |b| if (b) "true" else "false",
        .str => |s| s,
        .int => |n| blk: {
            var buf: [20]u8 = undefined;
            break :blk try a.dupe(u8, intText(&buf, n));
        },
    };
}

pub fn intOf(v: Value) i64 {
    return switch (v) {
        .int => |n| n,
        else => 0,
    };
}

pub fn truth(v: Value) bool {
    return switch (v) {
        .boolean => |b| b,
        else => false,
    };
}

/// EQ/NE/IN: two ints as ints, two bools as bools, anything else by the texts.
pub fn equal(a: std.mem.Allocator, x: Value, y: Value) !bool {
    if (x == .int and y == .int) return x.int == y.int;
    if (x == .boolean and y == .boolean) return x.boolean == y.boolean;
    return strfn.eql(try toStr(a, x), try toStr(a, y));
}

/// LT/LE/GT/GE: -1, 0, 1; two ints as ints, else bytewise comparison of the texts.
pub fn order(a: std.mem.Allocator, x: Value, y: Value) !i2 {
    if (x == .int and y == .int) return if (x.int < y.int) -1 else if (x.int > y.int) 1 else 0;
    const xs = try toStr(a, x);
    const ys = try toStr(a, y);
    return switch (std.mem.order(u8, xs, ys)) {
        .lt => -1,
        .eq => 0,
        .gt => 1,
    };
}
