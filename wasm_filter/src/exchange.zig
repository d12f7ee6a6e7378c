//! One phase's view of the HTTP exchange: the header maps (pseudo-headers included, as Envoy hands
//! them over), the body, the route, and the writes the VM makes, with the data plane's skip rules.
const std = @import("std");
const host = @import("host.zig");
const headers = @import("headers.zig");
const query = @import("query.zig");
const strfn = @import("strfn.zig");
const metrics = @import("metrics.zig");

pub const Local = struct {
    status: u32,
    headers: std.ArrayList(host.Header),
    body: []const u8,
};

pub const Exchange = struct {
    a: std.mem.Allocator,
    phase: usize, // 0 request, 1 response
    req: headers.Map, // request headers: edited in the request phase, read-only in the response phase
    resp: headers.Map, // response headers (response phase only)
    body: ?[]const u8, // the current phase's body; null = the message has no body
    body_dirty: bool = false,
    route: []const u8,
    client_ip: ?[]const u8 = null,
    local: ?Local = null,
    labels: ?metrics.Labels = null, // the running program's per-policy counters (bundles only)

    /// Headers of the current phase (`header(...)`, `set header`).
    pub fn cur(x: *Exchange) *headers.Map {
        return if (x.phase == 0) &x.req else &x.resp;
    }

    pub fn pseudo(x: *Exchange, name: []const u8) []const u8 {
        return x.req.first(name) orelse "";
    }

    pub fn url(x: *Exchange) []const u8 {
        return x.pseudo(":path");
    }

    pub fn status(x: *Exchange) i64 {
        return strfn.toInt(x.resp.first(":status") orelse "") orelse 0;
    }

    /// Downstream address without the port, as Envoy resolved it (`source.address`).
    pub fn clientIp(x: *Exchange) []const u8 {
        if (x.client_ip) |ip| return ip;
        const addr = host.sourceAddress() orelse "";
        var ip = addr;
        if (addr.len > 0 and addr[0] == '[') {
            if (std.mem.indexOfScalar(u8, addr, ']')) |e| ip = addr[1..e];
        } else if (std.mem.indexOfScalar(u8, addr, ':')) |c| {
            if (std.mem.lastIndexOfScalar(u8, addr, ':') == c) ip = addr[0..c];
        }
        x.client_ip = ip;
        return ip;
    }

    /// Log and count a write the data plane cannot carry out (never a trap). `code` is one of the
    /// reason codes of kgw_rules/skips.py; the harness reads it back from the log line. Debug level:
    /// hostile input must not flood Envoy's log; the counter is what operators watch.
    pub fn skip(x: *Exchange, code: []const u8, what: []const u8) void {
        metrics.incFor(x.labels, .skipped_writes);
        host.logParts(.debug, &.{ "kgw skipped: ", code, ": ", what });
    }

    /// `set log`: absent writes nothing; a control byte other than HTAB would forge text log lines.
    pub fn setLog(x: *Exchange, name: []const u8, v: ?[]const u8) void {
        const value = v orelse return;
        if (!strfn.validHeaderValue(value)) return x.skip("log_value", "set log");
        host.setLogField(name, value);
    }

    // Header names here never start with ':' (pseudo-headers): the verifier refuses such operands.
    pub fn header(x: *Exchange, m: *headers.Map, name: []const u8) ?[]const u8 {
        _ = x;
        return m.first(name);
    }

    pub fn setHeader(x: *Exchange, name: []const u8, v: ?[]const u8) !void {
        if (v) |value| {
            if (!strfn.validHeaderValue(value)) return x.skip("header_value", "set header");
        }
        const value = v orelse return x.cur().remove(x.a, name);
        try x.cur().set(x.a, name, value);
    }

    pub fn addHeader(x: *Exchange, name: []const u8, v: ?[]const u8) !void {
        const value = v orelse return;
        if (!strfn.validHeaderValue(value)) return x.skip("header_value", "add header");
        try x.cur().add(x.a, name, value);
    }

    pub fn removeHeader(x: *Exchange, name: []const u8) !void {
        try x.cur().remove(x.a, name);
    }

    pub fn renameHeader(x: *Exchange, old: []const u8, new: []const u8) !void {
        try x.cur().rename(x.a, old, new);
    }

    pub fn setPath(x: *Exchange, p: []const u8) !void {
        const u = (try query.setPath(x.a, x.url(), p)) orelse return x.skip("path", "set path");
        try x.req.set(x.a, ":path", u);
    }

    pub fn setQuery(x: *Exchange, name: []const u8, v: ?[]const u8) !void {
        const old = x.url();
        const u = try query.set(x.a, old, name, v);
        if (u.ptr != old.ptr or u.len != old.len) try x.req.set(x.a, ":path", u);
    }

    pub fn removeQuery(x: *Exchange, name: []const u8) !void {
        const old = x.url();
        const u = try query.remove(x.a, old, name);
        if (u.ptr != old.ptr or u.len != old.len) try x.req.set(x.a, ":path", u);
    }

    /// An HTTP token (RFC 9110 tchar+), as the reference VM's valid_method.
    fn validMethod(v: []const u8) bool {
        if (v.len == 0) return false;
        for (v) |c| {
            const ok = std.ascii.isAlphanumeric(c) or std.mem.indexOfScalar(u8, "!#$%&'*+.^_`|~-", c) != null;
            if (!ok) return false;
        }
        return true;
    }

    fn validHost(v: []const u8) bool {
        if (v.len == 0 or !strfn.validHeaderValue(v)) return false;
        for (v) |c| if (std.mem.indexOfScalar(u8, " \t/?#@", c) != null) return false;
        return true;
    }

    pub fn setMethod(x: *Exchange, v: []const u8) !void {
        if (!validMethod(v)) return x.skip("method", "set method");
        try x.req.set(x.a, ":method", v);
    }

    pub fn setHost(x: *Exchange, v: []const u8) !void {
        if (!validHost(v)) return x.skip("host", "set host");
        try x.req.set(x.a, ":authority", v);
    }

    pub fn setStatus(x: *Exchange, code: i64) !void {
        if (code < 200 or code > 599) return x.skip("status", "set status");
        var buf: [20]u8 = undefined;
        const text = @import("value.zig").intText(&buf, code);
        try x.resp.set(x.a, ":status", try x.a.dupe(u8, text));
    }

    /// Why a body statement on this message must be skipped (reason code), or null. Same order of
    /// checks as the reference VM: no body, then kgw_rules/skips.py's upgrade, gRPC, content-encoding.
    pub fn bodyBlocked(x: *Exchange) ?[]const u8 {
        if (x.body == null) return "no_body";
        if (x.req.first("upgrade") != null) return "upgrade";
        for ([_]*headers.Map{ &x.req, x.cur() }) |m| {
            const ct = m.first("content-type") orelse "";
            if (std.ascii.startsWithIgnoreCase(ct, "application/grpc")) return "grpc";
        }
        if (x.cur().first("content-encoding")) |ce| {
            const t = strfn.trim(ce);
            if (t.len > 0 and !std.ascii.eqlIgnoreCase(t, "identity")) return "encoded_body";
        }
        return null;
    }

    /// Write a new body (null = unchanged: nothing happens) and keep content-length in step.
    pub fn writeBody(x: *Exchange, new: ?[]const u8) !void {
        const b = new orelse return;
        x.body = b;
        x.body_dirty = true;
        const m = x.cur();
        if (m.first("content-length") != null) {
            var buf: [20]u8 = undefined;
            const len = @import("value.zig").intText(&buf, @intCast(b.len));
            try m.set(x.a, "content-length", try x.a.dupe(u8, len));
        }
    }
};
