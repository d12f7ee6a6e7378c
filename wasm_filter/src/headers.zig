//! Header multimap operations, docs/runtime.md section 5. The filter edits a local copy of the map
//! (reads see earlier writes without a host call each) and logs each edit; at the end of the phase
//! host.applyEdits replays the log, one host call per edit: proxy_replace_header_map_value for a set
//! (Envoy's setCopy: every value removed, one appended), proxy_add_header_map_value for an add,
//! proxy_remove_header_map_value for a remove. Untouched headers are never rewritten.
const std = @import("std");
const strfn = @import("strfn.zig");
const Header = @import("pairs.zig").Header;

pub const Edit = struct {
    kind: enum(u8) { set, add, remove },
    name: []const u8,
    value: []const u8 = "",
};

pub const Map = struct {
    items: std.ArrayList(Header),
    edits: std.ArrayList(Edit) = .empty,

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
        _ = m.drop(name);
        try m.items.append(a, .{ .name = name, .value = value });
        try m.edits.append(a, .{ .kind = .set, .name = name, .value = value });
    }

    pub fn add(m: *Map, a: std.mem.Allocator, name: []const u8, value: []const u8) !void {
        try m.items.append(a, .{ .name = name, .value = value });
        try m.edits.append(a, .{ .kind = .add, .name = name, .value = value });
    }

    /// Remove every value (logged only when there was one: no host call, no route re-match, otherwise).
    pub fn remove(m: *Map, a: std.mem.Allocator, name: []const u8) !void {
        if (m.drop(name)) try m.edits.append(a, .{ .kind = .remove, .name = name });
    }

    /// Drop every value of `name`; false when there was none (the map is then left untouched).
    fn drop(m: *Map, name: []const u8) bool {
        const items = m.items.items;
        var w: usize = for (items, 0..) |h, i| {
            if (strfn.eql(h.name, name)) break i;
        } else return false;
        for (items[w + 1 ..]) |h| {
            if (strfn.eql(h.name, name)) continue;
            items[w] = h;
            w += 1;
        }
        m.items.items.len = w;
        return true;
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
