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
    var st = Stack{ .items = try a.alloc(Value, @as(usize, p.depth[x.phase]) + 1) };
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
            // a named read: the value, or none when it is absent
            Op.HDR, Op.HDR_ALL, Op.REQ_HDR, Op.QUERY, Op.COOKIE, Op.JSON, Op.JSON_OF, Op.ENV => {
                const name = p.consts[k].str;
                st.push(opt(switch (op) {
                    Op.HDR => x.header(x.cur(), name),
                    Op.HDR_ALL => try x.cur().joined(a, name, try value.toStr(a, st.pop())),
                    Op.REQ_HDR => x.header(&x.req, name),
                    Op.QUERY => try query.get(a, x.url(), name),
                    Op.COOKIE => query.cookie(try x.req.all(a, "cookie"), name),
                    // one call site: json.get is inlined once (the build stays under 64 KiB)
                    Op.JSON, Op.JSON_OF => try json.get(a, if (op == Op.JSON) x.body orelse "" else try value.toStr(a, st.pop()), name),
                    else => host.env(name),
                }));
            },
            Op.RANDOM_ID => {
                var b: [16]u8 = undefined;
                try host.random(&b); // one 16-byte draw, as the reference VM makes
                st.push(str(try enc.b64Encode(a, &b, true)));
            },
            // one string in, one value out: the operand is popped and converted once for all of them
            Op.LOWER, Op.UPPER, Op.TRIM, Op.LEN, Op.B64_ENC, Op.B64URL_ENC, Op.B64_DEC, Op.B64URL_DEC, Op.URL_ENC, Op.URL_DEC, Op.TO_INT, Op.TO_STR, Op.SHA256_HEX, Op.JSON_ESCAPE => {
                const s = try value.toStr(a, st.pop());
                st.push(switch (op) {
                    Op.LOWER, Op.UPPER => str(try strfn.changeCase(a, s, if (op == Op.LOWER) 'A' else 'a')),
                    Op.TRIM => str(strfn.trim(s)),
                    Op.LEN => .{ .int = @intCast(s.len) },
                    Op.B64_ENC, Op.B64URL_ENC => str(try enc.b64Encode(a, s, op == Op.B64URL_ENC)),
                    Op.B64_DEC, Op.B64URL_DEC => opt(try enc.b64Decode(a, s, op == Op.B64URL_DEC)),
                    Op.URL_ENC => str(try enc.urlEncode(a, s)),
                    Op.URL_DEC => opt(try enc.urlDecode(a, s)),
                    Op.TO_INT => if (strfn.toInt(s)) |n| .{ .int = n } else .none,
                    Op.TO_STR => str(s),
                    Op.SHA256_HEX => str(try enc.sha256Hex(a, s)),
                    else => str(try enc.jsonEscape(a, s)),
                });
            },
            // a string and one or two arguments pushed after it: popped last argument first
            Op.SUBSTR2, Op.SUBSTR3, Op.REPLACE, Op.STARTS_WITH, Op.ENDS_WITH, Op.CONTAINS, Op.SPLIT_PART => {
                const last = st.pop();
                const middle: Value = if (op == Op.SUBSTR3 or op == Op.SPLIT_PART) st.pop() else .none;
                const s = try value.toStr(a, st.pop());
                st.push(switch (op) {
                    Op.SUBSTR2 => str(strfn.substr(s, value.intOf(last), null)),
                    Op.SUBSTR3 => str(strfn.substr(s, value.intOf(middle), value.intOf(last))),
                    Op.SPLIT_PART => str(strfn.splitPart(s, try value.toStr(a, middle), value.intOf(last))),
                    Op.REPLACE => str(try replaceAll(x, &p.regexes[u8a], s, try value.toStr(a, last))),
                    else => blk: {
                        const needle = try value.toStr(a, last);
                        break :blk boolean(switch (op) {
                            Op.STARTS_WITH => needle.len <= s.len and strfn.eql(s[0..needle.len], needle),
                            Op.ENDS_WITH => needle.len <= s.len and strfn.eql(s[s.len - needle.len ..], needle),
                            else => strfn.contains(s, needle),
                        });
                    },
                });
            },
            Op.DEFAULT => {
                const b = st.pop();
                const v = st.pop();
                st.push(if (v == .none) b else v);
            },
            Op.EXISTS => st.push(boolean(st.pop() != .none)),
            Op.IN_CIDR => st.push(boolean(cidr.inCidr(try value.toStr(a, st.pop()), p.consts[k].str))),
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
            // a named write of a popped value (none: remove)
            Op.SET_HDR, Op.ADD_HDR, Op.SET_QUERY, Op.SET_LOG, Op.SET_DESC => {
                const name = p.consts[k].str;
                const v = try optStr(a, st.pop());
                switch (op) {
                    Op.SET_HDR => try x.setHeader(name, v),
                    Op.ADD_HDR => try x.addHeader(name, v),
                    Op.SET_QUERY => try x.setQuery(name, v),
                    Op.SET_LOG => x.setLog(name, v),
                    // the local rate limit reads the descriptor from this header (the controller sets it
                    // up); an empty descriptor is none: Envoy would count "" as a value of its own
                    else => try x.setHeader(
                        try std.mem.concat(a, u8, &.{ wire.descriptor_header_prefix, name }),
                        if (v != null and v.?.len == 0) null else v,
                    ),
                }
            },
            Op.DEL_HDR => try x.removeHeader(p.consts[k].str),
            Op.REN_HDR => {
                const to = program.constAt(p, code, operand_at + @as(usize, if (p.wide) 2 else 1));
                try x.renameHeader(p.consts[k].str, p.consts[to].str);
            },
            Op.SET_PATH, Op.SET_METHOD, Op.SET_HOST => {
                const v = try value.toStr(a, st.pop());
                try switch (op) {
                    Op.SET_PATH => x.setPath(v),
                    Op.SET_METHOD => x.setMethod(v),
                    else => x.setHost(v),
                };
            },
            Op.DEL_QUERY => try x.removeQuery(p.consts[k].str),
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
