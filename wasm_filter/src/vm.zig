//! The bytecode interpreter: one phase of one verified program over an Exchange. Verification
//! guarantees operands in range, no underflow and forward-only jumps, so the loop needs no checks
//! beyond what keeps every opcode total over every value kind.
const std = @import("std");
const wire = @import("wire.zig");
const Op = wire.Op;
const F = wire.Field;
const program = @import("program.zig");
const value = @import("value.zig");
const Value = value.Value;
const Exchange = @import("exchange.zig").Exchange;
const strfn = @import("strfn.zig");
const enc = @import("encoding.zig");
const query = @import("query.zig");
const json = @import("json.zig");
const regex = @import("regex.zig");
const host = @import("host.zig");
const cidr = @import("cidr.zig");

pub const Result = enum { done, stop, respond };

const Stack = struct {
    items: []Value,
    len: usize = 0,
    fn push(s: *Stack, v: Value) void {
        s.items[s.len] = v;
        s.len += 1;
    }
    fn pop(s: *Stack) Value {
        s.len -= 1;
        return s.items[s.len];
    }
};

fn str(s: []const u8) Value {
    return .{ .str = s };
}

fn opt(s: ?[]const u8) Value {
    return if (s) |v| .{ .str = v } else .none;
}

fn boolean(b: bool) Value {
    return .{ .boolean = b };
}

