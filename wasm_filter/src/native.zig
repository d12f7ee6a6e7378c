//! kgw rules filter, native build: the same interpreter as an Envoy dynamic module (ABI v0.2.0, see
//! abi.zig). A filter configuration may carry programs for every route (the single-program or bundle
//! form of docs/data-plane.md); the controller instead gives each route its programs through
//! `DynamicModuleFilterPerRoute`, read with one call when the request headers arrive. Every
//! configuration, listener-level or per-route, is decoded and verified exactly as proxy_on_configure
//! does in the wasm build; a refused one makes Envoy reject the update. Unlike the wasm build this runs
//! unsandboxed in Envoy's process: a fault here takes the proxy down (docs/data-plane.md, "Native").
const std = @import("std");
const abi = @import("abi.zig");
const nh = @import("host_native.zig");
const config = @import("config.zig");
const stream = @import("stream.zig");
const mem = @import("mem.zig");
const metrics = @import("metrics.zig");
const host = @import("host.zig");

const Ptr = abi.Ptr;
const Stream = stream.Stream;

/// One listener-level filter configuration: its programs (none when every route brings its own) and
/// the counters defined on it.
const FilterConfig = struct {
    shared: ?*config.Shared,
    counters: nh.Counters,
};

/// A failed safety check (the build keeps them: ReleaseSafe) ends the process, as any fault in Envoy's
/// process would, but says why in Envoy's log first instead of corrupting memory.
pub const panic = std.debug.FullPanic(fatal);

fn fatal(msg: []const u8, _: ?usize) noreturn {
    host.logParts(.critical, &.{ "kgw native filter: fatal: ", msg });
    std.c.abort();
}

export fn envoy_dynamic_module_on_program_init() [*:0]const u8 {
    return abi.dynamic_modules_abi;
}

/// Configuration hooks run outside any stream: no stream handle for the host layer (a stale one from
/// this thread's last hook must never be used).
fn enterConfig() void {
    nh.filter = null;
    nh.counters = null;
    mem.resetScratch();
}

export fn envoy_dynamic_module_on_http_filter_config_new(envoy_config: Ptr, _: abi.Buffer, raw: abi.Buffer) ?*anyopaque {
    enterConfig();
    const fc = mem.long.create(FilterConfig) catch return null;
    fc.* = .{ .shared = null, .counters = undefined };
    nh.defineCounters(envoy_config, &fc.counters);
    if (raw.len > 0) {
        fc.shared = config.load(raw.slice()) orelse {
            const id = fc.counters[@intFromEnum(metrics.Counter.verifier_refusals)];
            _ = abi.envoy_dynamic_module_callback_http_filter_config_increment_counter(envoy_config, id, null, 0, 1);
            mem.long.destroy(fc);
            return null;
        };
    }
    host.log(.info, "kgw: configuration accepted");
    return fc;
}

export fn envoy_dynamic_module_on_http_filter_config_destroy(ptr: ?*anyopaque) void {
    const fc: *FilterConfig = @ptrCast(@alignCast(ptr orelse return));
    if (fc.shared) |sh| sh.release();
    mem.long.destroy(fc);
}

export fn envoy_dynamic_module_on_http_filter_per_route_config_new(_: abi.Buffer, raw: abi.Buffer) ?*anyopaque {
    enterConfig();
    return config.load(raw.slice());
}

export fn envoy_dynamic_module_on_http_filter_per_route_config_destroy(ptr: ?*anyopaque) void {
    const sh: *config.Shared = @ptrCast(@alignCast(ptr orelse return));
    sh.release();
}

export fn envoy_dynamic_module_on_http_filter_new(cfg: ?*anyopaque, _: Ptr) ?*anyopaque {
    const fc: *const FilterConfig = @ptrCast(@alignCast(cfg orelse return null));
    const s = stream.create(fc.shared) orelse return null;
    s.owner = fc;
    return s;
}

/// Every hook starts here: the thread-locals the host layer reads, a fresh scratch arena.
fn enter(filter: Ptr, ptr: ?*anyopaque) ?*Stream {
    const s: *Stream = @ptrCast(@alignCast(ptr orelse return null));
    const fc: *const FilterConfig = @ptrCast(@alignCast(s.owner.?));
    nh.filter = filter;
    nh.counters = &fc.counters;
    mem.resetScratch();
    return s;
}

export fn envoy_dynamic_module_on_http_filter_request_headers(filter: Ptr, ptr: ?*anyopaque, eos: bool) u32 {
    const s = enter(filter, ptr) orelse return stream.Continue;
    if (s.unselected()) {
        if (abi.envoy_dynamic_module_callback_get_most_specific_route_config(filter)) |rc|
            s.rebind(@ptrCast(@alignCast(rc)));
    }
    return stream.onHeaders(s, 0, eos);
}

