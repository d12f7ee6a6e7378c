//! Filter counters. The wasm build defines them through proxy_define_metric (Envoy shows them as
//! `wasmcustom.kgw.<name>`), the native build on its filter configuration (`dynamicmodulescustom...`).
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

pub fn inc(c: Counter) void {
    host.increment(c);
}
