//! The plugin configuration (docs/data-plane.md): either one program (`KGWB...`), run on every
//! request, or a bundle (`KGWS...`) of programs keyed by id plus a route table that maps Envoy route
//! names (property `xds.route_name`) to the ordered list of programs of that route.
const std = @import("std");
const strfn = @import("strfn.zig");
const program = @import("program.zig");
const mem = @import("mem.zig");

pub const Route = struct {
    xds_name: []const u8, // "" = every route not listed
    route: []const u8, // the `route` value programs see: namespace/name/rule-index
    programs: []const u16,
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

pub const max_programs = 4096;
pub const max_programs_per_route = 64;

fn fail(reason: *[]const u8, msg: []const u8) error{Invalid} {
    reason.* = msg;
    return error.Invalid;
}

const Reader = struct {
    d: []const u8,
    pos: usize,
    end: usize,
    fn take(r: *Reader, n: usize, reason: *[]const u8) ![]const u8 {
        if (n > r.end - r.pos) return fail(reason, "bundle: truncated");
        const out = r.d[r.pos .. r.pos + n];
        r.pos += n;
        return out;
    }
    fn u16v(r: *Reader, reason: *[]const u8) !u16 {
        return std.mem.readInt(u16, (try r.take(2, reason))[0..2], .little);
    }
    fn str(r: *Reader, reason: *[]const u8) ![]const u8 {
        const n = std.mem.readInt(u32, (try r.take(4, reason))[0..4], .little);
        return r.take(n, reason);
    }
};

/// Decode and verify a whole configuration. All-or-nothing: one bad program refuses the config.
pub fn decode(raw: []const u8, reason: *[]const u8) !Config {
    const bytes = try mem.long.dupe(u8, raw);
    var c = Config{ .bytes = bytes, .ids = &.{}, .programs = &.{}, .routes = &.{}, .single = false, .arena = mem.Bump.init(4096) };
    errdefer c.deinit();
    const a = c.arena.allocator();
    if (bytes.len >= 4 and strfn.eql(bytes[0..4], "KGWB")) {
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
    if (bytes.len < 16 or !strfn.eql(bytes[0..4], "KGWS")) return fail(reason, "neither a program nor a bundle");
    if (bytes[4] != 1) return fail(reason, "bundle: unsupported version");
    if (bytes[5] != 0 or bytes[6] != 0 or bytes[7] != 0) return fail(reason, "bundle: reserved bytes");
    const crc = std.mem.readInt(u32, bytes[bytes.len - 4 ..][0..4], .little);
    if (std.hash.Crc32.hash(bytes[0 .. bytes.len - 4]) != crc) return fail(reason, "bundle: checksum mismatch");
    var r = Reader{ .d = bytes, .pos = 8, .end = bytes.len - 4 };
    const nprog = try r.u16v(reason);
    const nroutes = try r.u16v(reason);
    if (nprog > max_programs) return fail(reason, "bundle: too many programs");
    const ids = try a.alloc([]const u8, nprog);
    const progs = try a.alloc(program.Program, nprog);
    for (0..nprog) |i| {
        ids[i] = try r.str(reason);
        if (ids[i].len == 0) return fail(reason, "bundle: empty program id");
        for (ids[0..i]) |prev| if (strfn.eql(prev, ids[i])) return fail(reason, "bundle: duplicate program id");
        progs[i] = try program.decode(a, try r.str(reason), reason);
    }
    const routes = try a.alloc(Route, nroutes);
    for (routes, 0..) |*rt, i| {
        rt.xds_name = try r.str(reason);
        for (routes[0..i]) |prev| if (strfn.eql(prev.xds_name, rt.xds_name)) return fail(reason, "bundle: duplicate route name");
        rt.route = try r.str(reason);
        const n = try r.u16v(reason);
        if (n > max_programs_per_route) return fail(reason, "bundle: route over 64 programs");
        const list = try a.alloc(u16, n);
        for (list) |*p| {
            p.* = try r.u16v(reason);
            if (p.* >= nprog) return fail(reason, "bundle: bad program index");
        }
        rt.programs = list;
    }
    if (r.pos != r.end) return fail(reason, "bundle: bytes left over");
    c.ids = ids;
    c.programs = progs;
    c.routes = routes;
    return c;
}

/// A configuration shared by its root and the streams that started under it: a reconfigure
/// must not pull programs from under a request in flight.
pub const Shared = struct {
    cfg: Config,
    refs: u32,

    pub fn release(s: *Shared) void {
        s.refs -= 1;
        if (s.refs == 0) {
            s.cfg.deinit();
            mem.long.destroy(s);
        }
    }
};
