//! Regex programs (binary format in docs/regex.md): configure-time decode + verify, and a Pike VM
//! matcher. Leftmost-first like RE2, linear in the input: every step visits each instruction at most
//! once (one visited mark per thread list), and the explicit job stack keeps the wasm stack flat.
const std = @import("std");
const strfn = @import("strfn.zig");
const wire = @import("wire.zig");
const Reader = @import("reader.zig").Reader;
const Rx = wire.Rx;

pub const Regex = struct {
    ngroups: u8,
    op: []const u8,
    a: []const u16,
    b: []const u16,
    classes: []const u8, // nclasses x 32 bytes, bit b of a class = byte value b
    /// starts with ^: a thread started after position 0 dies at once, so none is started
    anchored: bool,

    fn inClass(re: *const Regex, k: u16, c: u8) bool {
        return (re.classes[@as(usize, k) * 32 + (c >> 3)] >> @intCast(c & 7)) & 1 == 1;
    }

    /// Does the consuming instruction at pc accept byte c?
    fn accepts(re: *const Regex, pc: usize, c: u8) bool {
        return switch (re.op[pc]) {
            Rx.BYTE => re.a[pc] == c,
            Rx.BYTE_FOLD => c | 0x20 == re.a[pc], // a lower-case letter: it or its upper case
            Rx.CLASS => re.inClass(re.a[pc], c),
            Rx.ANY_NOT_NL => c != '\n',
            Rx.ANY => true,
            else => false,
        };
    }
};

fn validName(n: []const u8) bool {
    for (n, 0..) |c, i| {
        const ok = c == '_' or std.ascii.isAlphabetic(c) or (i > 0 and std.ascii.isDigit(c));
        if (!ok) return false;
    }
    return true;
}

fn falls_through(op: u8) bool {
    return switch (op) {
        Rx.BYTE, Rx.CLASS, Rx.ANY_NOT_NL, Rx.ANY, Rx.SAVE, Rx.ASSERT, Rx.BYTE_FOLD => true,
        else => false,
    };
}

/// Decode and verify one regex program; error.Invalid with `reason` set on any defect.
pub fn decode(al: std.mem.Allocator, data: []const u8, reason: *[]const u8) !Regex {
    const truncated = "regex: truncated";
    var r = Reader{ .data = data, .pos = 0, .end = data.len, .reason = reason };
    // its format version is the program's: a regex program is only ever stored inside one
    const ngroups = try r.byte(truncated);
    const ninst_read = try r.varint(32, truncated);
    const nclasses_read = try r.varint(32, truncated);
    if (ngroups > wire.regex_max_groups) return r.refuse("regex: too many groups");
    if (ninst_read == 0) return r.refuse("regex: empty program");
    if (ninst_read > wire.regex_max_instructions) return r.refuse("regex: too many instructions");
    if (nclasses_read > wire.regex_max_classes) return r.refuse("regex: too many classes");
    const ninst: usize = @intCast(ninst_read);
    const nclasses: usize = @intCast(nclasses_read);
    // group names: unique among the named groups, [A-Za-z_][A-Za-z0-9_]*
    const names = try al.alloc([]const u8, ngroups);
    for (0..ngroups) |g| {
        names[g] = try r.take(try r.byte(truncated), truncated);
        if (names[g].len == 0) continue;
        if (!validName(names[g])) return r.refuse("regex: bad group name");
        for (names[0..g]) |prev| if (strfn.eql(prev, names[g])) return r.refuse("regex: duplicate name");
    }
    // classes: u8 count, then count (lo, hi) ranges, ascending, neither overlapping nor touching;
    // expanded here into a 32-byte bitmap each so matching is one lookup
    const classes = try al.alloc(u8, nclasses * 32);
    @memset(classes, 0);
    for (0..nclasses) |k| {
        const count = try r.byte(truncated);
        if (count > wire.regex_max_ranges) return r.refuse("regex: too many ranges");
        var prev_hi: i32 = -2;
        for (0..count) |_| {
            const range = try r.take(2, truncated);
            const lo = range[0];
            const hi = range[1];
            if (lo > hi) return r.refuse("regex: reversed range");
            if (@as(i32, lo) <= prev_hi + 1) return r.refuse("regex: ranges overlap");
            prev_hi = hi;
            var b: usize = lo;
            while (b <= hi) : (b += 1) classes[k * 32 + b / 8] |= @as(u8, 1) << @intCast(b % 8);
        }
    }
    const op = try al.alloc(u8, ninst);
    const a = try al.alloc(u16, ninst);
    const b = try al.alloc(u16, ninst);
    const nslots: u32 = 2 + 2 * @as(u32, ngroups);
    for (0..ninst) |pc| {
        const code = try r.byte(truncated);
        op[pc] = code;
        a[pc] = 0;
        b[pc] = 0;
        switch (code) {
            // one-byte operands
            Rx.BYTE, Rx.SAVE, Rx.ASSERT, Rx.BYTE_FOLD => {
                a[pc] = try r.byte(truncated);
                const ok = switch (code) {
                    Rx.SAVE => a[pc] >= 2 and a[pc] < nslots,
                    Rx.ASSERT => a[pc] < wire.regex_assert_kinds,
                    Rx.BYTE_FOLD => a[pc] >= 'a' and a[pc] <= 'z',
                    else => true,
                };
                if (!ok) return r.refuse("regex: bad operand");
            },
            // varint operands: a class index, jump targets
            Rx.CLASS, Rx.JMP, Rx.SPLIT => {
                const limit = if (code == Rx.CLASS) nclasses else ninst;
                for (0..@as(usize, if (code == Rx.SPLIT) 2 else 1)) |i| {
                    const v = try r.varint(32, truncated);
                    if (v >= limit) return r.refuse("regex: operand out of range");
                    if (i == 0) a[pc] = @intCast(v) else b[pc] = @intCast(v);
                }
            },
            Rx.MATCH, Rx.ANY_NOT_NL, Rx.ANY => {},
            else => return r.refuse("regex: unknown opcode"),
        }
    }
    if (falls_through(op[ninst - 1])) return r.refuse("regex: falls off the end");
    if (!r.done()) return r.refuse("regex: trailing bytes");
    const anchored = op[0] == Rx.ASSERT and a[0] == wire.RxAssert.text_start;
    return .{ .ngroups = ngroups, .op = op, .a = a, .b = b, .classes = classes, .anchored = anchored };
}

