//! The plugin configuration (docs/data-plane.md): either one program (`KGWB...`), run on every
//! request, or a bundle (`KGWS...`) of programs keyed by id plus a route table that maps Envoy route
//! names (property `xds.route_name`) to the ordered list of programs of that route.
const std = @import("std");
const strfn = @import("strfn.zig");
const program = @import("program.zig");
const mem = @import("mem.zig");
const host = @import("host.zig");
const metrics = @import("metrics.zig");
const wire = @import("wire.zig");
const Reader = @import("reader.zig").Reader;
const fail = @import("reader.zig").fail;

pub const Route = struct {
    xds_name: []const u8, // "" = every route not listed
    route: []const u8, // the `route` value programs see: namespace/name/rule-index
    programs: []const u16,
    counters: []u32 = &.{}, // metrics.per_policy ids per program (bundles only), defined on first use
};

pub const Config = struct {
    bytes: []u8, // owned copy of the configuration; programs point into it
    ids: []const []const u8,
    programs: []program.Program,
    routes: []Route,
    /// single-program form: no table, the program runs on every request and `route` is the xds name
    single: bool,
    arena: mem.Bump,

    pub fn deinit(c: *Config) void {
        mem.long.free(c.bytes);
        c.arena.deinit();
    }

    /// Programs to run for a request on `xds_name`, or null when the route has none.
    pub fn select(c: *const Config, xds_name: []const u8) ?*const Route {
        var fallback: ?*const Route = null;
        for (c.routes) |*r| {
            if (strfn.eql(r.xds_name, xds_name)) return r;
            if (r.xds_name.len == 0) fallback = r;
        }
        return fallback;
    }

    /// True when selection needs no property read (one entry for every route).
    pub fn needsRouteName(c: *const Config) bool {
        return c.single or !(c.routes.len == 1 and c.routes[0].xds_name.len == 0);
    }
};

/// Decode and verify a whole configuration. All-or-nothing: one bad program refuses the config.
pub fn decode(raw: []const u8, reason: *[]const u8) !Config {
    const bytes = try mem.long.dupe(u8, raw);
    var c = Config{ .bytes = bytes, .ids = &.{}, .programs = &.{}, .routes = &.{}, .single = false, .arena = mem.Bump.init(4096) };
    errdefer c.deinit();
    const a = c.arena.allocator();
    if (bytes.len >= 4 and strfn.eql(bytes[0..4], wire.program_magic)) {
        const progs = try a.alloc(program.Program, 1);
        progs[0] = try program.decode(a, bytes, reason);
        const list = try a.alloc(u16, 1);
        list[0] = 0;
        const routes = try a.alloc(Route, 1);
        routes[0] = .{ .xds_name = "", .route = "", .programs = list };
        c.programs = progs;
        c.routes = routes;
        c.ids = &.{};
        c.single = true;
        return c;
    }
    const hs = wire.bundle_header_size;
    if (bytes.len < hs + 4 or !strfn.eql(bytes[0..4], wire.bundle_magic)) return fail(reason, "neither a program nor a bundle");
    if (bytes[4] != wire.bundle_version) return fail(reason, "bundle: unsupported version");
    if (bytes[5] != 0 or bytes[6] != 0 or bytes[7] != 0) return fail(reason, "bundle: reserved bytes");
    const crc = std.mem.readInt(u32, bytes[bytes.len - 4 ..][0..4], .little);
    if (program.crc32(bytes[0 .. bytes.len - 4]) != crc) return fail(reason, "bundle: checksum mismatch");
    const nprog = std.mem.readInt(u16, bytes[8..10], .little);
    const nroutes = std.mem.readInt(u16, bytes[10..12], .little);
    if (nprog > wire.max_bundle_programs) return fail(reason, "bundle: too many programs");
    const truncated = "bundle: truncated";
    var r = Reader{ .data = bytes, .pos = hs, .end = bytes.len - 4, .reason = reason };
    const ids = try a.alloc([]const u8, nprog);
    const progs = try a.alloc(program.Program, nprog);
    for (0..nprog) |i| {
        ids[i] = try r.blob(truncated);
        if (ids[i].len == 0) return fail(reason, "bundle: empty program id");
        for (ids[0..i]) |prev| if (strfn.eql(prev, ids[i])) return fail(reason, "bundle: duplicate program id");
        progs[i] = try program.decode(a, try r.blob(truncated), reason);
    }
    const routes = try a.alloc(Route, nroutes);
    for (routes, 0..) |*rt, i| {
        rt.xds_name = try r.blob(truncated);
        for (routes[0..i]) |prev| if (strfn.eql(prev.xds_name, rt.xds_name)) return fail(reason, "bundle: duplicate route name");
        rt.route = try r.blob(truncated);
        const n = try r.int(u16, truncated);
        if (n > wire.max_route_programs) return fail(reason, "bundle: route over 64 programs");
        const list = try a.alloc(u16, n);
        for (list) |*p| {
            p.* = try r.int(u16, truncated);
            if (p.* >= nprog) return fail(reason, "bundle: bad program index");
        }
        rt.programs = list;
        rt.counters = try a.alloc(u32, n * metrics.per_policy);
        @memset(rt.counters, metrics.unset);
    }
    if (!r.done()) return fail(reason, "bundle: bytes left over");
    c.ids = ids;
    c.programs = progs;
    c.routes = routes;
    return c;
}

/// A configuration shared by whoever holds it (a wasm root context or an Envoy filter configuration)
/// and the streams that started under it: a reconfigure must not pull programs from under a request
/// in flight. In the native build Envoy's worker threads share it, so the count is atomic.
pub const Shared = struct {
    cfg: Config,
    refs: u32,

    pub fn retain(s: *Shared) void {
        _ = @atomicRmw(u32, &s.refs, .Add, 1, .monotonic);
    }

    pub fn release(s: *Shared) void {
        if (@atomicRmw(u32, &s.refs, .Sub, 1, .acq_rel) == 1) {
            s.cfg.deinit();
            mem.long.destroy(s);
        }
    }
};

/// Decode and verify `raw` into a new Shared (one reference: the caller's). Null when refused, with
/// the reason logged and counted, exactly as every build does it.
pub fn load(raw: []const u8) ?*Shared {
    var reason: []const u8 = "out of memory";
    var cfg = decode(raw, &reason) catch {
        @import("metrics.zig").inc(.verifier_refusals);
        host.logParts(.err, &.{ "kgw: configuration refused: ", reason });
        return null;
    };
    const shared = mem.long.create(Shared) catch {
        cfg.deinit();
        host.log(.err, "kgw: configuration refused: out of memory");
        return null;
    };
    shared.* = .{ .cfg = cfg, .refs = 1 };
    return shared;
}
