//! Bytecode decode + verify (docs/bytecode.md), the twin of kgw_rules/wire/program.py and verify.py:
//! it must accept exactly the blobs the Python verifier accepts. Runs once, in proxy_on_configure.
const std = @import("std");
const strfn = @import("strfn.zig");
const wire = @import("wire.zig");
const regex = @import("regex.zig");
const Reader = @import("reader.zig").Reader;
const fail = @import("reader.zig").fail;
const Op = wire.Op;

pub const Const = union(enum) { str: []const u8, int: i64 };

pub const Program = struct {
    flags: u16,
    nvars: u16,
    consts: []const Const,
    regexes: []const regex.Regex,
    code: [2][]const u8, // request, response
    /// More than 256 constants: constant-index operands are two bytes (one otherwise).
    wide: bool,
    /// The phase reads or writes the body: the flag, or any body opcode in the code (a hand-made
    /// program without the flag still sees the body, as in the reference VM).
    needs_body: [2]bool,
    /// The deepest stack each phase reaches (verified): the interpreter allocates this much, not
    /// max_stack (a safety-checked build fills every allocation, 6 KB per phase at max_stack).
    depth: [2]u16 = .{ 0, 0 },
};

pub const Error = error{ Invalid, OutOfMemory };

/// Decode and verify `data`. Slices in the result point into `data`, so the caller keeps `data`
/// alive as long as the program (the filter copies the plugin configuration into long-lived memory).
pub fn decode(al: std.mem.Allocator, data: []const u8, reason: *[]const u8) Error!Program {
    const cs = wire.program_checksum_size;
    if (data.len < wire.program_min_header_size + cs) return fail(reason, "truncated header");
    if (!strfn.eql(data[0..3], wire.program_magic[0..3])) return fail(reason, "bad magic");
    if (data[3] != wire.program_version) return fail(reason, "unsupported format version");
    const crc = std.mem.readInt(u16, data[data.len - cs ..][0..2], .little);
    if (crc16(data[0 .. data.len - cs]) != crc) return fail(reason, "checksum mismatch");
    var r = Reader{ .data = data, .pos = 4, .end = data.len - cs, .reason = reason };
    // header: varints flags, nvars, nconst, nregex (the stack depth is computed below, not stored)
    const flags = try r.varint(32, "truncated header");
    const nvars = try r.varint(32, "truncated header");
    const nconst = try r.varint(32, "truncated header");
    const nregex = try r.varint(32, "truncated header");
    if (flags & ~@as(u64, wire.known_flags) != 0) return fail(reason, "unknown flags");
    if (nvars > wire.max_variables) return fail(reason, "too many variables");
    if (nconst > wire.max_constants) return fail(reason, "too many constants");
    if (nregex > wire.max_regexes) return fail(reason, "too many regexes");
    const wide = flags & wire.flag_wide != 0;
    if (wide != (nconst > wire.narrow_constants)) return fail(reason, "WIDE flag does not match the constants");
    const consts = try al.alloc(Const, @intCast(nconst));
    for (consts) |*c| {
        // 2*len then a string's bytes, or the int mark then a zigzag varint
        const head = try r.varint(32, "truncated constant");
        c.* = if (head & 1 == 0) .{ .str = try r.take(@intCast(head >> 1), "truncated constant") } else if (head == wire.constant_int_mark) blk: {
            const z = try r.varint(64, "truncated constant");
            break :blk .{ .int = @bitCast((z >> 1) ^ (0 -% (z & 1))) };
        } else return fail(reason, "unknown constant kind");
    }
    const regexes = try al.alloc(regex.Regex, @intCast(nregex));
    for (regexes) |*re| re.* = try regex.decode(al, try r.blob("truncated regex"), reason);
    var prog = Program{ .flags = @intCast(flags), .nvars = @intCast(nvars), .consts = consts, .regexes = regexes, .code = .{ "", "" }, .wide = wide, .needs_body = .{ false, false } };
    for (0..2) |phase| {
        const bit: u64 = if (phase == 0) wire.flag_request else wire.flag_response;
        if (flags & bit == 0) continue; // a phase's code is present exactly when its flag is set
        prog.code[phase] = try r.blob("truncated code");
        if (prog.code[phase].len == 0) return fail(reason, "phase flag set, code empty");
        if (prog.code[phase].len > wire.max_code) return fail(reason, "code over 64 KiB");
    }
    for (0..2) |phase| prog.depth[phase] = @intCast(try checkCode(al, &prog, phase, reason));
    if (flags & wire.flag_lines != 0) try checkLines(&r, &prog);
    if (!r.done()) return fail(reason, "bytes left over");
    prog.needs_body[0] = prog.needs_body[0] or flags & wire.flag_request_body != 0;
    prog.needs_body[1] = prog.needs_body[1] or flags & wire.flag_response_body != 0;
    return prog;
}