fn isWord(c: u8) bool {
    return std.ascii.isAlphanumeric(c) or c == '_';
}

const Job = struct { pc: u16, restore: bool = false, slot: u8 = 0, val: i32 = 0 };

const List = struct {
    pcs: []u16,
    caps: []i32,
    seen: []u32,
    gen: u32 = 1,
    len: usize = 0,

    fn reset(l: *List) void {
        l.len = 0;
        l.gen +%= 1;
        if (l.gen == 0) {
            @memset(l.seen, 0);
            l.gen = 1;
        }
    }
};

/// Matcher state for one regex, allocated in the scratch arena and reused across searches.
/// nslots 0 answers only "is there a match" (and stops at the first one).
pub const Matcher = struct {
    re: *const Regex,
    nslots: usize,
    lists: [2]List,
    stack: []Job,
    tmp: []i32,
    best: []i32,
    /// where the last search that found a match stopped (docs/regex.md, Complexity): the first
    /// position, after the match, whose thread list cut at its first MATCH is empty (or the end)
    stop: usize = 0,

    pub fn init(al: std.mem.Allocator, re: *const Regex, want_caps: bool) !Matcher {
        const n = re.op.len;
        const ns: usize = if (want_caps) 2 + 2 * @as(usize, re.ngroups) else 0;
        var m = Matcher{ .re = re, .nslots = ns, .lists = undefined, .stack = try al.alloc(Job, n + 1), .tmp = try al.alloc(i32, ns), .best = try al.alloc(i32, ns) };
        for (&m.lists) |*l| {
            l.* = .{ .pcs = try al.alloc(u16, n), .caps = try al.alloc(i32, n * ns), .seen = try al.alloc(u32, n) };
            @memset(l.seen, 0);
        }
        return m;
    }

    fn holds(kind: u16, data: []const u8, pos: usize) bool {
        const before = pos > 0 and isWord(data[pos - 1]);
        const after = pos < data.len and isWord(data[pos]);
        return switch (kind) {
            0 => pos == 0,
            1 => pos == data.len,
            2 => before != after,
            else => before == after,
        };
    }

    /// Follow epsilon edges from pc, appending the consuming / MATCH instructions reached to `l`
    /// in priority order. `m.tmp` holds the captures of the thread being added.
    fn add(m: *Matcher, l: *List, pc0: u16, data: []const u8, pos: usize) void {
        const re = m.re;
        var sp: usize = 0;
        m.stack[0] = .{ .pc = pc0 };
        sp = 1;
        while (sp > 0) {
            sp -= 1;
            const job = m.stack[sp];
            if (job.restore) {
                m.tmp[job.slot] = job.val;
                continue;
            }
            var pc: usize = job.pc;
            while (l.seen[pc] != l.gen) {
                l.seen[pc] = l.gen;
                switch (re.op[pc]) {
                    Rx.JMP => pc = re.a[pc],
                    Rx.SPLIT => {
                        m.stack[sp] = .{ .pc = re.b[pc] };
                        sp += 1;
                        pc = re.a[pc];
                    },
                    Rx.SAVE => {
                        if (m.nslots > 0) {
                            const s: u8 = @intCast(re.a[pc]);
                            m.stack[sp] = .{ .pc = 0, .restore = true, .slot = s, .val = m.tmp[s] };
                            sp += 1;
                            m.tmp[s] = @intCast(pos);
                        }
                        pc += 1;
                    },
                    Rx.ASSERT => {
                        if (!holds(re.a[pc], data, pos)) break;
                        pc += 1;
                    },
                    else => {
                        l.pcs[l.len] = @intCast(pc);
                        @memcpy(l.caps[l.len * m.nslots ..][0..m.nslots], m.tmp);
                        l.len += 1;
                        break;
                    },
                }
            }
        }
    }

    fn spawn(m: *Matcher, l: *List, data: []const u8, pos: usize) void {
        if (m.nslots > 0) {
            @memset(m.tmp, -1);
            m.tmp[0] = @intCast(pos);
        }
        m.add(l, 0, data, pos);
    }

    /// Leftmost-first search at or after `from`. On a match, `m.best` holds the slots (group 0 in
    /// slots 0/1, -1 for groups that did not take part) when captures were asked for.
    pub fn search(m: *Matcher, data: []const u8, from: usize) bool {
        if (from > data.len or (m.re.anchored and from > 0)) return false;
        var cur: usize = 0;
        m.lists[0].reset();
        m.lists[1].reset();
        var pos = from;
        var matched = false;
        m.spawn(&m.lists[cur], data, pos);
        while (true) {
            const cl = &m.lists[cur];
            const nl = &m.lists[1 - cur];
            var i: usize = 0;
            while (i < cl.len) : (i += 1) {
                const pc = cl.pcs[i];
                if (m.re.op[pc] == Rx.MATCH) {
                    matched = true;
                    if (m.nslots == 0) return true;
                    @memcpy(m.best, cl.caps[i * m.nslots ..][0..m.nslots]);
                    m.best[1] = @intCast(pos);
                    break; // lower-priority threads are cut
                }
                if (pos < data.len and m.re.accepts(pc, data[pos])) {
                    if (m.nslots > 0) @memcpy(m.tmp, cl.caps[i * m.nslots ..][0..m.nslots]);
                    m.add(nl, pc + 1, data, pos + 1);
                }
            }
            if (pos >= data.len or (matched and i == 0)) break;
            pos += 1;
            if (!matched and !m.re.anchored) m.spawn(nl, data, pos);
            if (nl.len == 0 and (matched or m.re.anchored)) break;
            cl.reset();
            cur = 1 - cur;
        }
        m.stop = pos;
        return matched;
    }

    /// Group g (0 = whole match) of the last successful search, or null if it did not take part.
    pub fn group(m: *const Matcher, g: usize) ?[2]usize {
        const s = m.best[2 * g];
        const e = m.best[2 * g + 1];
        if (s < 0 or e < 0) return null;
        return .{ @intCast(s), @intCast(e) };
    }
};

