//! Envoy's dynamic-module ABI as the native build uses it, declared from Envoy v1.40.0's
//! `source/extensions/dynamic_modules/abi/abi.h` (ABI v0.2.0). Only what kgw calls or must export is
//! here; the C types map one to one (buffers and headers are {pointer, length} structs passed by value).
//! Envoy checks the string `envoy_dynamic_module_on_program_init` returns against its own: exact match.
pub const dynamic_modules_abi: [*:0]const u8 = "v0.2.0";

/// envoy_dynamic_module_type_module_buffer / _envoy_buffer
pub const Buffer = extern struct {
    ptr: ?[*]const u8,
    len: usize,

    pub fn of(s: []const u8) Buffer {
        return .{ .ptr = s.ptr, .len = s.len };
    }

    pub fn slice(b: Buffer) []const u8 {
        return if (b.ptr) |p| p[0..b.len] else "";
    }
};

/// envoy_dynamic_module_type_module_http_header / _envoy_http_header
pub const HttpHeader = extern struct {
    key_ptr: ?[*]const u8,
    key_len: usize,
    value_ptr: ?[*]const u8,
    value_len: usize,
};

/// envoy_dynamic_module_type_http_header_type
pub const HeaderType = enum(u32) { request_header = 0, request_trailer = 1, response_header = 2, response_trailer = 3 };
/// envoy_dynamic_module_type_http_body_type
pub const BodyType = enum(u32) { received_request = 0, buffered_request = 1, received_response = 2, buffered_response = 3 };
/// envoy_dynamic_module_type_attribute_id (the two kgw reads)
pub const Attribute = enum(u32) { source_address = 24, xds_route_name = 61 };

pub const Ptr = ?*anyopaque;

pub extern fn envoy_dynamic_module_callback_log(level: u32, message: Buffer) void;
pub extern fn envoy_dynamic_module_callback_log_enabled(level: u32) bool;
pub extern fn envoy_dynamic_module_callback_http_get_headers_size(filter: Ptr, kind: HeaderType) usize;
pub extern fn envoy_dynamic_module_callback_http_get_headers(filter: Ptr, kind: HeaderType, out: [*]HttpHeader) bool;
pub extern fn envoy_dynamic_module_callback_http_set_header(filter: Ptr, kind: HeaderType, key: Buffer, value: Buffer) bool;
pub extern fn envoy_dynamic_module_callback_http_add_header(filter: Ptr, kind: HeaderType, key: Buffer, value: Buffer) bool;
pub extern fn envoy_dynamic_module_callback_http_get_body_chunks_size(filter: Ptr, kind: BodyType) usize;
pub extern fn envoy_dynamic_module_callback_http_get_body_chunks(filter: Ptr, kind: BodyType, out: [*]Buffer) bool;
pub extern fn envoy_dynamic_module_callback_http_get_body_size(filter: Ptr, kind: BodyType) usize;
pub extern fn envoy_dynamic_module_callback_http_drain_body(filter: Ptr, kind: BodyType, n: usize) bool;
pub extern fn envoy_dynamic_module_callback_http_append_body(filter: Ptr, kind: BodyType, data: Buffer) bool;
pub extern fn envoy_dynamic_module_callback_http_send_response(filter: Ptr, status: u32, headers: ?[*]const HttpHeader, n: usize, body: Buffer, details: Buffer) void;
pub extern fn envoy_dynamic_module_callback_http_clear_route_cache(filter: Ptr) void;
pub extern fn envoy_dynamic_module_callback_http_filter_get_attribute_string(filter: Ptr, id: Attribute, out: *Buffer) bool;
pub extern fn envoy_dynamic_module_callback_get_most_specific_route_config(filter: Ptr) ?*anyopaque;
pub extern fn envoy_dynamic_module_callback_http_set_filter_state_bytes(filter: Ptr, key: Buffer, value: Buffer) bool;
pub extern fn envoy_dynamic_module_callback_http_filter_config_define_counter(config: Ptr, name: Buffer, labels: ?[*]const Buffer, nlabels: usize, id: *usize) u32;
pub extern fn envoy_dynamic_module_callback_http_filter_increment_counter(filter: Ptr, id: usize, labels: ?[*]const Buffer, nlabels: usize, value: u64) u32;
pub extern fn envoy_dynamic_module_callback_http_filter_config_increment_counter(config: Ptr, id: usize, labels: ?[*]const Buffer, nlabels: usize, value: u64) u32;
