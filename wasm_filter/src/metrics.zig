//! Filter counters through proxy_define_metric / proxy_increment_metric. Envoy shows them as
//! `wasmcustom.kgw.<name>` in its stats. The totals are defined once per VM, on the first configure.
//! In a bundle each (program, route) pair also has its own counters, defined on first use, whose names
//! carry the program id and the route as `policy=.=ID;.;route=.=ROUTE;.;` segments: the stats_tags of
//! kgw's bootstrap turn those into Prometheus labels (kgw_rules/wire/stats.py has the format).
const host = @import("host.zig");
const wire = @import("wire.zig");

pub const Counter = enum(u8) {
    programs_run,
    local_responses,
    skipped_writes,
    runtime_errors,
    verifier_refusals, // last: the one total with no per-policy twin
};

const names = [_][]const u8{
    "kgw.programs_run",
    "kgw.local_responses",
    "kgw.skipped_writes",
    "kgw.runtime_errors",
    "kgw.verifier_refusals",
};

/// Counter ids of one program on one route, `unset` until first used.
pub const per_policy = 4;
pub const unset: u32 = 0xFFFF_FFFE;
pub const Labels = struct { ids: []u32, policy: []const u8, route: []const u8 };

var ids: [names.len]u32 = @splat(0xFFFF_FFFF);
var defined = false;

pub fn define() void {
    if (defined) return;
    defined = true;
    for (names, 0..) |n, i| ids[i] = host.defineCounter(n);
}

pub fn inc(c: Counter) void {
    if (!defined) define();
    host.increment(ids[@intFromEnum(c)]);
}

/// The total and, when a program of a bundle is running, its per-policy twin.
pub fn incFor(l: ?Labels, c: Counter) void {
    inc(c);
    incPolicy(l, c);
}

pub fn incPolicy(l: ?Labels, c: Counter) void {
    const lab = l orelse return;
    const i = @intFromEnum(c);
    if (lab.ids[i] == unset) {
        const n = names[i];
        const name = host.concat(&.{ wire.policy_counter_prefix, wire.policy_tag, lab.policy, wire.tag_end, wire.route_tag, lab.route, wire.tag_end, n[4..] }) orelse return;
        lab.ids[i] = host.defineCounter(name);
    }
    host.increment(lab.ids[i]);
}
