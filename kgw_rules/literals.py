"""Checks of the literals that are not expressions: header names, JSON paths and regexes."""
from __future__ import annotations

import functools
import re
from collections.abc import Callable

from . import ast as A
from .builtins import NOT_HEADERS, READ_ONLY_HEADERS
from .diagnostics import Span
from .wire.regex import RegexProgram
from .wire.stats import LOG_FIELD_NAME

_TOKEN = re.compile(r"[a-z0-9!#$%&'*+.^_`|~-]+\Z")

Report = Callable[..., object]


def literal_text(e: A.Expr) -> str | None:
    """The text of a string literal without interpolation, else None."""
    if not isinstance(e, A.Str):
        return None
    texts = [p for p in e.parts if isinstance(p, str)]
    return "".join(texts) if len(texts) == len(e.parts) else None


def check_header_name(name: A.Lit, error: Report, write: bool = True) -> None:
    """A header name a statement writes (`write`) or an expression reads."""
    if write and name.value in READ_ONLY_HEADERS:
        error(name.span, f"`{name.value}` can be read but not written by rules", READ_ONLY_HEADERS[name.value])
    elif name.value in NOT_HEADERS:
        error(name.span, f"`{name.value}` is not a header name in rules", NOT_HEADERS[name.value])
    elif name.value.startswith(":"):
        error(name.span, f"`{name.value}` is a pseudo-header, not a header name in rules",
              "use path, method, host, scheme or status")
    elif not _TOKEN.match(name.value):
        error(name.span, f"`{name.value}` is not a valid header name",
              "header names are letters, digits and !#$%&'*+-.^_`|~")


def check_log_name(name: A.Lit, error: Report) -> None:
    if not LOG_FIELD_NAME.match(name.value):
        error(name.span, f"`{name.value}` is not a valid log field name",
              "log field names are 1 to 128 letters, digits, `_`, `.` and `-`")


def check_json_path(path: A.Lit, error: Report) -> None:
    from .runtime import JsonPathError, parse_path

    try:
        parse_path(path.value)
    except JsonPathError as err:
        col = path.span.col + 1 + err.offset  # +1 for the opening quote
        error(Span(path.span.line, col, path.span.line, col + 1), f"bad JSON path: {err.message}",
              'paths look like "user.id" or "items[0].name"')


@functools.lru_cache(maxsize=1024)
def _compiled(pattern: str) -> RegexProgram:
    """Regex programs are immutable; files repeat patterns, and controllers recompile unchanged rules."""
    from .regex import compile_regex

    return compile_regex(pattern)


def compile_regex_literal(e: A.RegexLit, error: Report) -> RegexProgram | None:
    from .regex import RegexError

    try:
        return _compiled(e.pattern)
    except RegexError as err:
        col = e.pattern_col + err.offset
        span = Span(e.span.line, col, e.span.line, col + max(1, err.length))
        error(span, f"bad regex: {err.message}", err.hint)
        return None
