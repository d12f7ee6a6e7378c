"""Query-string reads and edits of the request target `path[?query]` (docs/runtime.md section 3).

Edits keep other parameters' raw bytes: a parameter is only ever decoded to compare its name.
"""
from __future__ import annotations

from .encoding import url_decode, url_encode
from .headers import valid_header_value


def split_target(url: bytes) -> tuple[bytes, bytes | None]:
    """Split at the first '?'; the query is None when there is no '?' at all."""
    path, sep, query = url.partition(b"?")
    return path, (query if sep else None)


def _segments(query: bytes | None) -> list[bytes]:
    return [seg for seg in query.split(b"&") if seg] if query else []


def _split_segment(seg: bytes) -> tuple[bytes, bytes]:
    name, _, value = seg.partition(b"=")  # no '=' -> value b""
    return name, value


def _name_is(seg: bytes, name: bytes) -> bool:
    # A raw name that does not decode matches nothing (url_decode gives None).
    return url_decode(_split_segment(seg)[0]) == name


def _rebuild(path: bytes, segments: list[bytes]) -> bytes:
    return path + b"?" + b"&".join(segments) if segments else path


def query_get(url: bytes, name: bytes) -> bytes | None:
    _, query = split_target(url)
    for seg in _segments(query):
        if _name_is(seg, name):
            return url_decode(_split_segment(seg)[1])  # first match decides, even when malformed
    return None


def query_set(url: bytes, name: bytes, value: bytes | None) -> bytes:
    if value is None:
        return query_remove(url, name)
    path, query = split_target(url)
    new_seg = url_encode(name) + b"=" + url_encode(value)
    out: list[bytes] = []
    replaced = False
    for seg in _segments(query):
        if not _name_is(seg, name):
            out.append(seg)
        elif not replaced:  # first occurrence replaced in place, later ones dropped
            out.append(new_seg)
            replaced = True
    if not replaced:
        out.append(new_seg)
    return _rebuild(path, out)


def query_remove(url: bytes, name: bytes) -> bytes:
    path, query = split_target(url)
    segments = _segments(query)
    kept = [seg for seg in segments if not _name_is(seg, name)]
    if len(kept) == len(segments):
        return url  # nothing removed: leave the target byte-identical
    return _rebuild(path, kept)


def set_path(url: bytes, new_path: bytes) -> bytes | None:
    """New path, old query kept; None when the write must be skipped."""
    if not new_path.startswith(b"/") or not valid_header_value(new_path):
        return None  # :path is a header value to Envoy: the same control bytes are refused
    # '?' would start a query and '#' a fragment: neither can be part of a path on the wire.
    encoded = new_path.replace(b"?", b"%3F").replace(b"#", b"%23")
    _, query = split_target(url)
    return encoded if query is None else encoded + b"?" + query