/// Replace every non-overlapping match with `with` (RE2/Go rule: an empty match right after the
/// previous match is not replaced). null when the searches step over more bytes than the budget
/// (sum of stop - start, a failed search counting to the end; checked after each search, as in
/// kgw_rules/regex/pike.py): a pathological pattern would be quadratic. `work` stays under
/// 5 * len + 65536, which fits a wasm32 usize for any input under 800 MiB.
pub fn replaceAll(al: std.mem.Allocator, re: *const Regex, data: []const u8, with: []const u8) !?[]const u8 {
    var m = try Matcher.init(al, re, true);
    var out: std.ArrayList(u8) = .empty;
    var pos: usize = 0;
    var last_end: usize = 0;
    var work: usize = 0;
    while (pos <= data.len) {
        const hit = m.search(data, pos);
        work += (if (hit) m.stop else data.len) - pos;
        if (work > wire.replace_budget_factor * data.len + wire.replace_budget_base) return null;
        if (!hit) break;
        const g = m.group(0).?;
        try out.appendSlice(al, data[last_end..g[0]]);
        if (g[1] > last_end or g[0] == 0) try out.appendSlice(al, with);
        last_end = g[1];
        pos = if (g[1] > pos) g[1] else pos + 1;
    }
    try out.appendSlice(al, data[last_end..]);
    return out.items;
}
