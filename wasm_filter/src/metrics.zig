//! Filter counters. The wasm build defines them through proxy_define_metric (Envoy shows them as
//! `wasmcustom.kgw.<name>`), the native build on its filter configuration (`dynamicmodulescustom...`).
//! In a bundle each (program, route) pair also counts its own work (kgw_rules/wire/stats.py): the wasm
//! build under names carrying the program id and the route as `policy=.=ID;.;route=.=ROUTE;.;`
//! segments, which the stats_tags of kgw's bootstrap turn into Prometheus labels, defined on first use;
//! the native build with counters labelled policy and route.
const host = @import("host.zig");

pub const Counter = enum(u8) {
    programs_run,
    local_responses,
    skipped_writes,
    verifier_refusals,
    runtime_errors,
};

pub const names = [_][]const u8{
    "kgw.programs_run",
    "kgw.local_responses",
    "kgw.skipped_writes",
    "kgw.verifier_refusals",
    "kgw.runtime_errors",
};

/// The running program of a bundle: its id, the route, and its counter slots, `unset` until first used (wasm:
/// counter ids; native: ids[0] marks the first run).
pub const Labels = struct { ids: []u32, policy: []const u8, route: []const u8 };
pub const per_policy = names.len; // slots per program and route (verifier_refusals stays unused)
pub const unset: u32 = 0xFFFF_FFFE;

pub fn inc(c: Counter) void {
    host.increment(c);
}

/// The total and, when a program of a bundle is running, its per-policy twin.
pub fn incFor(l: ?Labels, c: Counter) void {
    inc(c);
    incPolicy(l, c);
}

pub fn incPolicy(l: ?Labels, c: Counter) void {
    if (l) |lab| host.incrementPolicy(lab, c);
}
