//! Filter counters through proxy_define_metric / proxy_increment_metric. Envoy shows them as
//! `wasmcustom.kgw.<name>` in its stats. Defined once per VM, on the first configure.
const host = @import("host.zig");

pub const Counter = enum(u8) {
    programs_run,
    local_responses,
    skipped_writes,
    verifier_refusals,
    runtime_errors,
};

const names = [_][]const u8{
    "kgw.programs_run",
    "kgw.local_responses",
    "kgw.skipped_writes",
    "kgw.verifier_refusals",
    "kgw.runtime_errors",
};

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
