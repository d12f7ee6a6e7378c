//! Per-stream flow, the same for both builds: choose the route's programs on the request headers, hold
//! headers and buffer the body only when a phase needs it, run each phase once, write back what
//! changed, and carry the request-phase variables to the response phase. Long-lived stream memory is
//! one arena, released with the stream; everything else lives in the per-callback scratch arena. The
//! entry points (main.zig, native.zig) map their ABI's stream handles to a `*Stream`.
const std = @import("std");
const host = @import("host.zig");
const mem = @import("mem.zig");
const config = @import("config.zig");
const metrics = @import("metrics.zig");
const vm = @import("vm.zig");
const headers = @import("headers.zig");
const Exchange = @import("exchange.zig").Exchange;
const Value = @import("value.zig").Value;

pub const Continue: u32 = 0;
pub const StopIteration: u32 = 1; // headers: hold them (allow_on_headers_stop_iteration); body: buffer

const State = enum { idle, passthrough, wait_body, done_phase, responded };

pub const Stream = struct {
    shared: ?*config.Shared,
    arena: mem.Bump,
    next: ?*Stream = null, // in the pool
    route: ?*const config.Route = null,
    route_value: []const u8 = "",
    vars: [][]Value = &.{},
    // The request map (serialized) as the request phase left it: Envoy gives response callbacks no
    // request header map (its wasm context drops it once the request headers continue).
    req: []const u8 = "",
    has_phase: [2]bool = .{ false, false },
    needs_body: [2]bool = .{ false, false },
    state: [2]State = .{ .idle, .idle },
    responded: bool = false,
    owner: ?*const anyopaque = null, // the entry point's data for this stream (native: its configuration)

    /// Programs not chosen yet (the request headers have not arrived).
    pub fn unselected(s: *const Stream) bool {
        return s.state[0] == .idle and s.route == null;
    }

    /// Run under another configuration (the native build's per-route one), chosen before the request
    /// headers are processed.
    pub fn rebind(s: *Stream, shared: *config.Shared) void {
        shared.retain();
        if (s.shared) |old| old.release();
        s.shared = shared;
    }
};

// Ended streams, kept for reuse (up to pool_max, so a burst does not pin its memory): a request costs no
// trip through the long-lived allocator once the pool holds as many streams as run concurrently. One
// pool per thread: a stream starts and ends on its worker.
threadlocal var pool: ?*Stream = null;
threadlocal var pooled: usize = 0;
const pool_max = 1024;

pub fn create(shared: ?*config.Shared) ?*Stream {
    var arena = mem.Bump.init(1024);
    const s = if (pool) |p| blk: {
        pool = p.next;
        pooled -= 1;
        arena = p.arena; // rewound when pooled: its chunk serves the next stream
        break :blk p;
    } else mem.long.create(Stream) catch return null;
    s.* = .{ .shared = shared, .arena = arena };
    if (shared) |sh| sh.retain();
    return s;
}

pub fn destroy(s: *Stream) void {
    if (s.shared) |sh| sh.release();
    if (pooled == pool_max) {
        s.arena.deinit();
        return mem.long.destroy(s);
    }
    s.arena.reset(4096);
    s.next = pool;
    pool = s;
    pooled += 1;
}

/// Select the programs on the first request callback. False: nothing to do on this stream.
fn select(s: *Stream) !bool {
    const sh = s.shared orelse return false;
    const cfg = &sh.cfg;
    const name = if (cfg.needsRouteName()) host.routeName() orelse "" else "";
    const route = cfg.select(name) orelse return false;
    s.route = route;
    s.route_value = if (cfg.single) try s.arena.allocator().dupe(u8, name) else route.route;
    s.vars = try s.arena.allocator().alloc([]Value, route.programs.len);
    for (route.programs, 0..) |pi, k| {
        const p = &cfg.programs[pi];
        s.vars[k] = try s.arena.allocator().alloc(Value, p.nvars);
        @memset(s.vars[k], .none);
        for (0..2) |ph| {
            if (p.code[ph].len > 0) {
                s.has_phase[ph] = true;
                if (p.needs_body[ph]) s.needs_body[ph] = true;
            }
        }
    }
    return s.has_phase[0] or s.has_phase[1];
}

pub fn onHeaders(s: *Stream, phase: usize, eos: bool) u32 {
    return headersStep(s, phase, eos) catch |e| failed(e);
}

