"""JSON paths like `user.id`, `items[0].name`, `[3].x` (docs/runtime.md section 6)."""
from __future__ import annotations

MAX_SEGMENTS = 64  # same as the JSON nesting limit: a deeper path could never be written
MAX_INDEX_DIGITS = 9

Segment = bytes | int


class JsonPathError(ValueError):
    """A malformed path; `offset` is the 0-based character offset the compiler's caret points at."""

    def __init__(self, message: str, offset: int):
        super().__init__(message)
        self.message = message
        self.offset = offset


def _index(path: str, i: int) -> tuple[int, int]:
    """Parse `index]` starting right after '['; return (value, offset after ']')."""
    j = i
    while j < len(path) and "0" <= path[j] <= "9":
        j += 1
    digits = path[i:j]
    if not digits:
        raise JsonPathError("expected an array index", i)
    if len(digits) > 1 and digits[0] == "0":
        raise JsonPathError("array index has a leading zero", i)
    if len(digits) > MAX_INDEX_DIGITS:
        raise JsonPathError(f"array index too large (at most {MAX_INDEX_DIGITS} digits)", i)
    if j >= len(path) or path[j] != "]":
        raise JsonPathError("expected ']'", j)
    return int(digits), j + 1


def _key(path: str, i: int) -> tuple[bytes, int]:
    j = i
    while j < len(path) and path[j] not in ".[]":
        j += 1
    if j == i:
        if j < len(path) and path[j] == "]":
            raise JsonPathError("unexpected ']'", j)
        raise JsonPathError("empty key", i)
    return path[i:j].encode("utf-8"), j


def parse_path(path: str) -> list[Segment]:
    if not path:
        raise JsonPathError("empty path", 0)
    segments: list[Segment] = []
    i = 0
    first = True
    while first or i < len(path):
        start = i
        seg: Segment
        if path[i] == "[":
            seg, i = _index(path, i + 1)
        elif first:
            seg, i = _key(path, i)
        elif path[i] == ".":
            seg, i = _key(path, i + 1)
        elif path[i] == "]":
            raise JsonPathError("unexpected ']'", i)
        else:  # only reachable right after ']' (a key runs until '.', '[' or ']')
            raise JsonPathError("expected '.' or '[' after ']'", i)
        if len(segments) == MAX_SEGMENTS:
            raise JsonPathError(f"path deeper than {MAX_SEGMENTS} levels", start)
        segments.append(seg)
        first = False
    return segments


def parse_path_bytes(path: bytes) -> list[Segment] | None:
    """The VM's view: a path constant as UTF-8 bytes; None when it is not a valid path."""
    try:
        return parse_path(path.decode("utf-8"))
    except (UnicodeDecodeError, JsonPathError):
        return None
