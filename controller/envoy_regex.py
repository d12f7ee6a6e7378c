"""Regular expressions as Envoy takes them: RE2 syntax and Envoy's limit on the compiled program's size.

Envoy refuses a whole RouteConfiguration for one regex it cannot use, so the translator checks every regex
it will send with the real RE2 (google-re2) first, and leaves out or answers 500 for what would be refused.
"""
from __future__ import annotations

import functools

import re2

# Envoy refuses a regex whose RE2 program is larger than this (runtime `re2.max_program_size.error_level`,
# default 100; kgw's bootstraps keep the default).
ENVOY_MAX_PROGRAM_SIZE = 100

_OPTIONS = re2.Options()  # Envoy compiles with RE2's default options
_OPTIONS.log_errors = False  # the translator reports a bad pattern in status; no log line on stderr


@functools.lru_cache(maxsize=4096)
def regex_problem(pattern: str) -> str:
    """Why Envoy would refuse `pattern` ("" when it takes it)."""
    try:
        size = re2.compile(pattern, _OPTIONS).programsize
    except re2.error as exc:
        reason = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        return f"regular expression {pattern!r} is not valid RE2 (Envoy's regex engine): {reason}"
    if size > ENVOY_MAX_PROGRAM_SIZE:
        return (f"regular expression {pattern!r} compiles to an RE2 program of size {size}, over Envoy's limit of "
                f"{ENVOY_MAX_PROGRAM_SIZE}: use a simpler one (bounded repeats like {{1,64}} count once per repeat)")
    return ""


def re2_escape(text: str) -> str:
    return "".join("\\" + ch if ch in r"\.+*?()|[]{}^$" else ch for ch in text)


def origin_pattern(origin: str) -> str | None:
    """The regex an allowed CORS origin with a wildcard becomes (None: matched exactly). `*` alone is any
    origin; `scheme://*.example.com` covers one or more leading labels."""
    if origin == "*":
        return ".*"
    if "*" in origin:
        return re2_escape(origin).replace(r"\*", "[^/]+")
    return None


def strip_prefix_pattern(prefix: str) -> str:
    """ReplacePrefixMatch with `/`: the regex_rewrite pattern removing `prefix` (and the slashes after it)."""
    return "^" + re2_escape(prefix) + "/*"
