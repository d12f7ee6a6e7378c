//! kgw rules filter: proxy-wasm ABI 0.2.1 entry points. Root contexts hold a verified
//! configuration (keyed by root context id: one VM may serve several plugins); stream contexts
//! pick their programs when the request headers arrive and run each phase once.
const std = @import("std");
const host = @import("host.zig");
const mem = @import("mem.zig");
const config = @import("config.zig");
const metrics = @import("metrics.zig");
const stream = @import("stream.zig");

export fn proxy_abi_version_0_2_1() void {}

const Shared = config.Shared;

var roots: mem.ContextMap = .empty; // root id -> ?*Shared (0 = not configured yet)

pub fn rootConfig(root: u32) ?*Shared {
    const v = roots.get(root) orelse return null;
    return if (v == 0) null else @ptrFromInt(v);
}

export fn proxy_on_vm_start(_: u32, _: usize) bool {
    mem.resetScratch();
    metrics.define();
    return true;
}

export fn proxy_on_context_create(ctx: u32, parent: u32) void {
    mem.resetScratch();
    if (parent == 0) {
        // a root id seen before keeps its configuration (ids are reused across plugins)
        if (roots.get(ctx) == null) roots.put(ctx, 0) catch return host.log(.err, "kgw: out of memory");
    } else {
        stream.create(ctx, rootConfig(parent));
    }
}

export fn proxy_on_configure(root: u32, size: usize) bool {
    mem.resetScratch();
    metrics.define();
    const raw = host.getBuffer(.plugin_config, size) orelse "";
    var reason: []const u8 = "out of memory";
    const cfg = config.decode(raw, &reason) catch {
        metrics.inc(.verifier_refusals);
        host.logParts(.err, &.{ "kgw: configuration refused: ", reason });
        return false;
    };
    const shared = mem.long.create(Shared) catch {
        var c = cfg;
        c.deinit();
        host.log(.err, "kgw: configuration refused: out of memory");
        return false;
    };
    shared.* = .{ .cfg = cfg, .refs = 1 };
    const old = roots.get(root) orelse 0;
    roots.put(root, @intFromPtr(shared)) catch {
        shared.release();
        return false;
    };
    if (old != 0) @as(*Shared, @ptrFromInt(old)).release();
    host.log(.info, "kgw: configuration accepted");
    return true;
}

export fn proxy_on_request_headers(ctx: u32, _: u32, eos: bool) u32 {
    mem.resetScratch();
    return stream.onHeaders(ctx, 0, eos);
}

export fn proxy_on_request_body(ctx: u32, size: usize, eos: bool) u32 {
    mem.resetScratch();
    return stream.onBody(ctx, 0, size, eos);
}

export fn proxy_on_response_headers(ctx: u32, _: u32, eos: bool) u32 {
    mem.resetScratch();
    return stream.onHeaders(ctx, 1, eos);
}

export fn proxy_on_response_body(ctx: u32, size: usize, eos: bool) u32 {
    mem.resetScratch();
    return stream.onBody(ctx, 1, size, eos);
}

// A body that ends with trailers is complete when they arrive: run as at the end of the body.
export fn proxy_on_request_trailers(ctx: u32, _: u32) u32 {
    mem.resetScratch();
    return stream.onBody(ctx, 0, std.math.maxInt(u32), true);
}

export fn proxy_on_response_trailers(ctx: u32, _: u32) u32 {
    mem.resetScratch();
    return stream.onBody(ctx, 1, std.math.maxInt(u32), true);
}

export fn proxy_on_delete(ctx: u32) void {
    mem.resetScratch();
    if (roots.fetchRemove(ctx)) |v| {
        if (v != 0) @as(*Shared, @ptrFromInt(v)).release();
        return;
    }
    stream.destroy(ctx);
}
