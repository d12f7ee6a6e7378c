//! The interpreter (vm.zig) on compiled programs, against a hand-made exchange. The programs are
//! `kgw compile --strip` output of the source shown above each (regenerate them if the bytecode format
//! changes); tests/vectors hold the behaviour tables both engines must agree on, these only check that
//! the interpreter runs on its own, off Envoy.
const std = @import("std");
const testing = std.testing;
const program = @import("program.zig");
const vm = @import("vm.zig");
const headers = @import("headers.zig");
const host = @import("host.zig");
const Exchange = @import("exchange.zig").Exchange;
const Value = @import("value.zig").Value;

//   on request {
//     let who = default(header("x-user"), "anon")
//     if path ~ r"^/api/(?P<svc>\w+)" {
//       set header x-svc = upper(svc) + ":" + str(len(who))
//     }
//     remove header x-drop
//   }
const vm_headers = "\x4b\x47\x57\x02\x01\x02\x05\x01\x0c\x78\x2d\x75\x73\x65\x72\x08\x61\x6e\x6f\x6e\x02\x3a\x0a\x78\x2d\x73\x76\x63\x0c\x78\x2d\x64\x72\x6f\x70\x26\x01\x0b\x01\x03\x73\x76\x63\x04\x30\x39\x41\x5a\x5f\x5f\x61\x7a\x08\x00\x01\x2f\x01\x61\x01\x70\x01\x69\x01\x2f\x07\x02\x02\x00\x05\x07\x09\x07\x03\x00\x1e\x21\x00\x10\x01\x41\x15\x00\x20\x00\x58\x00\x01\x02\x0d\x00\x14\x01\x31\x10\x02\x14\x00\x33\x44\x47\x03\x60\x03\x62\x04\xd7\x7d";
//   on request {
//     if method == "DELETE" { respond 403 "denied" { header x-why = "no" } }
//     set header x-seen = "yes"
//   }
const vm_respond = "\x4b\x47\x57\x02\x01\x00\x06\x00\x0c\x44\x45\x4c\x45\x54\x45\x0a\x78\x2d\x77\x68\x79\x04\x6e\x6f\x0c\x64\x65\x6e\x69\x65\x64\x06\x79\x65\x73\x0c\x78\x2d\x73\x65\x65\x6e\x17\x20\x01\x10\x00\x50\x02\x0b\x00\x10\x01\x10\x02\x10\x03\x6e\x93\x01\x01\x01\x10\x04\x60\x05\xb1\xc2";
//   on request {
//     set header x-env = default(env("KGW_TEST_GREETING"), "-")
//     set header x-ip = client_ip
//   }
const vm_env_ip = "\x4b\x47\x57\x02\x01\x00\x04\x00\x22\x4b\x47\x57\x5f\x54\x45\x53\x54\x5f\x47\x52\x45\x45\x54\x49\x4e\x47\x02\x2d\x0a\x78\x2d\x65\x6e\x76\x08\x78\x2d\x69\x70\x0b\x27\x00\x10\x01\x41\x60\x02\x20\x08\x60\x03\x5e\x6d";

const Run = struct {
    arena: std.heap.ArenaAllocator,
    x: Exchange,
    result: vm.Result,

    fn deinit(r: *Run) void {
        r.arena.deinit();
    }

    fn header(r: *Run, name: []const u8) ?[]const u8 {
        return r.x.req.first(name);
    }
};

/// Run the request phase of `blob` over request headers given as name, value, name, value, ...
fn runRequest(blob: []const u8, pairs: []const []const u8) !Run {
    var run = Run{ .arena = .init(std.heap.page_allocator), .x = undefined, .result = .done };
    errdefer run.arena.deinit();
    const a = run.arena.allocator();
    var why: []const u8 = "";
    const p = try a.create(program.Program);
    p.* = program.decode(a, blob, &why) catch |e| {
        std.debug.print("refused: {s}\n", .{why});
        return e;
    };
    var items: std.ArrayList(host.Header) = .empty;
    var i: usize = 0;
    while (i < pairs.len) : (i += 2) try items.append(a, .{ .name = pairs[i], .value = pairs[i + 1] });
    run.x = .{ .a = a, .phase = 0, .req = .{ .items = items }, .resp = .{ .items = .empty }, .body = null, .route = "ns/r/0" };
    const vars = try a.alloc(Value, p.nvars);
    @memset(vars, .none);
    run.result = try vm.run(&run.x, p, vars);
    return run;
}

test "captures, functions and header writes" {
    var r = try runRequest(vm_headers, &.{ ":path", "/api/users", ":method", "GET", "x-user", "bob", "x-drop", "1" });
    defer r.deinit();
    try testing.expectEqual(vm.Result.done, r.result);
    try testing.expectEqualStrings("USERS:3", r.header("x-svc").?);
    try testing.expect(r.header("x-drop") == null);
    try testing.expectEqual(@as(usize, 2), r.x.req.edits.items.len); // one set, one remove: replayed to the host

    var anon = try runRequest(vm_headers, &.{ ":path", "/api/a", ":method", "GET" });
    defer anon.deinit();
    try testing.expectEqualStrings("A:4", anon.header("x-svc").?); // default(header(...), "anon")

    var other = try runRequest(vm_headers, &.{ ":path", "/web", ":method", "GET" });
    defer other.deinit();
    try testing.expect(other.header("x-svc") == null);
}

test "respond ends the phase with a local reply" {
    var r = try runRequest(vm_respond, &.{ ":path", "/", ":method", "DELETE" });
    defer r.deinit();
    try testing.expectEqual(vm.Result.respond, r.result);
    const local = r.x.local.?;
    try testing.expectEqual(@as(u32, 403), local.status);
    try testing.expectEqualStrings("denied", local.body);
    try testing.expectEqualStrings("x-why", local.headers.items[0].name);
    try testing.expect(r.header("x-seen") == null); // nothing after respond runs

    var get = try runRequest(vm_respond, &.{ ":path", "/", ":method", "GET" });
    defer get.deinit();
    try testing.expectEqual(vm.Result.done, get.result);
    try testing.expectEqualStrings("yes", get.header("x-seen").?);
}

test "env() and client_ip come from the host" {
    // the fake host (kgw_rules/harness/zig_tests.py) sets KGW_TEST_GREETING and source.address
    var r = try runRequest(vm_env_ip, &.{ ":path", "/", ":method", "GET" });
    defer r.deinit();
    try testing.expectEqualStrings("hello", r.header("x-env").?);
    try testing.expectEqualStrings("10.1.2.3", r.header("x-ip").?);
}
