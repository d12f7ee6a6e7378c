//! kgw rules filter, wasm build: proxy-wasm ABI 0.2.1 entry points. Root contexts hold a verified
//! configuration (keyed by root context id: one VM may serve several plugins); stream contexts pick
//! their programs when the request headers arrive and run each phase once (stream.zig).
//! The body and response callbacks are exported only by the builds that handle them (variant.zig,
//! generated per build from kgw_rules/wire/variants.py): Envoy enters the VM for every exported one.
const std = @import("std");
const host = @import("host.zig");
const mem = @import("mem.zig");
const config = @import("config.zig");
const stream = @import("stream.zig");
const wasm = @import("host_wasm.zig");
const metrics = @import("metrics.zig");
const variant = @import("variant.zig");

export fn proxy_abi_version_0_2_1() void {}

const Shared = config.Shared;

var roots: mem.ContextMap = .empty; // root id -> ?*Shared (0 = not configured yet)
var streams: mem.ContextMap = .empty; // stream id -> *Stream

fn rootConfig(root: u32) ?*Shared {
    const v = roots.get(root) orelse return null;
    return if (v == 0) null else @ptrFromInt(v);
}

fn getStream(ctx: u32) ?*stream.Stream {
    return @ptrFromInt(streams.get(ctx) orelse return null);
}

export fn proxy_on_memory_allocate(size: usize) ?[*]u8 {
    return mem.hostAllocate(size);
}

export fn proxy_on_vm_start(_: u32, _: usize) bool {
    mem.resetScratch();
    wasm.defineCounters();
    return true;
}

export fn proxy_on_context_create(ctx: u32, parent: u32) void {
    mem.resetScratch();
    if (parent == 0) {
        // a root id seen before keeps its configuration (ids are reused across plugins)
        if (roots.get(ctx) == null) roots.put(ctx, 0) catch return host.log(.err, "kgw: out of memory");
        return;
    }
    const s = stream.create(rootConfig(parent)) orelse return;
    streams.put(ctx, @intFromPtr(s)) catch stream.destroy(s);
}

export fn proxy_on_configure(root: u32, size: usize) bool {
    mem.resetScratch();
    wasm.defineCounters();
    const shared = config.load(wasm.pluginConfig(size) orelse "") orelse return false;
    if (missingCallback(&shared.cfg)) |what| {
        shared.release();
        metrics.inc(.verifier_refusals);
        host.logParts(.err, &.{ "kgw: configuration refused: a program needs ", what, ", which ", variant.name, " does not handle" });
        return false;
    }
    const old = roots.get(root) orelse 0;
    roots.put(root, @intFromPtr(shared)) catch {
        shared.release();
        return false;
    };
    if (old != 0) @as(*Shared, @ptrFromInt(old)).release();
    host.log(.info, "kgw: configuration accepted");
    return true;
}

/// What a program of `cfg` needs that this build does not export (kgw_rules/wire/variants.py's rule).
fn missingCallback(cfg: *const config.Config) ?[]const u8 {
    for (cfg.programs) |*p| {
        const rq = p.code[0].len > 0;
        const rs = p.code[1].len > 0;
        if (rq and p.needs_body[0] and !variant.request_body) return "the request body";
        if (rs and !variant.response) return "the response";
        if (rs and p.needs_body[1] and !variant.response_body) return "the response body";
    }
    return null;
}

fn headers(ctx: u32, phase: usize, eos: bool) u32 {
    mem.resetScratch();
    const s = getStream(ctx) orelse return stream.Continue;
    return stream.onHeaders(s, phase, eos);
}

fn body(ctx: u32, phase: usize, size: usize, eos: bool) u32 {
    mem.resetScratch();
    const s = getStream(ctx) orelse return stream.Continue;
    return stream.onBody(s, phase, size, eos);
}

export fn proxy_on_request_headers(ctx: u32, _: u32, eos: bool) u32 {
    return headers(ctx, 0, eos);
}

fn requestBody(ctx: u32, size: usize, eos: bool) callconv(.c) u32 {
    return body(ctx, 0, size, eos);
}

fn responseHeaders(ctx: u32, _: u32, eos: bool) callconv(.c) u32 {
    return headers(ctx, 1, eos);
}

fn responseBody(ctx: u32, size: usize, eos: bool) callconv(.c) u32 {
    return body(ctx, 1, size, eos);
}

// A body that ends with trailers is complete when they arrive: run as at the end of the body.
fn requestTrailers(ctx: u32, _: u32) callconv(.c) u32 {
    return body(ctx, 0, std.math.maxInt(u32), true);
}

fn responseTrailers(ctx: u32, _: u32) callconv(.c) u32 {
    return body(ctx, 1, std.math.maxInt(u32), true);
}

comptime {
    if (variant.request_body) {
        @export(&requestBody, .{ .name = "proxy_on_request_body" });
        @export(&requestTrailers, .{ .name = "proxy_on_request_trailers" });
    }
    if (variant.response) @export(&responseHeaders, .{ .name = "proxy_on_response_headers" });
    if (variant.response_body) {
        @export(&responseBody, .{ .name = "proxy_on_response_body" });
        @export(&responseTrailers, .{ .name = "proxy_on_response_trailers" });
    }
}

export fn proxy_on_delete(ctx: u32) void {
    mem.resetScratch();
    if (roots.fetchRemove(ctx)) |v| {
        if (v != 0) @as(*Shared, @ptrFromInt(v)).release();
        return;
    }
    const s: *stream.Stream = @ptrFromInt(streams.fetchRemove(ctx) orelse return);
    stream.destroy(s);
}
