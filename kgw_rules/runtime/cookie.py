"""Request cookie lookup over all `cookie` header values (docs/runtime.md section 4)."""
from __future__ import annotations

from .strings import WS


def cookie_get(header_values: list[bytes], name: bytes) -> bytes | None:
    for header in header_values:
        for piece in header.split(b";"):  # ';' only: ',' is not a cookie separator
            key, eq, value = piece.strip(WS).partition(b"=")
            if not eq:
                continue  # pairs without '=' are ignored
            if key.strip(WS) != name:
                continue
            value = value.strip(WS)
            if len(value) >= 2 and value[:1] == b'"' and value[-1:] == b'"':
                value = value[1:-1]  # RFC 6265 allows one pair of surrounding quotes
            return value
    return None
