//! Header multimap operations, docs/runtime.md section 5. The filter edits a local copy of the map
//! (reads see earlier writes without a host call each) and logs each edit as a removal or an append;
//! at the end of the phase host.applyEdits replays the log, one proxy_remove_header_map_value or
//! proxy_add_header_map_value per edit. Envoy applies them with the local copy's semantics (set = remove
//! all + append, as its setCopy; add appends), so untouched headers are never rewritten.
const std = @import("std");
const strfn = @import("strfn.zig");
const Header = @import("host.zig").Header;

/// An edit to replay, logged as a Header: a value of length `removed` = remove every value, else append.
/// No real value is that long (it is the whole 32-bit address space).
pub const removed = std.math.maxInt(usize);

pub const Map = struct {
    items: std.ArrayList(Header),
    edits: std.ArrayList(Header) = .empty,

    pub fn first(m: *const Map, name: []const u8) ?[]const u8 {
        for (m.items.items) |h| if (strfn.eql(h.name, name)) return h.value;
        return null;
    }

    /// All values joined by `sep`; null when there is no such header.
    pub fn joined(m: *const Map, a: std.mem.Allocator, name: []const u8, sep: []const u8) !?[]const u8 {
        var out: std.ArrayList(u8) = .empty;
        var any = false;
        for (m.items.items) |h| {
            if (!strfn.eql(h.name, name)) continue;
            if (any) try out.appendSlice(a, sep);
            try out.appendSlice(a, h.value);
            any = true;
        }
        return if (any) out.items else null;
    }

    pub fn all(m: *const Map, a: std.mem.Allocator, name: []const u8) ![]const []const u8 {
        var out: std.ArrayList([]const u8) = .empty;
        for (m.items.items) |h| if (strfn.eql(h.name, name)) try out.append(a, h.value);
        return out.items;
    }

    /// set_all: drop every value and append one at the end, as Envoy's setCopy does.
    pub fn set(m: *Map, a: std.mem.Allocator, name: []const u8, value: []const u8) !void {
        try m.remove(a, name);
        try m.add(a, name, value);
    }

    pub fn add(m: *Map, a: std.mem.Allocator, name: []const u8, value: []const u8) !void {
        try m.items.append(a, .{ .name = name, .value = value });
        try m.edits.append(a, .{ .name = name, .value = value });
    }

    /// Remove every value (logged only when there was one: no host call, no route re-match, otherwise).
    pub fn remove(m: *Map, a: std.mem.Allocator, name: []const u8) !void {
        if (m.drop(name)) try m.edits.append(a, .{ .name = name, .value = name.ptr[0..removed] });
    }

    fn drop(m: *Map, name: []const u8) bool {
        var w: usize = 0;
        for (m.items.items) |h| {
            if (strfn.eql(h.name, name)) continue;
            m.items.items[w] = h;
            w += 1;
        }
        defer m.items.items.len = w;
        return w != m.items.items.len;
    }

    /// rename: unchanged when old == new or old is absent; else drop both names and append the old
    /// values, in order, under the new name at the end.
    pub fn rename(m: *Map, a: std.mem.Allocator, old: []const u8, new: []const u8) !void {
        if (strfn.eql(old, new) or m.first(old) == null) return;
        const values = try m.all(a, old);
        try m.remove(a, old);
        try m.remove(a, new);
        for (values) |v| try m.add(a, new, v);
    }
};
