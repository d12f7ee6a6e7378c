//! Two kinds of memory: a scratch arena reset at the start of every callback (serves
//! proxy_on_memory_allocate and all per-callback work, so nothing leaks across requests), and a
//! long-lived allocator for state that outlives a callback (verified programs, per-stream variables):
//! the wasm page allocator, or libc's malloc in the native build, where every Envoy worker thread has
//! its own scratch arena.
//!
//! The arenas are `Bump`, not std.heap.ArenaAllocator: the filter is single-threaded, and the std
//! arena's lock-free bookkeeping cost more wasm instructions per request than the rules themselves
//! (docs/performance.md, "Data plane").
const std = @import("std");
const builtin = @import("builtin");
const Alignment = std.mem.Alignment;

pub const long: std.mem.Allocator = if (builtin.cpu.arch.isWasm()) std.heap.wasm_allocator else std.heap.c_allocator;

/// Single-threaded bump allocator over chunks taken from `long`. Freeing or resizing works in place
/// for the newest allocation only (ArrayList growth at the end of the arena stays a bump); `reset`
/// rewinds to the start of the newest chunk and gives back the older ones.
pub const Bump = struct {
    head: ?*Chunk = null, // newest chunk; older ones hang off `next`
    pos: usize = 0, // bytes used in `head`
    min_chunk: usize,

    const Chunk = struct { next: ?*Chunk, cap: usize };
    const header = @sizeOf(Chunk);

    pub fn init(min_chunk: usize) Bump {
        return .{ .min_chunk = min_chunk };
    }

    pub fn allocator(b: *Bump) std.mem.Allocator {
        return .{ .ptr = b, .vtable = &.{ .alloc = alloc, .resize = resize, .remap = remap, .free = free } };
    }

    fn base(c: *Chunk) usize {
        return @intFromPtr(c) + header;
    }

    fn alloc(ctx: *anyopaque, n: usize, al: Alignment, _: usize) ?[*]u8 {
        const b: *Bump = @ptrCast(@alignCast(ctx));
        if (b.head) |c| {
            const start = al.forward(base(c) + b.pos);
            if (start + n <= base(c) + c.cap) {
                b.pos = start + n - base(c);
                return @ptrFromInt(start);
            }
        }
        const prev = if (b.head) |c| c.cap else 0;
        const cap = @max(@max(b.min_chunk, prev *| 2), n +| al.toByteUnits());
        const raw = long.rawAlloc(cap +| header, .of(Chunk), @returnAddress()) orelse return null;
        const c: *Chunk = @ptrCast(@alignCast(raw));
        c.* = .{ .next = b.head, .cap = cap };
        b.head = c;
        const start = al.forward(base(c));
        b.pos = start + n - base(c);
        return @ptrFromInt(start);
    }

    /// True when `m` ends where the newest allocation ends: it may grow or shrink in place.
    fn isLast(b: *Bump, m: []u8) bool {
        const c = b.head orelse return false;
        return @intFromPtr(m.ptr) + m.len == base(c) + b.pos;
    }

    fn resize(ctx: *anyopaque, m: []u8, _: Alignment, new_len: usize, _: usize) bool {
        const b: *Bump = @ptrCast(@alignCast(ctx));
        if (!b.isLast(m)) return new_len <= m.len;
        const start = @intFromPtr(m.ptr) - base(b.head.?);
        if (start + new_len > b.head.?.cap) return false;
        b.pos = start + new_len;
        return true;
    }

    fn remap(ctx: *anyopaque, m: []u8, al: Alignment, new_len: usize, ra: usize) ?[*]u8 {
        return if (resize(ctx, m, al, new_len, ra)) m.ptr else null;
    }

    fn free(ctx: *anyopaque, m: []u8, _: Alignment, _: usize) void {
        const b: *Bump = @ptrCast(@alignCast(ctx));
        if (b.isLast(m)) b.pos -= m.len;
    }

    fn release(c: *Chunk) void {
        long.rawFree(@as([*]u8, @ptrCast(c))[0 .. c.cap + header], .of(Chunk), @returnAddress());
    }

    /// Rewind. Keeps only the newest chunk (the largest: chunks at least double), and not even that
    /// one when it is over `keep` bytes, so one large body does not pin its memory for good.
    pub fn reset(b: *Bump, keep: usize) void {
        b.pos = 0;
        const c = b.head orelse return;
        var old = c.next;
        c.next = null;
        while (old) |o| {
            old = o.next;
            release(o);
        }
        if (c.cap > keep) {
            release(c);
            b.head = null;
        }
    }

    pub fn deinit(b: *Bump) void {
        b.reset(0);
    }
};

