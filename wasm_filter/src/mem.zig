//! Two kinds of memory: a scratch arena reset at the start of every callback (serves
//! proxy_on_memory_allocate and all per-callback work, so nothing leaks across requests), and the
//! wasm page allocator for state that outlives a callback (verified programs, per-stream variables).
const std = @import("std");

var arena = std.heap.ArenaAllocator.init(std.heap.wasm_allocator);

pub const long: std.mem.Allocator = std.heap.wasm_allocator;

pub fn scratch() std.mem.Allocator {
    return arena.allocator();
}

/// Called on entry of every callback. Keeps up to 4 MiB warm so a steady request stream does not
/// call memory.grow per request, and gives back the rest after a large body.
pub fn resetScratch() void {
    _ = arena.reset(.{ .retain_with_limit = 4 << 20 });
}

export fn proxy_on_memory_allocate(size: usize) ?[*]u8 {
    const buf = arena.allocator().alloc(u8, if (size == 0) 1 else size) catch return null;
    return buf.ptr;
}

/// Context id -> pointer, for roots and streams alike (one map type keeps the module small).
pub const ContextMap = std.AutoHashMapUnmanaged(u32, usize);
