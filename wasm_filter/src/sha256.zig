//! SHA-256 (FIPS 180-4) with a rolled round loop. std.crypto's Sha256 unrolls all 64 rounds, which
//! costs about 5.9 KB of wasm -- a tenth of the filter -- for a function rules call rarely; this one is
//! under 1 KB. Tests compare it with hashlib on random inputs.
const std = @import("std");

const K = [64]u32{
    0x428A2F98, 0x71374491, 0xB5C0FBCF, 0xE9B5DBA5, 0x3956C25B, 0x59F111F1, 0x923F82A4, 0xAB1C5ED5,
    0xD807AA98, 0x12835B01, 0x243185BE, 0x550C7DC3, 0x72BE5D74, 0x80DEB1FE, 0x9BDC06A7, 0xC19BF174,
    0xE49B69C1, 0xEFBE4786, 0x0FC19DC6, 0x240CA1CC, 0x2DE92C6F, 0x4A7484AA, 0x5CB0A9DC, 0x76F988DA,
    0x983E5152, 0xA831C66D, 0xB00327C8, 0xBF597FC7, 0xC6E00BF3, 0xD5A79147, 0x06CA6351, 0x14292967,
    0x27B70A85, 0x2E1B2138, 0x4D2C6DFC, 0x53380D13, 0x650A7354, 0x766A0ABB, 0x81C2C92E, 0x92722C85,
    0xA2BFE8A1, 0xA81A664B, 0xC24B8B70, 0xC76C51A3, 0xD192E819, 0xD6990624, 0xF40E3585, 0x106AA070,
    0x19A4C116, 0x1E376C08, 0x2748774C, 0x34B0BCB5, 0x391C0CB3, 0x4ED8AA4A, 0x5B9CCA4F, 0x682E6FF3,
    0x748F82EE, 0x78A5636F, 0x84C87814, 0x8CC70208, 0x90BEFFFA, 0xA4506CEB, 0xBEF9A3F7, 0xC67178F2,
};

fn rotr(x: u32, comptime n: u5) u32 {
    return std.math.rotr(u32, x, n);
}

fn block(h: *[8]u32, b: *const [64]u8) void {
    var w: [64]u32 = undefined;
    for (0..16) |i| w[i] = std.mem.readInt(u32, b[4 * i ..][0..4], .big);
    for (16..64) |i| {
        const s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
        const s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] +% s0 +% w[i - 7] +% s1;
    }
    var v = h.*;
    for (0..64) |i| {
        const e = v[4];
        const a = v[0];
        const t1 = v[7] +% (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) +% ((e & v[5]) ^ (~e & v[6])) +% K[i] +% w[i];
        const t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) +% ((a & v[1]) ^ (a & v[2]) ^ (v[1] & v[2]));
        var j: usize = 7;
        while (j > 0) : (j -= 1) v[j] = v[j - 1];
        v[4] +%= t1;
        v[0] = t1 +% t2;
    }
    for (h, v) |*x, y| x.* +%= y;
}

pub fn hash(data: []const u8, out: *[32]u8) void {
    var h = [8]u32{ 0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A, 0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19 };
    var i: usize = 0;
    while (i + 64 <= data.len) : (i += 64) block(&h, data[i..][0..64]);
    var tail: [128]u8 = @splat(0);
    const rest = data.len - i;
    @memcpy(tail[0..rest], data[i..]);
    tail[rest] = 0x80;
    const n: usize = if (rest < 56) 64 else 128;
    std.mem.writeInt(u64, tail[n - 8 ..][0..8], @as(u64, data.len) * 8, .big);
    block(&h, tail[0..64]);
    if (n == 128) block(&h, tail[64..128]);
    for (h, 0..) |x, k| std.mem.writeInt(u32, out[4 * k ..][0..4], x, .big);
}