pub fn run(x: *Exchange, p: *const program.Program, vars: []Value) !Result {
    const a = x.a;
    const code = p.code[x.phase];
    var st = Stack{ .items = try a.alloc(Value, wire.max_stack + 1) };
    const sizes = if (p.wide) &wire.operand_bytes_wide else &wire.operand_bytes;
    var pc: usize = 0;
    while (pc < code.len) {
        const op = code[pc];
        const operand_at = pc + 1;
        pc += 1 + sizes[op];
        const u8a = if (operand_at < code.len) code[operand_at] else 0;
        const u16a: u16 = if (operand_at + 1 < code.len) std.mem.readInt(u16, code[operand_at..][0..2], .little) else 0;
        const k: u16 = if (p.wide) u16a else u8a; // a constant index
        switch (op) {
            Op.JMP => pc += u16a,
            Op.JMPF => if (!value.truth(st.pop())) {
                pc += u16a;
            },
            Op.JMPF_KEEP => if (!value.truth(st.items[st.len - 1])) {
                pc += u16a;
            } else {
                _ = st.pop();
            },
            Op.JMPT_KEEP => if (value.truth(st.items[st.len - 1])) {
                pc += u16a;
            } else {
                _ = st.pop();
            },
            Op.POP => _ = st.pop(),
            Op.STOP => return .stop,
            Op.CONST => st.push(switch (p.consts[k]) {
                .str => |s| str(s),
                .int => |n| .{ .int = n },
            }),
            Op.NONE => st.push(.none),
            Op.TRUE => st.push(boolean(true)),
            Op.FALSE => st.push(boolean(false)),
            Op.LOAD => st.push(vars[u8a]),
            Op.STORE => vars[u8a] = st.pop(),
            Op.FIELD => st.push(try field(x, u8a)),
            Op.HDR => st.push(opt(x.header(x.cur(), p.consts[k].str))),
            Op.HDR_ALL => {
                const sep = try value.toStr(a, st.pop());
                const name = p.consts[k].str;
                st.push(opt(try x.cur().joined(a, name, sep)));
            },
            Op.REQ_HDR => st.push(opt(x.header(&x.req, p.consts[k].str))),
            Op.QUERY => st.push(opt(try query.get(a, x.url(), p.consts[k].str))),
            Op.COOKIE => st.push(opt(query.cookie(try x.req.all(a, "cookie"), p.consts[k].str))),
            Op.JSON, Op.JSON_OF => {
                // one call site: json.get is inlined once (the build stays under 64 KiB)
                const doc = if (op == Op.JSON) x.body orelse "" else try value.toStr(a, st.pop());
                st.push(opt(try json.get(a, doc, p.consts[k].str)));
            },
            Op.ENV => st.push(opt(host.env(p.consts[k].str))),
            Op.RANDOM_ID => {
                var b: [16]u8 = undefined;
                try host.random(&b); // one 16-byte draw, as the reference VM makes
                st.push(str(try enc.b64Encode(a, &b, true)));
            },
            Op.LOWER, Op.UPPER => st.push(str(try strfn.changeCase(a, try value.toStr(a, st.pop()), if (op == Op.LOWER) 'A' else 'a'))),
            Op.TRIM => st.push(str(strfn.trim(try value.toStr(a, st.pop())))),
            Op.LEN => st.push(.{ .int = @intCast((try value.toStr(a, st.pop())).len) }),
            Op.SUBSTR2 => {
                const start = value.intOf(st.pop());
                st.push(str(strfn.substr(try value.toStr(a, st.pop()), start, null)));
            },
            Op.SUBSTR3 => {
                const len = value.intOf(st.pop());
                const start = value.intOf(st.pop());
                st.push(str(strfn.substr(try value.toStr(a, st.pop()), start, len)));
            },
            Op.REPLACE => {
                const with = try value.toStr(a, st.pop());
                const s = try value.toStr(a, st.pop());
                st.push(str(try replaceAll(x, &p.regexes[u8a], s, with)));
            },
            Op.STARTS_WITH, Op.ENDS_WITH, Op.CONTAINS => {
                const needle = try value.toStr(a, st.pop());
                const s = try value.toStr(a, st.pop());
                st.push(boolean(switch (op) {
                    Op.STARTS_WITH => needle.len <= s.len and strfn.eql(s[0..needle.len], needle),
                    Op.ENDS_WITH => needle.len <= s.len and strfn.eql(s[s.len - needle.len ..], needle),
                    else => strfn.contains(s, needle),
                }));
            },
            Op.SPLIT_PART => {
                const n = value.intOf(st.pop());
                const sep = try value.toStr(a, st.pop());
                st.push(str(strfn.splitPart(try value.toStr(a, st.pop()), sep, n)));
            },
            Op.B64_ENC => st.push(str(try enc.b64Encode(a, try value.toStr(a, st.pop()), false))),
            Op.B64URL_ENC => st.push(str(try enc.b64Encode(a, try value.toStr(a, st.pop()), true))),
            Op.B64_DEC => st.push(opt(try enc.b64Decode(a, try value.toStr(a, st.pop()), false))),
            Op.B64URL_DEC => st.push(opt(try enc.b64Decode(a, try value.toStr(a, st.pop()), true))),
            Op.URL_ENC => st.push(str(try enc.urlEncode(a, try value.toStr(a, st.pop())))),
            Op.URL_DEC => st.push(opt(try enc.urlDecode(a, try value.toStr(a, st.pop())))),
            Op.DEFAULT => {
                const b = st.pop();
                const v = st.pop();
                st.push(if (v == .none) b else v);
            },
            Op.EXISTS => st.push(boolean(st.pop() != .none)),
            Op.TO_INT => st.push(if (strfn.toInt(try value.toStr(a, st.pop()))) |n| .{ .int = n } else .none),
            Op.TO_STR => st.push(str(try value.toStr(a, st.pop()))),
            Op.IN_CIDR => st.push(boolean(cidr.inCidr(try value.toStr(a, st.pop()), p.consts[k].str))),
            Op.SHA256_HEX => st.push(str(try enc.sha256Hex(a, try value.toStr(a, st.pop())))),
            Op.JSON_ESCAPE => st.push(str(try enc.jsonEscape(a, try value.toStr(a, st.pop())))),
            Op.CONCAT => {
                const n: usize = u8a;
                const parts = try a.alloc([]const u8, n);
                for (0..n) |i| parts[i] = try value.toStr(a, st.items[st.len - n + i]);
                st.len -= n;
                st.push(str(try strfn.concat(a, parts)));
            },
            Op.ADD => {
                const y = value.intOf(st.pop());
                const v = value.intOf(st.pop());
                st.push(.{ .int = v +% y });
            },
            Op.EQ, Op.NE => {
                const y = st.pop();
                const eq = try value.equal(a, st.pop(), y);
                st.push(boolean(if (op == Op.EQ) eq else !eq));
            },
            Op.LT, Op.LE, Op.GT, Op.GE => {
                const y = st.pop();
                const o = try value.order(a, st.pop(), y);
                st.push(boolean(switch (op) {
                    Op.LT => o < 0,
                    Op.LE => o <= 0,
                    Op.GT => o > 0,
                    else => o >= 0,
                }));
            },
            Op.NOT => st.push(boolean(!value.truth(st.pop()))),
            Op.MATCH => {
                const s = try value.toStr(a, st.pop());
                var m = try regex.Matcher.init(a, &p.regexes[u8a], false);
                st.push(boolean(m.search(s, 0)));
            },
            Op.MATCH_CAP => {
                const re = &p.regexes[u8a];
                const first_var: usize = code[operand_at + 1];
                const s = try value.toStr(a, st.pop());
                var m = try regex.Matcher.init(a, re, true);
                const hit = m.search(s, 0);
                if (hit) {
                    for (1..@as(usize, re.ngroups) + 1) |g| {
                        vars[first_var + g - 1] = if (m.group(g)) |r| str(s[r[0]..r[1]]) else .none;
                    }
                }
                st.push(boolean(hit));
            },
            Op.IN => {
                const n: usize = u8a;
                const subject = st.items[st.len - n - 1];
                var hit = false;
                for (st.items[st.len - n .. st.len]) |item| {
                    if (try value.equal(a, subject, item)) hit = true;
                }
                st.len -= n + 1;
                st.push(boolean(hit));
            },
            Op.SET_HDR => try x.setHeader(p.consts[k].str, try optStr(a, st.pop())),
            Op.ADD_HDR => try x.addHeader(p.consts[k].str, try optStr(a, st.pop())),
            Op.DEL_HDR => try x.removeHeader(p.consts[k].str),
            Op.REN_HDR => {
                const to = program.constAt(p, code, operand_at + @as(usize, if (p.wide) 2 else 1));
                try x.renameHeader(p.consts[k].str, p.consts[to].str);
            },
            Op.SET_PATH => try x.setPath(try value.toStr(a, st.pop())),
            Op.SET_QUERY => try x.setQuery(p.consts[k].str, try optStr(a, st.pop())),
            Op.DEL_QUERY => try x.removeQuery(p.consts[k].str),
            Op.SET_METHOD => try x.setMethod(try value.toStr(a, st.pop())),
            Op.SET_HOST => try x.setHost(try value.toStr(a, st.pop())),
            Op.SET_STATUS => try x.setStatus(value.intOf(st.pop())),
            // Body statements: every one the data plane cannot carry out is skipped and counted,
            // even one that would not have changed the bytes (as the reference VM does).
            Op.SET_BODY, Op.SET_JSON, Op.DEL_JSON, Op.REPLACE_BODY => {
                const v: Value = if (op == Op.DEL_JSON) .none else st.pop();
                if (x.bodyBlocked()) |why| {
                    x.skip(why, "body statement");
                } else {
                    const b = x.body.?;
                    try x.writeBody(switch (op) {
                        Op.SET_BODY => try value.toStr(a, v),
                        Op.SET_JSON => try json.set(a, b, p.consts[k].str, v),
                        Op.DEL_JSON => try json.remove(a, b, p.consts[k].str),
                        else => blk: {
                            const nb = try replaceAll(x, &p.regexes[u8a], b, try value.toStr(a, v));
                            break :blk if (strfn.eql(nb, b)) null else nb;
                        },
                    });
                }
            },
            Op.RESPOND => {
                try respond(x, &st, u16a, code[operand_at + 2], code[operand_at + 3] != 0);
                return .respond;
            },
            else => unreachable, // the verifier refused every other byte
        }
    }
    return .done;
}

