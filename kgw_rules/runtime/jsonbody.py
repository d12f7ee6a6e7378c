"""json(PATH), set json, remove json over a body (docs/runtime.md section 7).

Paths come as a parsed segment list, a str (compiler side) or UTF-8 bytes (a VM constant).
Every failure is "absent"/"unchanged" (None), never an exception.
"""
from __future__ import annotations

import itertools

from .encoding import json_escape
from .jsonpath import JsonPathError, Segment, parse_path, parse_path_bytes
from .jsontree import Array, InvalidJson, Member, Node, Object, Scalar, decode_string, parse, serialize
from .strings import to_str

PathLike = str | bytes | list[Segment]


def _segments(path: PathLike) -> list[Segment] | None:
    if isinstance(path, bytes):
        return parse_path_bytes(path)
    if isinstance(path, str):
        try:
            return parse_path(path)
        except JsonPathError:
            return None
    return list(path) or None


def _load(body: bytes, path: PathLike) -> tuple[Node, list[Segment]] | None:
    segments = _segments(path)
    if segments is None:
        return None
    try:
        return parse(body), segments
    except InvalidJson:
        return None


def _last_member(node: Object, key: bytes) -> Member | None:
    found = None
    for m in node.members:  # duplicates: the last one wins, as for readers
        if m.key == key:
            found = m
    return found


def _step(node: Node, seg: Segment) -> Node | None:
    if isinstance(seg, int):
        return node.items[seg] if isinstance(node, Array) and seg < len(node.items) else None
    if isinstance(node, Object):
        m = _last_member(node, seg)
        return m.value if m is not None else None
    return None


def json_get(body: bytes, path: PathLike) -> bytes | None:
    loaded = _load(body, path)
    if loaded is None:
        return None
    node, segments = loaded
    for seg in segments:
        step = _step(node, seg)
        if step is None:
            return None
        node = step
    if isinstance(node, Scalar) and node.is_string:
        return decode_string(node.raw)
    return serialize(node)


def _scalar_text(value: bytes | int | bool | None) -> bytes | None:
    if isinstance(value, bytes):
        try:
            value.decode("utf-8")
        except UnicodeDecodeError:
            return None  # would make the body invalid JSON: skip the write
        return json_escape(value)
    return b"null" if value is None else to_str(value)


def json_set(body: bytes, path: PathLike, value: bytes | int | bool | None) -> bytes | None:
    text = _scalar_text(value)
    loaded = _load(body, path)
    if text is None or loaded is None:
        return None
    root, segments = loaded
    node = root
    for seg, nxt in itertools.pairwise(segments):
        child = _step(node, seg)
        if child is None:
            # Only a missing key in an object, followed by another key, is created ({}).
            if isinstance(seg, int) or not isinstance(node, Object) or isinstance(nxt, int):
                return None
            child = Object()
            node.members.append(Member(json_escape(seg), seg, child))
        node = child
    last = segments[-1]
    new = Scalar(text)
    if isinstance(last, int):
        if not isinstance(node, Array) or last >= len(node.items):
            return None
        node.items[last] = new
    else:
        if not isinstance(node, Object):
            return None
        target = _last_member(node, last)
        if target is None:
            node.members.append(Member(json_escape(last), last, new))
        else:
            target.value = new  # keeps its position and raw key; earlier duplicates go
            node.members = [m for m in node.members if m is target or m.key != last]
    return serialize(root)


def json_remove(body: bytes, path: PathLike) -> bytes | None:
    loaded = _load(body, path)
    if loaded is None:
        return None
    root, segments = loaded
    node = root
    for seg in segments[:-1]:
        step = _step(node, seg)
        if step is None:
            return None
        node = step
    last = segments[-1]
    if isinstance(last, int):
        if not isinstance(node, Array) or last >= len(node.items):
            return None
        del node.items[last]
    else:
        if not isinstance(node, Object):
            return None
        kept = [m for m in node.members if m.key != last]
        if len(kept) == len(node.members):
            return None
        node.members = kept
    return serialize(root)
