//! Header multimap operations, docs/runtime.md section 5. The filter edits a local copy of the map
//! (reads see earlier writes without a host call each) and writes the whole map back once per phase
//! with proxy_set_header_map_pairs when something changed.
const std = @import("std");
const strfn = @import("strfn.zig");
const Header = @import("host.zig").Header;

pub const Map = struct {
    items: std.ArrayList(Header),
    dirty: bool = false,

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
        m.remove(name);
        try m.items.append(a, .{ .name = name, .value = value });
        m.dirty = true;
    }

    pub fn add(m: *Map, a: std.mem.Allocator, name: []const u8, value: []const u8) !void {
        try m.items.append(a, .{ .name = name, .value = value });
        m.dirty = true;
    }

    pub fn remove(m: *Map, name: []const u8) void {
        var w: usize = 0;
        for (m.items.items) |h| {
            if (strfn.eql(h.name, name)) continue;
            m.items.items[w] = h;
            w += 1;
        }
        if (w != m.items.items.len) m.dirty = true;
        m.items.items.len = w;
    }

    /// rename: unchanged when old == new or old is absent; else drop both names and append the old
    /// values, in order, under the new name at the end.
    pub fn rename(m: *Map, a: std.mem.Allocator, old: []const u8, new: []const u8) !void {
        if (strfn.eql(old, new) or m.first(old) == null) return;
        const values = try m.all(a, old);
        m.remove(old);
        m.remove(new);
        for (values) |v| try m.items.append(a, .{ .name = new, .value = v });
        m.dirty = true;
    }
};
