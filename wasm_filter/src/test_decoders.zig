//! The decoders of every byte format (docs/bytecode.md, docs/regex.md, docs/data-plane.md): program
//! container, regex programs, bundles. tests/rules/wasm/test_verifier_fuzz.py checks that they accept
//! exactly what kgw_rules.wire accepts; these pin down single cases, off the proxy-wasm ABI.
const std = @import("std");
const testing = std.testing;
const wire = @import("wire.zig");
const program = @import("program.zig");
const regex = @import("regex.zig");
const config = @import("config.zig");

/// Builds blobs the way kgw_rules.wire writes them: varint lengths, CRC-32 at the end.
const Blob = struct {
    bytes: std.ArrayList(u8) = .empty,
    a: std.mem.Allocator,

    fn raw(b: *Blob, data: []const u8) void {
        b.bytes.appendSlice(b.a, data) catch unreachable;
    }

    fn int(b: *Blob, comptime T: type, v: T) void {
        var buf: [@sizeOf(T)]u8 = undefined;
        std.mem.writeInt(T, &buf, v, .little);
        b.raw(&buf);
    }

    fn varint(b: *Blob, value: u64) void {
        var v = value;
        while (v >= 0x80) : (v >>= 7) b.raw(&.{@as(u8, @truncate(v)) | 0x80});
        b.raw(&.{@as(u8, @truncate(v))});
    }

    fn str(b: *Blob, data: []const u8) void {
        b.varint(data.len);
        b.raw(data);
    }

    fn seal(b: *Blob) []const u8 {
        b.int(u32, std.hash.Crc32.hash(b.bytes.items)); // a bundle's checksum
        return b.bytes.items;
    }

    fn sealProgram(b: *Blob) []const u8 {
        b.int(u16, program.crc16(b.bytes.items));
        return b.bytes.items;
    }
};

/// A program: header (varints), string constants, regexes, the code of each phase whose flag is set
/// (`code` for both), optional line table.
fn programBlob(a: std.mem.Allocator, flags: u16, nvars: u16, consts: []const []const u8, regexes: []const []const u8, code: []const u8) []const u8 {
    var b = Blob{ .a = a };
    b.raw(wire.program_magic); // "KGW" and the version byte
    b.varint(flags);
    b.varint(nvars);
    b.varint(consts.len);
    b.varint(regexes.len);
    for (consts) |c| {
        b.varint(2 * c.len); // even: a string of that many bytes
        b.raw(c);
    }
    for (regexes) |r| b.str(r);
    if (flags & wire.flag_request != 0) b.str(code);
    if (flags & wire.flag_response != 0) b.str(code);
    if (flags & wire.flag_lines != 0) {
        var t = Blob{ .a = a };
        t.int(u32, 1);
        t.raw(&.{0});
        t.int(u32, 0);
        t.int(u32, 1);
        t.int(u32, 1);
        b.str(t.bytes.items);
    }
    return b.sealProgram();
}

// `(?P<n>a|[bc])`, the example of docs/regex.md ("Binary format")
const small_regex = "\x01\x07\x01\x01\x6e\x01\x62\x63\x07\x02\x05\x02\x04\x01\x61\x06\x05\x02\x00\x07\x03\x00";
// `(?i)json`: a case-insensitive letter is one BYTE_FOLD of its lower case
const fold_regex = "\x00\x05\x00\x09\x6a\x09\x73\x09\x6f\x09\x6e\x00";
const set_header = [_]u8{ wire.Op.CONST, 0, wire.Op.SET_HDR, 1 }; // set header x = "y" (one-byte indexes)

fn refused(a: std.mem.Allocator, blob: []const u8, want: []const u8) !void {
    var why: []const u8 = "";
    try testing.expectError(error.Invalid, program.decode(a, blob, &why));
    try testing.expectEqualStrings(want, why);
}

test "a program decodes into its sections" {
    var arena = std.heap.ArenaAllocator.init(testing.allocator);
    defer arena.deinit();
    const a = arena.allocator();
    var why: []const u8 = "";
    const flags = wire.flag_request | wire.flag_lines;
    const p = try program.decode(a, programBlob(a, flags, 2, &.{ "y", "x" }, &.{small_regex}, &set_header), &why);
    try testing.expectEqual(@as(usize, 2), p.consts.len);
    try testing.expectEqualStrings("x", p.consts[1].str);
    try testing.expectEqual(@as(u8, 1), p.regexes[0].ngroups);
    try testing.expectEqualSlices(u8, &set_header, p.code[0]);
    try testing.expectEqual(@as(usize, 0), p.code[1].len);
    try testing.expect(!p.needs_body[0] and !p.needs_body[1]);
}