/// CRC-16/XMODEM (binascii.crc_hqx in Python), bit by bit: it runs once per configuration, and a table
/// would cost the module 512 bytes.
pub fn crc16(data: []const u8) u16 {
    var crc: u16 = 0;
    for (data) |byte| {
        crc ^= @as(u16, byte) << 8;
        for (0..8) |_| crc = if (crc & 0x8000 != 0) (crc << 1) ^ 0x1021 else crc << 1;
    }
    return crc;
}

/// CRC-32 (zlib.crc32 in Python) of a bundle, bit by bit for the same reason: std.hash.Crc32's table
/// is 1 KiB of the module.
pub fn crc32(data: []const u8) u32 {
    var crc: u32 = 0xFFFF_FFFF;
    for (data) |byte| {
        crc ^= byte;
        for (0..8) |_| crc = (crc >> 1) ^ (0xEDB8_8320 & (0 -% (crc & 1)));
    }
    return ~crc;
}

fn checkLines(r: *Reader, prog: *const Program) !void {
    const table = try r.blob("truncated line table");
    if (table.len < 4) return r.refuse("truncated line table");
    const count = std.mem.readInt(u32, table[0..4], .little);
    if (table.len - 4 != @as(u64, count) * wire.line_entry_size) return r.refuse("line table length mismatch");
    for (0..count) |i| {
        const e = table[4 + wire.line_entry_size * i ..][0..wire.line_entry_size];
        const phase = e[0];
        const pc = std.mem.readInt(u32, e[1..5], .little);
        const line = std.mem.readInt(u32, e[5..9], .little);
        if (phase > 1 or pc >= @max(1, prog.code[phase].len) or line == 0) return r.refuse("bad line table entry");
    }
}

/// A rate-limit descriptor key: [a-z0-9][a-z0-9_-]*, at most max_descriptor_key bytes (it ends a header name).
fn descriptorKeyOk(key: []const u8) bool {
    if (key.len == 0 or key.len > wire.max_descriptor_key) return false;
    for (key, 0..) |c, i| {
        const alnum = (c >= 'a' and c <= 'z') or (c >= '0' and c <= '9');
        if (!alnum and (i == 0 or (c != '_' and c != '-'))) return false;
    }
    return true;
}

fn isStringConst(prog: *const Program, idx: u16) bool {
    return idx < prog.consts.len and prog.consts[idx] == .str;
}

fn u16At(code: []const u8, at: usize) u16 {
    return std.mem.readInt(u16, code[at..][0..2], .little);
}

/// A constant-index operand: one byte, or two in a WIDE program.
pub fn constAt(prog: *const Program, code: []const u8, at: usize) u16 {
    return if (prog.wide) u16At(code, at) else code[at];
}

