//! in_cidr(ip, cidr) (docs/runtime.md): textual IPv4 / IPv6 addresses and CIDR ranges, accepted exactly as
//! kgw_rules/runtime/cidr.py accepts them: dotted quads without leading zeros, IPv6 with at most one `::` and an
//! optional dotted tail, no zone ids. Host bits of the range are ignored; an address of the other family, or
//! text that does not parse, is not inside. Hand-rolled loops (no std.mem): every byte counts in the filter.
const std = @import("std");

/// IPv4 (out[0..4]) or IPv6 (out[0..16]) text -> 4 or 16, or 0 when it is no address. One pass for both
/// families: each group keeps its hex and its decimal value until its separator says which it is.
noinline fn parse(s: []const u8, out: *[16]u8) usize {
    var n: usize = 0; // bytes written
    var gap: usize = 16; // byte index of "::" (16: none; a gap always stands before byte 15)
    var quads: usize = 0; // dotted numbers written
    var hex: u32 = 0;
    var dec: u32 = 0;
    var len: usize = 0; // characters of the current group
    var decimal = true; // decimal digits only, no leading zero, at most 255
    var i: usize = 0;
    if (s.len >= 2 and s[0] == ':' and s[1] == ':') {
        gap = 0;
        i = 2;
    }
    while (i < s.len or (i == s.len and (gap != 0 or s.len > 2))) : (i += 1) {
        const c: u8 = if (i < s.len) s[i] else 0; // 0: the end
        if (c == ':' or c == '.' or c == 0) {
            if (len == 0) return 0; // an empty group
            if (c == '.' or quads > 0) { // a dotted number: four of them end the text
                if (!decimal or c == ':' or n > 15) return 0;
                out[n] = @intCast(dec);
                n += 1;
                quads += 1;
            } else {
                if (n > 14) return 0;
                out[n] = @truncate(hex >> 8);
                out[n + 1] = @truncate(hex);
                n += 2;
            }
            if (c == 0) break;
            hex = 0;
            dec = 0;
            len = 0;
            decimal = true;
            if (c == ':' and i + 1 < s.len and s[i + 1] == ':') {
                if (gap != 16) return 0;
                gap = n;
                i += 1;
                if (i + 1 == s.len) break; // "::" ends the text
            }
            continue;
        }
        const low = c | 0x20;
        const d: u32 = if (c >= '0' and c <= '9') c - '0' else if (low >= 'a' and low <= 'f') low - 'a' + 10 else return 0;
        if (len == 4) return 0; // no group is longer (hex 4, decimal 3)
        if (d > 9 or (len > 0 and dec == 0)) decimal = false; // a letter, or a leading zero
        dec = dec * 10 + d;
        if (dec > 255) decimal = false;
        hex = hex * 16 + d;
        len += 1;
    }
    // IPv4 is four dotted numbers alone (any ':' would have written a word or a gap); IPv6 has eight words,
    // the last two maybe dotted, or fewer around one gap
    if (quads != 0 and quads != 4) return 0;
    if (gap == 16) return if (n == 4 and quads == 4) 4 else if (n == 16) 16 else 0;
    if (n > 14) return 0;
    // move the bytes after "::" to the end, zeros in between (k > n - 1 throughout: nothing is overwritten early)
    var k: usize = 16;
    var from = n;
    while (k > gap) {
        k -= 1;
        if (from > gap) {
            from -= 1;
            out[k] = out[from];
        } else out[k] = 0;
    }
    return 16;
}

/// True when `ip` (address text) lies in `range`: the network's 4 or 16 bytes, then the prefix length (a
/// string constant the compiler made from the range literal; the verifier checked its shape).
pub fn inCidr(ip: []const u8, range: []const u8) bool {
    var addr: [16]u8 = undefined;
    const len = range.len - 1;
    if (parse(ip, &addr) != len) return false;
    const prefix: usize = range[len];
    var i: usize = 0;
    while (i < prefix / 8) : (i += 1) if (addr[i] != range[i]) return false;
    const rest: u3 = @intCast(prefix % 8);
    return rest == 0 or (addr[i] ^ range[i]) >> (7 - rest + 1) == 0;
}

fn inText(ip: []const u8, range: []const u8) bool {
    // the compiler's job in the tests: "net/prefix" text -> net bytes ++ prefix byte
    var net: [17]u8 = undefined;
    var slash: usize = range.len;
    for (range, 0..) |c, i| {
        if (c == '/') slash = i;
    }
    const len = parse(range[0..slash], net[0..16]);
    std.debug.assert(len != 0);
    net[len] = if (slash == range.len) @intCast(len * 8) else std.fmt.parseInt(u8, range[slash + 1 ..], 10) catch unreachable;
    return inCidr(ip, net[0 .. len + 1]);
}

test "in_cidr" {
    const t = std.testing;
    try t.expect(inText("10.1.2.3", "10.0.0.0/8"));
    try t.expect(!inText("11.1.2.3", "10.0.0.0/8"));
    try t.expect(inText("10.1.2.3", "10.1.2.3"));
    try t.expect(inText("1.2.3.4", "0.0.0.0/0"));
    try t.expect(inText("192.168.1.129", "192.168.1.128/25"));
    try t.expect(!inText("192.168.1.127", "192.168.1.128/25"));
    try t.expect(inText("2001:db8::1", "2001:db8::/32"));
    try t.expect(!inText("2001:db9::1", "2001:db8::/32"));
    try t.expect(inText("::1", "::1/128"));
    try t.expect(inText("::", "::/128"));
    try t.expect(inText("::ffff:10.0.0.1", "::ffff:10.0.0.0/104"));
    try t.expect(inText("1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:1.2.3.4"));
    try t.expect(!inText("1:2:3:4:5:6:1.2.3.5", "1:2:3:4:5:6:1.2.3.4"));
    try t.expect(inText("::1.2.3.4", "::1.2.3.4/128"));
    try t.expect(!inText("::1.2.3.5", "::1.2.3.4/128"));
    try t.expect(!inText("10.0.0.1", "::/0"));
    try t.expect(!inText("010.0.0.1", "10.0.0.0/8"));
    try t.expect(!inText("1:2:3:4:5:6:7:8:9", "::/0"));
    try t.expect(inText("1:2:3:4:5:6:7:8", "::/0"));
    try t.expect(inText("1::", "::/0"));
    try t.expect(inText("1:2:3:4:5:6:7::", "::/0"));
    try t.expect(!inText("1::2::3", "::/0"));
    try t.expect(!inText(":::", "::/0"));
    try t.expect(!inText("1:2:3:4:5:6:7:", "::/0"));
    try t.expect(!inText("12345::", "::/0"));
    try t.expect(!inText("1.2.3.4::", "::/0"));
    try t.expect(!inText("1.2.3.4:5", "::/0"));
    try t.expect(!inText("1.2.3", "0.0.0.0/0"));
    try t.expect(!inText("1.2.3.4.5", "0.0.0.0/0"));
    try t.expect(!inText("1.2.3.256", "0.0.0.0/0"));
    try t.expect(!inText("", "::/0"));
    try t.expect(!inText("", "0.0.0.0/0"));
}