fn headersStep(s: *Stream, phase: usize, eos: bool) !u32 {
    if (phase == 0 and s.state[0] == .idle) {
        if (!try select(s)) s.state = .{ .passthrough, .passthrough };
        if (!s.has_phase[0]) try keepRequest(s, null);
    }
    if (s.responded or s.state[phase] != .idle or !s.has_phase[phase]) return Continue;
    if (s.needs_body[phase] and !eos) {
        s.state[phase] = .wait_body;
        return StopIteration;
    }
    s.state[phase] = .done_phase;
    return if (try runPhase(s, phase, null)) StopIteration else Continue;
}

/// A body chunk (`size`: the bytes Envoy holds so far, for the wasm host) or, with eos, its end.
pub fn onBody(s: *Stream, phase: usize, size: usize, eos: bool) u32 {
    // after a local response, Envoy runs the encoder callbacks for our own reply: let it through
    if (s.responded or s.state[phase] != .wait_body) return Continue;
    if (!eos) return StopIteration; // StopIterationAndBuffer: Envoy keeps the chunks for us
    s.state[phase] = .done_phase;
    const body = host.getBody(if (phase == 0) .request else .response, size) orelse "";
    const sent = runPhase(s, phase, body) catch |e| return failed(e);
    return if (sent) StopIteration else Continue;
}

fn failed(e: anyerror) u32 {
    metrics.inc(.runtime_errors);
    host.logParts(.err, &.{ "kgw: rules not applied: ", @errorName(e) });
    return Continue;
}

fn loadMap(a: std.mem.Allocator, items: std.ArrayList(host.Header)) !headers.Map {
    var m: headers.Map = .{ .items = items };
    try m.edits.ensureTotalCapacity(a, 16);
    return m;
}

fn decodeKept(a: std.mem.Allocator, raw: []const u8) !std.ArrayList(host.Header) {
    return (try @import("pairs.zig").decode(a, raw, 16)) orelse .empty;
}

/// Run one phase of every program of the route, in order. True when a local response was sent.
fn runPhase(s: *Stream, phase: usize, body: ?[]const u8) !bool {
    const a = mem.scratch();
    const cfg = &s.shared.?.cfg;
    // room for 16 more headers up front: edits then append without moving the map
    var x = Exchange{
        .a = a,
        .phase = phase,
        .req = try loadMap(a, if (phase == 1) try decodeKept(a, s.req) else try host.loadHeaders(a, .request, 16)),
        .resp = if (phase == 1) try loadMap(a, try host.loadHeaders(a, .response, 16)) else .{ .items = .empty },
        .body = body,
        .route = s.route_value,
    };
    const route = s.route.?;
    for (route.programs, 0..) |pi, k| {
        const p = &cfg.programs[pi];
        if (p.code[phase].len == 0) continue;
        if (!cfg.single) x.labels = .{ .ids = route.counters[k * metrics.per_policy ..][0..metrics.per_policy], .policy = cfg.ids[pi], .route = route.route };
        metrics.incFor(x.labels, .programs_run);
        const r = vm.run(&x, p, s.vars[k]) catch |e| {
            metrics.incPolicy(x.labels, .runtime_errors); // the total is counted where the error lands
            return e;
        };
        if (r == .respond) break;
    }
    if (x.local) |l| {
        s.responded = true;
        metrics.incFor(x.labels, .local_responses);
        try host.sendLocalResponse(l.status, "kgw_rules", l.body, l.headers.items);
        return true;
    }
    const map = if (phase == 0) &x.req else &x.resp;
    // content-length was kept in step by writeBody; headers are still held (StopIteration)
    if (x.body_dirty) host.replaceBody(if (phase == 0) .request else .response, x.body.?);
    host.applyEdits(if (phase == 0) .request else .response, map.edits.items);
    if (phase == 0) try keepRequest(s, x.req.items.items);
    return false;
}

/// Keep the request for the response phase: after a request phase, the phase's own copy, which the
/// write-back made Envoy's map equal to (and which costs no host call); without one, Envoy's map.
fn keepRequest(s: *Stream, after_phase: ?[]const host.Header) !void {
    if (!s.has_phase[1]) return;
    try persistVars(s);
    const la = s.arena.allocator();
    s.req = if (after_phase) |items| try @import("pairs.zig").serialize(la, items) else try host.requestSnapshot(la);
}

/// Request-phase values point into the scratch arena: copy strings that the response phase may read.
fn persistVars(s: *Stream) !void {
    const la = s.arena.allocator();
    for (s.vars) |vars| {
        for (vars) |*v| {
            if (v.* == .str) v.* = .{ .str = try la.dupe(u8, v.str) };
        }
    }
}
