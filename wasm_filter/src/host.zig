//! The host layer the interpreter talks to: header maps, bodies, local replies, logs, counters, the
//! environment and random bytes. Two implementations behind one interface, chosen by the target:
//! `host_wasm.zig` (proxy-wasm ABI 0.2.1 imports, the sandboxed filter) and `host_native.zig` (Envoy's
//! dynamic-module callbacks, the native build). Nothing else in the interpreter knows which it runs on.
const std = @import("std");
const builtin = @import("builtin");
const mem = @import("mem.zig");

pub const native = !builtin.cpu.arch.isWasm();
const impl = if (native) @import("host_native.zig") else @import("host_wasm.zig");

pub const Header = @import("pairs.zig").Header;
/// Header maps; the numbers are both ABIs' (proxy-wasm map types, dynamic-module header types).
pub const Map = enum(u32) { request = 0, response = 2 };
pub const Body = enum { request, response };
pub const LogLevel = enum(u32) { trace = 0, debug = 1, info = 2, warn = 3, err = 4, critical = 5 };

pub const loadHeaders = impl.loadHeaders;
pub const requestSnapshot = impl.requestSnapshot;
pub const applyEdits = impl.applyEdits;
pub const getBody = impl.getBody;
pub const replaceBody = impl.replaceBody;
pub const sendLocalResponse = impl.sendLocalResponse;
pub const sourceAddress = impl.sourceAddress;
pub const routeName = impl.routeName;
pub const increment = impl.increment;
pub const incrementPolicy = impl.incrementPolicy;
pub const setLogField = impl.setLogField;
pub const env = impl.env;
pub const random = impl.random;

pub fn log(level: LogLevel, msg: []const u8) void {
    impl.log(@intFromEnum(level), msg);
}

/// Log a message built from parts, in the arena (the filter has no formatting library on purpose).
pub fn logParts(level: LogLevel, parts: []const []const u8) void {
    log(level, concat(parts) orelse "kgw: out of memory");
}

/// The parts joined, in the scratch arena.
pub fn concat(parts: []const []const u8) ?[]u8 {
    var total: usize = 0;
    for (parts) |p| total += p.len;
    const buf = mem.scratch().alloc(u8, total) catch return null;
    var at: usize = 0;
    for (parts) |p| {
        @memcpy(buf[at .. at + p.len], p);
        at += p.len;
    }
    return buf;
}
