//! Per-stream flow: choose the route's programs on the request headers, hold headers and buffer the
//! body only when a phase needs it, run each phase once, write back what changed, and carry the
//! request-phase variables to the response phase. Long-lived stream memory is one arena, freed in
//! proxy_on_delete; everything else lives in the per-callback scratch arena.
const std = @import("std");
const host = @import("host.zig");
const mem = @import("mem.zig");
const config = @import("config.zig");
const metrics = @import("metrics.zig");
const vm = @import("vm.zig");
const headers = @import("headers.zig");
const Exchange = @import("exchange.zig").Exchange;
const Value = @import("value.zig").Value;

const Continue: u32 = 0;
const StopIteration: u32 = 1; // headers: hold them (allow_on_headers_stop_iteration); body: buffer

const State = enum { idle, passthrough, wait_body, done_phase, responded };

const Stream = struct {
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
};

var streams: mem.ContextMap = .empty; // stream id -> *Stream
// Ended streams, kept for reuse (up to pool_max, so a burst does not pin its memory): a request
// costs no trip through the page allocator once the pool holds as many streams as run concurrently.
var pool: ?*Stream = null;
var pooled: usize = 0;
const pool_max = 1024;

fn get(ctx: u32) ?*Stream {
    return @ptrFromInt(streams.get(ctx) orelse return null);
}

pub fn create(ctx: u32, shared: ?*config.Shared) void {
    var arena = mem.Bump.init(1024);
    const s = if (pool) |p| blk: {
        pool = p.next;
        pooled -= 1;
        arena = p.arena; // rewound when pooled: its chunk serves the next stream
        break :blk p;
    } else mem.long.create(Stream) catch return;
    s.* = .{ .shared = shared, .arena = arena };
    streams.put(ctx, @intFromPtr(s)) catch return recycle(s);
    if (shared) |sh| sh.refs += 1;
}

fn recycle(s: *Stream) void {
    if (pooled == pool_max) {
        s.arena.deinit();
        return mem.long.destroy(s);
    }
    s.arena.reset(4096);
    s.next = pool;
    pool = s;
    pooled += 1;
}

pub fn destroy(ctx: u32) void {
    const s: *Stream = @ptrFromInt(streams.fetchRemove(ctx) orelse return);
    if (s.shared) |sh| sh.release();
    recycle(s);
}

/// Select the programs on the first request callback. False: nothing to do on this stream.
fn select(s: *Stream) !bool {
    const sh = s.shared orelse return false;
    const cfg = &sh.cfg;
    const name = if (cfg.needsRouteName()) host.getProperty("xds\x00route_name\x00") orelse "" else "";
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

pub fn onHeaders(ctx: u32, phase: usize, eos: bool) u32 {
    const s = get(ctx) orelse return Continue;
    return headersStep(s, phase, eos) catch |e| failed(e);
}

fn headersStep(s: *Stream, phase: usize, eos: bool) !u32 {
    if (phase == 0 and s.state[0] == .idle) {
        if (!try select(s)) s.state = .{ .passthrough, .passthrough };
        if (!s.has_phase[0]) try keepRequest(s);
    }
    if (s.responded or s.state[phase] != .idle or !s.has_phase[phase]) return Continue;
    if (s.needs_body[phase] and !eos) {
        s.state[phase] = .wait_body;
        return StopIteration;
    }
    s.state[phase] = .done_phase;
    return if (try runPhase(s, phase, null)) StopIteration else Continue;
}

pub fn onBody(ctx: u32, phase: usize, size: usize, eos: bool) u32 {
    const s = get(ctx) orelse return Continue;
    // after a local response, Envoy runs the encoder callbacks for our own reply: let it through
    if (s.responded or s.state[phase] != .wait_body) return Continue;
    if (!eos) return StopIteration; // StopIterationAndBuffer: Envoy keeps the chunks for us
    s.state[phase] = .done_phase;
    const kind: host.Buffer = if (phase == 0) .request_body else .response_body;
    const body = host.getBuffer(kind, size) orelse "";
    const sent = runPhase(s, phase, body) catch |e| return failed(e);
    return if (sent) StopIteration else Continue;
}

fn failed(e: anyerror) u32 {
    metrics.inc(.runtime_errors);
    host.logParts(.err, &.{ "kgw: rules not applied: ", @errorName(e) });
    return Continue;
}

fn loadMap(a: std.mem.Allocator, raw: ?[]const u8) !headers.Map {
    // room for 16 more up front: edits then append without moving the map
    var m: headers.Map = .{ .items = (try host.decodePairs(a, raw orelse "", 16)) orelse .empty };
    try m.edits.ensureTotalCapacity(a, 16);
    return m;
}

/// Run one phase of every program of the route, in order. True when a local response was sent.
fn runPhase(s: *Stream, phase: usize, body: ?[]const u8) !bool {
    const a = mem.scratch();
    const cfg = &s.shared.?.cfg;
    var x = Exchange{
        .a = a,
        .phase = phase,
        .req = try loadMap(a, if (phase == 1) s.req else host.getRawHeaders(.request)),
        .resp = if (phase == 1) try loadMap(a, host.getRawHeaders(.response)) else .{ .items = .empty },
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
        const pairs = try host.serializePairs(a, l.headers.items);
        host.sendLocalResponse(l.status, "kgw_rules", l.body, pairs);
        return true;
    }
    const map = if (phase == 0) &x.req else &x.resp;
    // content-length was kept in step by writeBody; headers are still held (StopIteration)
    if (x.body_dirty) _ = host.replaceBuffer(if (phase == 0) .request_body else .response_body, x.body.?);
    host.applyEdits(if (phase == 0) .request else .response, map.edits.items);
    if (phase == 0) try keepRequest(s);
    return false;
}

/// After the request phase wrote back, Envoy's map is the request as the rules left it.
fn keepRequest(s: *Stream) !void {
    if (!s.has_phase[1]) return;
    try persistVars(s);
    s.req = try s.arena.allocator().dupe(u8, host.getRawHeaders(.request) orelse "");
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
