"""Writes the data plane cannot carry out. They are skipped and counted (never a trap); both engines
report them with these reason codes, which are also the filter's metric labels."""
from __future__ import annotations

import re

from . import runtime as rt
from .exchange import Request, Response

SKIP_REASONS = ("header_value", "path", "method", "host", "status", "no_body", "encoded_body", "upgrade", "grpc",
                "regex_budget", "empty_value", "log_value")
# Only the native build reports `empty_value`: Envoy 1.40's dynamic-module ABI cannot write an empty header
# value (set_header with one removes the header, add_header ignores it), see docs/data-plane.md "Native".
NATIVE_ONLY_SKIPS = ("empty_value",)

_TOKEN = re.compile(rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+\Z")


def valid_method(value: bytes) -> bool:
    return bool(_TOKEN.match(value))


def valid_host(value: bytes) -> bool:
    return bool(value) and rt.valid_header_value(value) and not any(c in value for c in b" \t/?#@")


def body_write_blocker(request: Request, message: Request | Response, phase: int) -> str | None:
    """Why a body write on `message` must be skipped, or None."""
    if rt.get_first(request.headers, b"upgrade") is not None:
        return "upgrade"
    for headers in (request.headers, message.headers):
        if (rt.get_first(headers, b"content-type") or b"").lower().startswith(b"application/grpc"):
            return "grpc"
    encoding = rt.get_first(message.headers, b"content-encoding")
    if encoding is not None and encoding.strip().lower() not in (b"", b"identity"):
        return "encoded_body"
    return None