/// One phase: operands, phase rules, forward jumps onto instruction starts, one stack depth per pc.
/// Returns the maximum depth. Unreachable instructions get their operands checked, not the stack.
fn checkCode(al: std.mem.Allocator, prog: *Program, phase: usize, reason: *[]const u8) Error!usize {
    const code = prog.code[phase];
    const n = code.len;
    const sizes = if (prog.wide) &wire.operand_bytes_wide else &wire.operand_bytes;
    // pass 1: instruction starts
    const start = try al.alloc(bool, n + 1);
    defer al.free(start);
    @memset(start, false);
    start[n] = true;
    var pc: usize = 0;
    while (pc < n) {
        const size = if (code[pc] < sizes.len) sizes[code[pc]] else 255;
        if (size == 255) return fail(reason, "unknown opcode");
        if (pc + 1 + size > n) return fail(reason, "truncated instruction");
        start[pc] = true;
        pc += 1 + size;
    }
    // depth per pc, -1 = not reached (yet)
    const depth_at = try al.alloc(i32, n + 1);
    defer al.free(depth_at);
    @memset(depth_at, -1);
    if (n > 0) depth_at[0] = 0;
    var max_depth: usize = 0;
    pc = 0;
    while (pc < n) {
        const op = code[pc];
        const size = sizes[op];
        const end = pc + 1 + size;
        const phase_bit: u8 = if (phase == 0) 1 else 2;
        if (wire.phases[op] & phase_bit == 0) return fail(reason, "opcode in wrong phase");
        // operands
        var pops: usize = wire.pops[op];
        switch (op) {
            Op.CONST => if (constAt(prog, code, pc + 1) >= prog.consts.len) return fail(reason, "constant out of range"),
            Op.HDR, Op.HDR_ALL, Op.REQ_HDR, Op.QUERY, Op.COOKIE, Op.JSON, Op.SET_HDR, Op.ADD_HDR, Op.DEL_HDR, Op.REN_HDR, Op.SET_QUERY, Op.DEL_QUERY, Op.SET_JSON, Op.DEL_JSON, Op.ENV, Op.SET_LOG, Op.SET_DESC, Op.JSON_OF, Op.IN_CIDR => {
                // header opcodes refuse pseudo-header names: the compiler never emits one
                const is_header = op <= Op.REQ_HDR or (op >= Op.SET_HDR and op <= Op.REN_HDR);
                for (0..@as(usize, 1) + @intFromBool(op == Op.REN_HDR)) |k| {
                    const idx = constAt(prog, code, pc + 1 + (size / 2) * k);
                    if (!isStringConst(prog, idx)) return fail(reason, "not a string constant");
                    const s = prog.consts[idx].str;
                    if (is_header and s.len > 0 and s[0] == ':') return fail(reason, "pseudo-header name");
                    if (op == Op.SET_DESC and !descriptorKeyOk(s)) return fail(reason, "bad descriptor key");
                    // a range: 4 or 16 network bytes and a prefix length that fits (cidr.zig)
                    if (op == Op.IN_CIDR and !(s.len == 5 and s[4] <= 32 or s.len == 17 and s[16] <= 128)) return fail(reason, "range");
                }
            },
            Op.LOAD, Op.STORE => if (code[pc + 1] >= prog.nvars) return fail(reason, "variable out of range"),
            Op.REPLACE, Op.MATCH, Op.REPLACE_BODY => if (code[pc + 1] >= prog.regexes.len) return fail(reason, "regex out of range"),
            Op.MATCH_CAP => {
                if (code[pc + 1] >= prog.regexes.len) return fail(reason, "regex out of range");
                if (@as(usize, code[pc + 2]) + prog.regexes[code[pc + 1]].ngroups > prog.nvars) return fail(reason, "capture vars out of range");
            },
            Op.FIELD => {
                if (code[pc + 1] >= wire.field_count) return fail(reason, "field out of range");
                if (code[pc + 1] == wire.Field.status and phase != 1) return fail(reason, "status read in the request phase");
            },
            Op.RESPOND => {
                const st = u16At(code, pc + 1);
                if (st < 200 or st > 599) return fail(reason, "respond status outside 200-599");
                pops = 2 * @as(usize, code[pc + 3]) + @intFromBool(code[pc + 4] != 0);
            },
            Op.IN => {
                if (code[pc + 1] == 0) return fail(reason, "IN needs at least one item");
                pops = @as(usize, code[pc + 1]) + 1;
            },
            Op.CONCAT => pops = code[pc + 1],
            else => {},
        }
        if (op == Op.FIELD and code[pc + 1] == wire.Field.body) prog.needs_body[phase] = true;
        switch (op) {
            Op.JSON, Op.SET_BODY, Op.SET_JSON, Op.DEL_JSON, Op.REPLACE_BODY => prog.needs_body[phase] = true,
            else => {},
        }
        const is_jump = op == Op.JMP or op == Op.JMPF or op == Op.JMPF_KEEP or op == Op.JMPT_KEEP;
        const target: usize = if (is_jump) end + u16At(code, pc + 1) else 0;
        if (is_jump and target > n) return fail(reason, "jump past the end");
        const d = depth_at[pc];
        if (d >= 0) {
            const depth: usize = @intCast(d);
            if (depth < pops) return fail(reason, "stack underflow");
            var after = depth - pops + wire.pushes[op];
            max_depth = @max(max_depth, after);
            if (max_depth > wire.max_stack) return fail(reason, "stack too deep");
            if (op == Op.JMPF_KEEP or op == Op.JMPT_KEEP) {
                try arrive(start, depth_at, target, depth, reason);
                after = depth - 1;
            } else if (op == Op.JMP or op == Op.JMPF) {
                try arrive(start, depth_at, target, after, reason);
            }
            if ((op == Op.STOP or op == Op.RESPOND) and after != 0) return fail(reason, "values left at STOP/RESPOND");
            if (op != Op.JMP and op != Op.STOP and op != Op.RESPOND) try arrive(start, depth_at, end, after, reason);
        }
        pc = end;
    }
    if (depth_at[n] > 0) return fail(reason, "values left at phase end");
    return max_depth;
}

fn arrive(start: []const bool, depth_at: []i32, pc: usize, depth: usize, reason: *[]const u8) !void {
    if (!start[pc]) return fail(reason, "jump inside an instruction");
    const d: i32 = @intCast(depth);
    if (depth_at[pc] < 0) {
        depth_at[pc] = d;
    } else if (depth_at[pc] != d) return fail(reason, "stack depths disagree");
}
