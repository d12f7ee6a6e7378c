"""Helpers over an ordered header multimap: list of (lower-case name, value) pairs.

docs/runtime.md section 5. Every function returns a new list; values are not validated here
(the VM checks valid_header_value before a write).
"""
from __future__ import annotations

Headers = list[tuple[bytes, bytes]]


def get_first(headers: Headers, name: bytes) -> bytes | None:
    for key, value in headers:
        if key == name:
            return value
    return None


def get_all(headers: Headers, name: bytes) -> list[bytes]:
    return [value for key, value in headers if key == name]


def get_joined(headers: Headers, name: bytes, sep: bytes) -> bytes | None:
    values = get_all(headers, name)
    return sep.join(values) if values else None


def set_all(headers: Headers, name: bytes, value: bytes | None) -> Headers:
    """Replace every value: drop them all and append one at the end, as Envoy's setCopy does."""
    if value is None:
        return remove(headers, name)
    return [*remove(headers, name), (name, value)]


def add(headers: Headers, name: bytes, value: bytes | None) -> Headers:
    return list(headers) if value is None else [*headers, (name, value)]


def remove(headers: Headers, name: bytes) -> Headers:
    return [(key, value) for key, value in headers if key != name]


def rename(headers: Headers, old: bytes, new: bytes) -> Headers:
    values = get_all(headers, old)
    if old == new or not values:
        return list(headers)  # nothing to move: an existing `new` stays
    kept = [(key, value) for key, value in headers if key not in (old, new)]
    return kept + [(new, value) for value in values]


def valid_header_value(value: bytes) -> bool:
    """CR, LF or NUL would let decoded input smuggle headers; real Envoy also answers 503 to a filter
    that writes any other control byte but HTAB (0x01-0x08, 0x0B-0x1F, 0x7F), so those are skipped too."""
    return not any((c < 0x20 and c != 0x09) or c == 0x7F for c in value)