// one per thread (a plain global in the single-threaded wasm build)
threadlocal var arena = Bump.init(64 << 10);

pub fn scratch() std.mem.Allocator {
    return arena.allocator();
}

/// Called on entry of every callback. Keeps up to 4 MiB warm so a steady request stream does not
/// call memory.grow per request, and gives back the rest after a large body.
pub fn resetScratch() void {
    arena.reset(4 << 20);
}


/// proxy_on_memory_allocate: what the wasm host hands over lives in the scratch arena.
pub fn hostAllocate(size: usize) ?[*]u8 {
    const buf = arena.allocator().alloc(u8, if (size == 0) 1 else size) catch return null;
    return buf.ptr;
}

/// Context id -> pointer, for roots and streams alike. Open addressing with linear probing and
/// backward-shift deletion: no tombstones, so a long run of short streams never degrades lookups
/// (std's hash maps keep tombstones, and hash u32 keys with wyhash, whose 128-bit products wasm32
/// emulates). Envoy numbers contexts from 1 up; id 0 (the VM's own context) is never stored.
pub const ContextMap = struct {
    keys: []u32 = &.{}, // 0 = free slot
    vals: []usize = &.{},
    len: usize = 0,

    pub const empty: ContextMap = .{};

    // Odd multiplier: consecutive ids land in distinct slots.
    fn home(m: *const ContextMap, k: u32) usize {
        return (k *% 0x9E37_79B1) & (m.keys.len - 1);
    }

    fn find(m: *const ContextMap, k: u32) ?usize {
        if (m.keys.len == 0 or k == 0) return null;
        var i = m.home(k);
        while (m.keys[i] != k) : (i = (i + 1) & (m.keys.len - 1)) {
            if (m.keys[i] == 0) return null;
        }
        return i;
    }

    pub fn get(m: *const ContextMap, k: u32) ?usize {
        return m.vals[m.find(k) orelse return null];
    }

    pub fn put(m: *ContextMap, k: u32, v: usize) !void {
        if (k == 0) return error.InvalidContextId;
        if (m.find(k)) |i| {
            m.vals[i] = v;
            return;
        }
        if ((m.len + 1) * 2 > m.keys.len) try m.grow();
        m.insert(k, v);
        m.len += 1;
    }

    fn insert(m: *ContextMap, k: u32, v: usize) void {
        var i = m.home(k);
        while (m.keys[i] != 0) i = (i + 1) & (m.keys.len - 1);
        m.keys[i] = k;
        m.vals[i] = v;
    }

    fn grow(m: *ContextMap) !void {
        const n = @max(16, m.keys.len * 2);
        const keys = try long.alloc(u32, n);
        const vals = long.alloc(usize, n) catch |e| {
            long.free(keys);
            return e;
        };
        @memset(keys, 0);
        const old_keys = m.keys;
        const old_vals = m.vals;
        m.keys = keys;
        m.vals = vals;
        for (old_keys, old_vals) |k, v| if (k != 0) m.insert(k, v);
        long.free(old_keys);
        long.free(old_vals);
    }

    pub fn fetchRemove(m: *ContextMap, k: u32) ?usize {
        const at = m.find(k) orelse return null;
        const v = m.vals[at];
        const mask = m.keys.len - 1;
        var hole = at;
        var j = at;
        while (true) {
            j = (j + 1) & mask;
            if (m.keys[j] == 0) break;
            // the entry at j may fill the hole when the hole lies on its probe path from home
            if (((j -% m.home(m.keys[j])) & mask) >= ((j -% hole) & mask)) {
                m.keys[hole] = m.keys[j];
                m.vals[hole] = m.vals[j];
                hole = j;
            }
        }
        m.keys[hole] = 0;
        m.len -= 1;
        return v;
    }
};