test "int constants are zigzag varints" {
    var arena = std.heap.ArenaAllocator.init(testing.allocator);
    defer arena.deinit();
    const a = arena.allocator();
    var b = Blob{ .a = a };
    b.raw("KGW\x02\x01\x00\x01\x00"); // request phase, no variables, one constant, no regex
    b.raw(&.{ @intCast(wire.constant_int_mark), 0x05 }); // an int: zigzag(-3) = 5
    b.str(&.{ wire.Op.CONST, 0, wire.Op.POP });
    var why: []const u8 = "";
    const p = try program.decode(a, b.sealProgram(), &why);
    try testing.expectEqual(@as(i64, -3), p.consts[0].int);
}

test "the verifier refuses, saying why" {
    var arena = std.heap.ArenaAllocator.init(testing.allocator);
    defer arena.deinit();
    const a = arena.allocator();
    const good = programBlob(a, wire.flag_request, 0, &.{ "y", "x" }, &.{}, &set_header);
    try refused(a, good[0..9], "truncated header");
    const bad_crc = try a.dupe(u8, good);
    bad_crc[bad_crc.len - 1] ^= 1;
    try refused(a, bad_crc, "checksum mismatch");
    try refused(a, programBlob(a, 64, 0, &.{ "y", "x" }, &.{}, &set_header), "unknown flags");
    try refused(a, programBlob(a, wire.flag_request | wire.flag_wide, 0, &.{ "y", "x" }, &.{}, &set_header), "WIDE flag does not match the constants");
    try refused(a, programBlob(a, wire.flag_request, 0, &.{ "y", "x" }, &.{}, ""), "phase flag set, code empty");
    try refused(a, programBlob(a, wire.flag_request, 0, &.{"y"}, &.{}, &set_header), "not a string constant");
    try refused(a, programBlob(a, wire.flag_request, 0, &.{ "y", ":path" }, &.{}, &set_header), "pseudo-header name");
    try refused(a, programBlob(a, wire.flag_request, 0, &.{}, &.{}, &.{ wire.Op.JMP, 1, 0, wire.Op.LOAD, 0 }), "jump inside an instruction");
    try refused(a, programBlob(a, wire.flag_request, 0, &.{ "y", "x" }, &.{}, set_header[0..3]), "truncated instruction");
    try refused(a, programBlob(a, wire.flag_request, 0, &.{}, &.{}, &.{wire.Op.POP}), "stack underflow");
    try refused(a, programBlob(a, wire.flag_request, 0, &.{}, &.{}, &.{0xFF}), "unknown opcode");
    try refused(a, programBlob(a, wire.flag_request, 0, &.{}, &.{"\x00\x01"}, &.{wire.Op.STOP}), "regex: truncated");
    const too_many = programBlob(a, wire.flag_request, wire.max_variables + 1, &.{ "y", "x" }, &.{}, &set_header);
    try refused(a, too_many, "too many variables");
}

test "a regex program decodes, matches and refuses defects" {
    var arena = std.heap.ArenaAllocator.init(testing.allocator);
    defer arena.deinit();
    const a = arena.allocator();
    var why: []const u8 = "";
    const re = try regex.decode(a, small_regex, &why);
    try testing.expectEqual(@as(usize, 7), re.op.len);
    try testing.expect(!re.anchored);
    var m = try regex.Matcher.init(a, &re, true);
    try testing.expect(m.search("xxcz", 0));
    try testing.expectEqual([2]usize{ 2, 3 }, m.group(1).?);
    try testing.expect(!m.search("xyz", 0));
    try testing.expectEqualStrings("x-x-", (try regex.replaceAll(a, &re, "xbxa", "-")).?);

    const fold = try regex.decode(a, fold_regex, &why);
    var fm = try regex.Matcher.init(a, &fold, false);
    try testing.expect(fm.search("application/JsOn", 0));
    try testing.expect(!fm.search("j$on", 0));

    const cases = [_]struct { []const u8, []const u8 }{
        .{ small_regex[0..5], "regex: truncated" },
        .{ small_regex ++ "\x00", "regex: trailing bytes" },
        .{ "\x00\x01\x00\x01\x61", "regex: falls off the end" },
        .{ "\x00\x01\x00\x07\x02", "regex: bad operand" }, // a save slot without groups
        .{ "\x00\x01\x00\x09\x4a", "regex: bad operand" }, // BYTE_FOLD of an upper-case letter
        .{ "\x00\x01\x00\x06\x01", "regex: operand out of range" }, // a jump past the end
        .{ "\x00\x01\x00\x0a", "regex: unknown opcode" },
        .{ "\x00\x01\x01\x01\x10\x05\x00", "regex: reversed range" },
    };
    for (cases) |case| {
        try testing.expectError(error.Invalid, regex.decode(a, case[0], &why));
        try testing.expectEqualStrings(case[1], why);
    }
}

