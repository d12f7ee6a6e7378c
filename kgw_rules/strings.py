"""Reading string literals: escapes, literal braces and `{expr}` interpolations with exact columns."""
from __future__ import annotations

from collections.abc import Callable

from .diagnostics import Diagnostic, Span

ESCAPES = {"\\": "\\", '"': '"', "n": "\n", "r": "\r", "t": "\t"}
ESCAPE_HINT = 'the escapes are \\\\ \\" \\n \\r \\t and \\u{HEX}; write {{ and }} for literal braces'


def skip_string(text: str, i: int) -> int:
    """Index just past the string literal that starts with the quote at text[i]."""
    k = i + 1
    while k < len(text):
        c = text[k]
        if c == "\\":
            k += 2
        elif c == '"':
            return k + 1
        elif text.startswith("{{", k) or text.startswith("}}", k):
            k += 2
        elif c == "{":
            k = interpolation_end(text, k) + 1
        else:
            k += 1
    return len(text)


def interpolation_end(text: str, i: int) -> int:
    """Index of the `}` closing the interpolation that opens at text[i] (len(text) if unclosed)."""
    j = i + 1
    while j < len(text):
        c = text[j]
        if c == '"':
            j = skip_string(text, j)
            continue
        if c == "}":
            return j
        j += 1
    return len(text)


def decode_string(text: str, line: int, col: int, diags: list[Diagnostic],
                  parse_expr: Callable[[str, int, int], object]) -> list[str | object]:
    """Split the literal `text` (quotes included) starting at (line, col) into text and expressions.

    `parse_expr(source, line, col)` parses one interpolation whose first character sits at (line, col).
    """
    parts: list[str | object] = []
    buf: list[str] = []
    i, end = 1, len(text) - 1

    def error(at: int, width: int, message: str, hint: str | None = None) -> None:
        diags.append(Diagnostic("error", Span(line, col + at, line, col + at + width), message, hint))

    while i < end:
        c = text[i]
        if c == "\\":
            nxt = text[i + 1] if i + 1 < end else ""
            if nxt in ESCAPES:
                buf.append(ESCAPES[nxt])
                i += 2
            elif nxt == "u":
                close = text.find("}", i)
                digits = text[i + 3:close] if text.startswith("u{", i + 1) and close > 0 else ""
                if not digits or len(digits) > 6 or any(ch not in "0123456789abcdefABCDEF" for ch in digits):
                    error(i, max(2, close - i + 1 if close > 0 else 2), "malformed \\u{HEX} escape",
                          "write 1 to 6 hex digits between the braces, e.g. \\u{e9}")
                    i += 2
                    continue
                value = int(digits, 16)
                if value > 0x10FFFF or 0xD800 <= value <= 0xDFFF:
                    error(i, close - i + 1, f"\\u{{{digits}}} is not a Unicode scalar value")
                else:
                    buf.append(chr(value))
                i = close + 1
            else:
                error(i, 2, f"unknown escape `\\{nxt}`", ESCAPE_HINT)
                i += 2
        elif text.startswith("{{", i) or text.startswith("}}", i):
            buf.append(c)
            i += 2
        elif c == "}":
            error(i, 1, "a lone `}` in a string", "write }} for a literal brace")
            i += 1
        elif c == "{":
            close = interpolation_end(text, i)
            inner = text[i + 1:close]
            if buf:
                parts.append("".join(buf))
                buf = []
            if not inner.strip():
                error(i, close - i + 1, "empty interpolation `{}`", "write {{}} for literal braces")
            else:
                parsed = parse_expr(inner, line, col + i + 1)
                if parsed is not None:
                    parts.append(parsed)
            i = close + 1
        else:
            buf.append(c)
            i += 1
    if buf or not parts:
        parts.append("".join(buf))
    return parts
