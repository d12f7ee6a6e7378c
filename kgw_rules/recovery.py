"""Syntax error messages, and skipping the offending statement so parsing can go on."""
from __future__ import annotations

from collections.abc import Iterator

from lark import Token
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from .diagnostics import Diagnostic, Span
from .strings import skip_string

_TERMINALS = {
    "NAME": "a name", "STRING": "a string", "INT": "an integer", "REGEX": 'a regex r"..."',
    "HEADER_TOKEN": "a header name", "PHASE_NAME": "`request` or `response`", "CMP_OP": "a comparison",
    "MATCH_OP": "`~`", "_NL": "a new line", "$END": "the end of the file", "LBRACE": "`{`", "RBRACE": "`}`",
    "LPAR": "`(`", "RPAR": "`)`", "LSQB": "`[`", "RSQB": "`]`", "EQUAL": "`=`", "COMMA": "`,`",
    "SEMICOLON": "`;`", "PLUS": "`+`",
}


_EXPRESSION_STARTS = {"NAME", "STRING", "INT", "REGEX", "LPAR", "TRUE", "FALSE", "NONE", "NOT", "HEADER",
                      "QUERY", "JSON", "REPLACE"}


def _describe_terminal(name: str) -> str:
    if name in _TERMINALS:
        return _TERMINALS[name]
    return f"`{name.lower()}`"


def _describe_token(tok: Token) -> str:
    if tok.type == "$END":
        return "end of file"
    if tok.type == "_NL":
        return "end of line"
    return f"`{tok}`"


def describe_syntax_error(err: UnexpectedInput, text: str) -> Diagnostic:
    if isinstance(err, UnexpectedCharacters):
        assert err.pos_in_stream is not None  # lark sets it for character errors
        ch = text[err.pos_in_stream]
        span = Span(err.line, err.column, err.line, err.column + 1)
        if ch == '"' or text.startswith('r"', err.pos_in_stream):
            line_end = text.find("\n", err.pos_in_stream)
            line_end = len(text) if line_end < 0 else line_end
            span = Span(err.line, err.column, err.line, err.column + line_end - err.pos_in_stream)
            return Diagnostic("error", span, "unterminated or malformed string literal",
                              "strings end on the line they start (write \\n for a new line); "
                              "every `{` opens an interpolation that needs its `}`")
        if ch == "=":
            return Diagnostic("error", span, "unexpected `=`", "use `==` to compare")
        return Diagnostic("error", span, f"unexpected character `{ch}`")
    assert isinstance(err, UnexpectedToken)
    tok = err.token
    if tok.type == "$END":
        lines = text.split("\n")
        span = Span(len(lines), len(lines[-1]) + 1, len(lines), len(lines[-1]) + 2)
    else:
        span = Span(tok.line, tok.column, tok.end_line or tok.line, tok.end_column or tok.column + 1)
    if tok.type == "_NL":
        span = Span(tok.line, tok.column, tok.line, tok.column + 1)
    names = {t for t in err.expected if not t.startswith("__")}
    if len(names) > 1:
        names.discard("_NL")  # the post-lexer accepts new lines everywhere; they are rarely the fix
    in_expression = bool(names & {"NAME", "INT"}) and "STRING" in names
    expected = sorted(_describe_terminal(t) for t in (names - _EXPRESSION_STARTS if in_expression else names))
    if in_expression:
        expected.insert(0, "an expression")
    message = f"unexpected {_describe_token(tok)}"
    hint = None
    opened = _unclosed_brace(text) if tok.type == "$END" and "RBRACE" in err.expected else None
    bracket = _open_bracket(text, _offset(tok, text)) if tok.type in _BRACKET_BREAKERS else None
    if bracket is not None:
        # `f(x` then `}`: the useful place is where the bracket opened; say where the parser gave up too
        where = "the end of the file" if tok.type == "$END" else f"{_describe_token(tok)} at {span.line}:{span.col}"
        span = _char_span(text, bracket)
        closer = _CLOSERS[text[bracket]]
        message, expected = f"this `{text[bracket]}` is never closed (found {where} first)", []
        hint = f"add the missing `{closer}`"
    elif opened is not None:
        span = _char_span(text, opened)
        message, expected, hint = "this `{` is never closed", [], "add the missing `}`"
    elif tok.type == "ELSE":
        message = "`else` must stand on the same line as the `}` before it"
    elif tok.type in ("CMP_OP", "MATCH_OP", "IN"):
        message = f"unexpected {_describe_token(tok)}: comparisons do not chain"
        hint = "combine them with `and`, or add parentheses"
    elif tok.type == "EQUAL" and "CMP_OP" in err.expected:
        hint = "use `==` to compare"
    if hint is None and expected and "comparisons" not in message:
        shown = expected[:6]
        message += "; expected " + (", ".join(shown[:-1]) + " or " + shown[-1] if len(shown) > 1 else shown[0])
    return Diagnostic("error", span, message, hint)