/// Two programs "a" and "bb"; route "r1" runs both, every other route runs "bb".
fn bundleBlob(a: std.mem.Allocator, version: u8, index_b: u16) []const u8 {
    const p = programBlob(a, wire.flag_request, 0, &.{ "y", "x" }, &.{}, &set_header);
    var b = Blob{ .a = a };
    b.raw(wire.bundle_magic);
    b.raw(&.{ version, 0, 0, 0 });
    b.int(u16, 2);
    b.int(u16, 2);
    for ([_][]const u8{ "a", "bb" }) |id| {
        b.str(id);
        b.str(p);
    }
    b.str("r1");
    b.str("ns/r/0");
    b.int(u16, 2);
    b.int(u16, 0);
    b.int(u16, 1);
    b.str("");
    b.str("ns/r/1");
    b.int(u16, 1);
    b.int(u16, index_b);
    return b.seal();
}

test "the bit-by-bit CRC-32 of bundles is zlib's (std.hash.Crc32's)" {
    try testing.expectEqual(@as(u32, 0xCBF43926), program.crc32("123456789")); // the CRC-32 check value
    try testing.expectEqual(@as(u32, 0), program.crc32(""));
    var bytes: [300]u8 = undefined;
    for (&bytes, 0..) |*b, i| b.* = @truncate(i *% 151 +% 7);
    for ([_]usize{ 1, 2, 31, 255, 300 }) |n| try testing.expectEqual(std.hash.Crc32.hash(bytes[0..n]), program.crc32(bytes[0..n]));
}

test "a bundle decodes into programs and a route table" {
    var arena = std.heap.ArenaAllocator.init(testing.allocator);
    defer arena.deinit();
    const a = arena.allocator();
    var why: []const u8 = "";
    var c = try config.decode(bundleBlob(a, wire.bundle_version, 1), &why);
    defer c.deinit();
    try testing.expect(!c.single);
    try testing.expectEqual(@as(usize, 2), c.programs.len);
    try testing.expectEqualStrings("bb", c.ids[1]);
    try testing.expectEqualSlices(u16, &.{ 0, 1 }, c.select("r1").?.programs);
    try testing.expectEqualStrings("ns/r/1", c.select("elsewhere").?.route); // the wildcard entry
    try testing.expect(c.needsRouteName());

    try testing.expectError(error.Invalid, config.decode(bundleBlob(a, 1, 1), &why));
    try testing.expectEqualStrings("bundle: unsupported version", why); // version 1 had u32 lengths
    try testing.expectError(error.Invalid, config.decode(bundleBlob(a, wire.bundle_version, 2), &why));
    try testing.expectEqualStrings("bundle: bad program index", why);
    try testing.expectError(error.Invalid, config.decode("KGWX\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", &why));
    try testing.expectEqualStrings("neither a program nor a bundle", why);
}

test "a single program is a configuration too" {
    var arena = std.heap.ArenaAllocator.init(testing.allocator);
    defer arena.deinit();
    const a = arena.allocator();
    var why: []const u8 = "";
    var c = try config.decode(programBlob(a, wire.flag_request, 0, &.{ "y", "x" }, &.{}, &set_header), &why);
    defer c.deinit();
    try testing.expect(c.single);
    try testing.expectEqualSlices(u16, &.{0}, c.select("any route").?.programs);
}