export fn envoy_dynamic_module_on_http_filter_request_body(filter: Ptr, ptr: ?*anyopaque, eos: bool) u32 {
    const s = enter(filter, ptr) orelse return stream.Continue;
    return stream.onBody(s, 0, 0, eos); // StopIteration here is StopIterationAndBuffer
}

export fn envoy_dynamic_module_on_http_filter_request_trailers(filter: Ptr, ptr: ?*anyopaque) u32 {
    const s = enter(filter, ptr) orelse return stream.Continue;
    return stream.onBody(s, 0, 0, true);
}

export fn envoy_dynamic_module_on_http_filter_response_headers(filter: Ptr, ptr: ?*anyopaque, eos: bool) u32 {
    const s = enter(filter, ptr) orelse return stream.Continue;
    return stream.onHeaders(s, 1, eos);
}

export fn envoy_dynamic_module_on_http_filter_response_body(filter: Ptr, ptr: ?*anyopaque, eos: bool) u32 {
    const s = enter(filter, ptr) orelse return stream.Continue;
    return stream.onBody(s, 1, 0, eos);
}

export fn envoy_dynamic_module_on_http_filter_response_trailers(filter: Ptr, ptr: ?*anyopaque) u32 {
    const s = enter(filter, ptr) orelse return stream.Continue;
    return stream.onBody(s, 1, 0, true);
}

export fn envoy_dynamic_module_on_http_filter_stream_complete(_: Ptr, _: ?*anyopaque) void {}

export fn envoy_dynamic_module_on_http_filter_destroy(ptr: ?*anyopaque) void {
    const s: *Stream = @ptrCast(@alignCast(ptr orelse return));
    stream.destroy(s);
}

export fn envoy_dynamic_module_on_http_filter_local_reply(_: Ptr, _: ?*anyopaque, _: u32, _: abi.Buffer, _: bool) u32 {
    return 0; // Continue: send the reply
}

// Hooks Envoy resolves for every HTTP filter module; kgw starts no callouts, streams or timers.
export fn envoy_dynamic_module_on_http_filter_http_callout_done(_: Ptr, _: ?*anyopaque, _: u64, _: u32, _: ?*anyopaque, _: usize, _: ?*anyopaque, _: usize) void {}
export fn envoy_dynamic_module_on_http_filter_http_stream_headers(_: Ptr, _: ?*anyopaque, _: u64, _: ?*anyopaque, _: usize, _: bool) void {}
export fn envoy_dynamic_module_on_http_filter_http_stream_data(_: Ptr, _: ?*anyopaque, _: u64, _: ?*anyopaque, _: usize, _: bool) void {}
export fn envoy_dynamic_module_on_http_filter_http_stream_trailers(_: Ptr, _: ?*anyopaque, _: u64, _: ?*anyopaque, _: usize) void {}
export fn envoy_dynamic_module_on_http_filter_http_stream_complete(_: Ptr, _: ?*anyopaque, _: u64) void {}
export fn envoy_dynamic_module_on_http_filter_http_stream_reset(_: Ptr, _: ?*anyopaque, _: u64, _: u32) void {}
export fn envoy_dynamic_module_on_http_filter_scheduled(_: Ptr, _: ?*anyopaque, _: u64) void {}
export fn envoy_dynamic_module_on_http_filter_downstream_above_write_buffer_high_watermark(_: Ptr, _: ?*anyopaque) void {}
export fn envoy_dynamic_module_on_http_filter_downstream_below_write_buffer_low_watermark(_: Ptr, _: ?*anyopaque) void {}
export fn envoy_dynamic_module_on_http_filter_config_scheduled(_: Ptr, _: ?*anyopaque, _: u64) void {}
export fn envoy_dynamic_module_on_http_filter_config_http_callout_done(_: Ptr, _: ?*anyopaque, _: u64, _: u32, _: ?*anyopaque, _: usize, _: ?*anyopaque, _: usize) void {}
export fn envoy_dynamic_module_on_http_filter_config_http_stream_headers(_: Ptr, _: ?*anyopaque, _: u64, _: ?*anyopaque, _: usize, _: bool) void {}
export fn envoy_dynamic_module_on_http_filter_config_http_stream_data(_: Ptr, _: ?*anyopaque, _: u64, _: ?*anyopaque, _: usize, _: bool) void {}
export fn envoy_dynamic_module_on_http_filter_config_http_stream_trailers(_: Ptr, _: ?*anyopaque, _: u64, _: ?*anyopaque, _: usize) void {}
export fn envoy_dynamic_module_on_http_filter_config_http_stream_complete(_: Ptr, _: ?*anyopaque, _: u64) void {}
export fn envoy_dynamic_module_on_http_filter_config_http_stream_reset(_: Ptr, _: ?*anyopaque, _: u64, _: u32) void {}
