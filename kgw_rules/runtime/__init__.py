"""Runtime library of the reference VM: pure functions over bytes (docs/runtime.md).

The Zig filter implements the same functions with identical results; docs/runtime.md is the contract.
"""
from .cookie import cookie_get
from .encoding import (
                       base64_decode,
                       base64_encode,
                       base64url_decode,
                       base64url_encode,
                       json_escape,
                       sha256_hex,
                       url_decode,
                       url_encode,
)
from .headers import add, get_all, get_first, get_joined, remove, rename, set_all, valid_header_value
from .jsonbody import json_get, json_remove, json_set
from .jsonpath import JsonPathError, parse_path, parse_path_bytes
from .query import query_get, query_remove, query_set, set_path, split_target
from .strings import (
                       contains,
                       ends_with,
                       int_of,
                       lower,
                       split_part,
                       starts_with,
                       substr,
                       to_int,
                       to_str,
                       trim,
                       upper,
                       wrap_i64,
)

__all__ = [
    "cookie_get",
    "base64_decode", "base64_encode", "base64url_decode", "base64url_encode", "json_escape",
    "sha256_hex", "url_decode", "url_encode",
    "add", "get_all", "get_first", "get_joined", "remove", "rename", "set_all", "valid_header_value",
    "json_get", "json_remove", "json_set",
    "JsonPathError", "parse_path", "parse_path_bytes",
    "query_get", "query_remove", "query_set", "set_path", "split_target",
    "contains", "ends_with", "int_of", "lower", "split_part", "starts_with", "substr", "to_int",
    "to_str", "trim", "upper", "wrap_i64",
]