_CLOSERS = {"(": ")", "[": "]", "{": "}"}
# Tokens that cannot continue an expression inside ( ) or [ ]: met with a bracket still open, that bracket
# is what is missing.
_BRACKET_BREAKERS = {"RBRACE", "LBRACE", "$END", "RPAR", "RSQB"}


def _offset(tok: Token, text: str) -> int:
    return tok.start_pos if tok.type != "$END" and tok.start_pos is not None else len(text)


def _char_span(text: str, offset: int) -> Span:
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return Span(line, col, line, col + 1)


def _open_bracket(text: str, pos: int) -> int | None:
    """Offset of the `(` or `[` still open at `pos` when the token there cannot close it, else None."""
    stack: list[int] = []
    for i, c in _structure(text):
        if i >= pos:
            if stack and text[stack[-1]] in "([" and c != _CLOSERS[text[stack[-1]]]:
                return stack[-1]
            return None
        if c in "([{":
            stack.append(i)
        elif c in ")]}" and stack:
            stack.pop()
    return stack[-1] if stack and text[stack[-1]] in "([" else None


def comments(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of every `#` comment, in order (strings and regexes skipped)."""
    return [(i, _comment_end(text, i)) for i, c in _structure(text, with_comments=True) if c == "#"]


def _comment_end(text: str, i: int) -> int:
    j = text.find("\n", i)
    return len(text) if j < 0 else j


def _structure(text: str, with_comments: bool = False) -> Iterator[tuple[int, str]]:
    """Yield (index, char) for ( ) [ ] { } ; and newlines outside strings, regexes and comments (and the
    `#` starting each comment when asked)."""
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "#":
            if with_comments:
                yield i, c
            i = _comment_end(text, i)
            continue
        after_word = i > 0 and (text[i - 1].isalnum() or text[i - 1] == "_")
        if c == '"' or (c == "r" and text.startswith('r"', i) and not after_word):
            line_end = text.find("\n", i)
            line_end = n if line_end < 0 else line_end
            if c == "r":
                j = i + 2
                while j < line_end and text[j] != '"':
                    j += 2 if text[j] == "\\" else 1
                i = min(j + 1, line_end)
            else:
                i = min(skip_string(text[:line_end], i), line_end)
            continue
        if c in "()[]{};\n":
            yield i, c
        i += 1


def recover(text: str, err: UnexpectedInput, pos: int) -> str:
    """The text with the error at `pos` neutralised, keeping every other character where it was."""
    tok = getattr(err, "token", None)
    if tok is not None and tok.type == "ELSE":
        # `else` on its own line: read the branch as a plain block statement so what follows still
        # parses in the right place (`else if c` -> `     if c`, `else {` -> `if 1 {`).
        rest = text[pos + 4:].lstrip(" \t")
        filler = "    " if rest.startswith("if") and not rest[2:3].isalnum() else "if 1"
        return text[:pos] + filler + text[pos + 4:]
    return blank_statement(text, pos)


def _unclosed_brace(text: str) -> int | None:
    """Offset of the innermost `{` left open at the end of the text."""
    stack: list[int] = []
    for i, c in _structure(text):
        if c == "{":
            stack.append(i)
        elif c == "}" and stack:
            stack.pop()
    return stack[-1] if stack else None


def blank_statement(text: str, pos: int) -> str:
    """Blank out (keeping newlines, so positions stay put) the statement around `pos`.
    A statement that opens a block is blanked with its whole block."""
    marks = list(_structure(text))
    depth = 0
    start = 0
    for i, c in marks:
        if i >= pos:
            break
        if c in "([":
            depth += 1
        elif c in ")]":
            depth = max(0, depth - 1)
        elif c in "{};" or (c == "\n" and depth == 0):
            start = i + 1
            if c in "{}":
                depth = 0
    end = None
    braces = 0
    depth = 0
    for i, c in marks:
        if i < start:
            continue
        if c in "([":
            depth += 1
        elif c in ")]":
            depth = max(0, depth - 1)
        elif c == "{":
            braces += 1
        elif c == "}":
            if braces == 0:
                end = i + 1 if i <= pos else i
                break
            braces -= 1
            if braces == 0 and i >= pos:
                end = i + 1
                break
        elif c in ";\n" and braces == 0 and depth == 0 and i >= pos:
            end = i
            break
    if end is None:
        end = len(text)
    end = max(end, pos + 1)
    return text[:start] + "".join("\n" if ch == "\n" else " " for ch in text[start:end]) + text[end:]