/// replace() and `replace body`: over the regex work budget the text is kept and the skip counted,
/// as the reference VM does (kgw_rules/vm.py `replace`).
fn replaceAll(x: *Exchange, re: *const regex.Regex, s: []const u8, with: []const u8) ![]const u8 {
    return try regex.replaceAll(x.a, re, s, with) orelse {
        x.skip("regex_budget", "replace");
        return s;
    };
}

fn optStr(a: std.mem.Allocator, v: Value) !?[]const u8 {
    return if (v == .none) null else try value.toStr(a, v);
}

fn field(x: *Exchange, f: u8) !Value {
    return switch (f) {
        F.path => str(query.splitTarget(x.url()).path),
        F.method => str(x.pseudo(":method")),
        F.host => str(x.pseudo(":authority")),
        F.scheme => str(x.pseudo(":scheme")),
        F.url => str(x.url()),
        F.status => .{ .int = x.status() },
        F.body => str(x.body orelse ""),
        F.route => str(x.route),
        else => str(x.clientIp()),
    };
}

/// RESPOND: pop the body when present, then the (name, value) pairs, pushed name first.
fn respond(x: *Exchange, st: *Stack, status: u16, n: u8, has_body: bool) !void {
    const a = x.a;
    const body = if (has_body) try value.toStr(a, st.pop()) else "";
    const base = st.len - 2 * @as(usize, n);
    var hs: std.ArrayList(host.Header) = .empty;
    var has_ct = false;
    for (0..n) |i| {
        const name = try value.toStr(a, st.items[base + 2 * i]);
        const v = st.items[base + 2 * i + 1];
        if (v == .none) continue;
        const text = try value.toStr(a, v);
        if (!strfn.validHeaderValue(text)) {
            x.skip("header_value", "respond header");
            continue;
        }
        if (strfn.eql(name, "content-type")) has_ct = true;
        try hs.append(a, .{ .name = name, .value = text });
    }
    st.len = base;
    if (body.len > 0 and !has_ct) try hs.append(a, .{ .name = "content-type", .value = "text/plain" });
    x.local = .{ .status = status, .headers = hs, .body = body };
}
