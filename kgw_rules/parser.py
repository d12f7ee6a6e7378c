"""Source text -> syntax tree, with every syntax error of a file reported at once."""
from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from importlib import resources
from typing import Any, cast

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError
from lark.tree import Meta, Tree

from . import ast as A
from .builtins import KEYWORDS as _KEYWORDS
from .diagnostics import Diagnostic, Span
from .recovery import describe_syntax_error, recover
from .strings import decode_string

MAX_SYNTAX_ERRORS = 20


class _NewlinesInBrackets:
    """Post-lexer: newlines inside ( ) and [ ] are insignificant."""

    always_accept = ("_NL",)

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        depth = 0
        for tok in stream:
            if tok.type in ("LPAR", "LSQB"):
                depth += 1
            elif tok.type in ("RPAR", "RSQB"):
                depth = max(0, depth - 1)
            if tok.type == "_NL" and depth:
                continue
            yield tok


@functools.cache
def grammar_text() -> str:
    return resources.files("kgw_rules.grammar").joinpath("rules.lark").read_text(encoding="utf-8")


@functools.cache
def _lark() -> Lark:
    return Lark(grammar_text(), parser="lalr", lexer="contextual", postlex=_NewlinesInBrackets(),
                propagate_positions=True, maybe_placeholders=False, start=["start", "expr"])


def _tok_span(tok: Token) -> Span:
    # the contextual lexer with propagate_positions sets every position
    assert tok.line is not None and tok.column is not None and tok.end_line is not None and tok.end_column is not None
    return Span(tok.line, tok.column, tok.end_line, tok.end_column)


@v_args(meta=True)
class _Builder(Transformer[Token, Any]):
    """Lark tree -> kgw_rules.ast, shifting spans when the text is an interpolation inside a string."""

    def __init__(self, diags: list[Diagnostic], base: tuple[int, int] | None = None):
        super().__init__()
        self.diags = diags
        self.base = base

    def _span(self, s: Span) -> Span:
        return s.shifted(*self.base) if self.base else s

    def _meta(self, meta: Meta) -> Span:
        return self._span(Span(meta.line, meta.column, meta.end_line, meta.end_column))

    def _tok(self, tok: Token) -> Span:
        return self._span(_tok_span(tok))

    def _lit(self, tok: Token) -> A.Lit:
        return A.Lit(self._tok(tok), str(tok))

    def _literal_string(self, tok: Token, what: str) -> A.Lit:
        node = self.string(None, [tok])
        if any(not isinstance(p, str) for p in node.parts):
            self.diags.append(Diagnostic("error", node.span, f"{what} are literals without interpolation",
                                         "write {{ and }} for literal braces"))
        return A.Lit(node.span, "".join(p for p in node.parts if isinstance(p, str)))

    # ---- program structure
    def start(self, meta: Meta, items: list[Any]) -> A.Program:
        span = self._meta(meta) if not meta.empty else Span(1, 1, 1, 1)
        return A.Program(span, [i for i in items if isinstance(i, A.ConstDecl)],
                         [i for i in items if isinstance(i, A.Phase)])

    def const_decl(self, meta: Meta, c: list[Any]) -> A.ConstDecl:
        return A.ConstDecl(self._meta(meta), self._lit(c[0]), c[1])

    def phase(self, meta: Meta, c: list[Any]) -> A.Phase:
        return A.Phase(self._meta(meta), str(c[0]), self._tok(c[0]), c[1])

    def block(self, meta: Meta, stmts: list[Any]) -> A.Block:
        return A.Block(self._meta(meta), stmts)

    # ---- statements
    def let_stmt(self, meta: Meta, c: list[Any]) -> A.Let:
        return A.Let(self._meta(meta), self._lit(c[0]), c[1])

    def header_name(self, meta: Meta, c: list[Any]) -> A.Lit:
        tok = c[0]
        if tok.type == "STRING":
            lit = self._literal_string(tok, "header names")
            return A.Lit(lit.span, lit.value.lower())
        return A.Lit(self._tok(tok), str(tok).lower())

    def set_header(self, meta: Meta, c: list[Any]) -> A.SetHeader:
        return A.SetHeader(self._meta(meta), "set", c[0], c[1])

    def add_header(self, meta: Meta, c: list[Any]) -> A.SetHeader:
        return A.SetHeader(self._meta(meta), "add", c[0], c[1])

    def remove_header(self, meta: Meta, c: list[Any]) -> A.RemoveHeader:
        return A.RemoveHeader(self._meta(meta), c[0])

    def rename_header(self, meta: Meta, c: list[Any]) -> A.RenameHeader:
        return A.RenameHeader(self._meta(meta), c[0], c[1])

    def set_query(self, meta: Meta, c: list[Any]) -> A.SetQuery:
        return A.SetQuery(self._meta(meta), self._literal_string(c[0], "query names"), c[1])

    def remove_query(self, meta: Meta, c: list[Any]) -> A.RemoveQuery:
        return A.RemoveQuery(self._meta(meta), self._literal_string(c[0], "query names"))

    def set_log(self, meta: Meta, c: list[Any]) -> A.SetLog:
        return A.SetLog(self._meta(meta), c[0], c[1])

    def log_name(self, meta: Meta, c: list[Any]) -> A.Lit:
        tok = c[0]
        if tok.type == "STRING":
            return self._literal_string(tok, "log field names")
        return A.Lit(self._tok(tok), str(tok))

    def set_json(self, meta: Meta, c: list[Any]) -> A.SetJson:
        return A.SetJson(self._meta(meta), self._literal_string(c[0], "JSON paths"), c[1])

    def remove_json(self, meta: Meta, c: list[Any]) -> A.RemoveJson:
        return A.RemoveJson(self._meta(meta), self._literal_string(c[0], "JSON paths"))

    def set_field(self, meta: Meta, c: list[Any]) -> A.SetField:
        return A.SetField(self._meta(meta), self._lit(c[0]), c[1])

    def replace_body(self, meta: Meta, c: list[Any]) -> A.ReplaceBody:
        return A.ReplaceBody(self._meta(meta), self._lit(c[0]), self.regex(None, [c[1]]), c[2])

    def respond(self, meta: Meta, c: list[Any]) -> A.Respond:
        status_tok, rest = c[0], list(c[1:])
        headers = rest.pop() if rest and isinstance(rest[-1], list) else []
        body = rest[0] if rest else None
        return A.Respond(self._meta(meta), int(status_tok), self._tok(status_tok), body, headers)

    def respond_headers(self, meta: Meta, c: list[Any]) -> Any:
        return list(c)

    def respond_header(self, meta: Meta, c: list[Any]) -> Any:
        return (c[0], c[1])

    def if_stmt(self, meta: Meta, c: list[Any]) -> A.If:
        branches = [(c[0], c[1])]
        orelse = None
        for clause in c[2:]:
            if isinstance(clause, A.Block):
                orelse = clause
            else:
                branches.append(clause)
        return A.If(self._meta(meta), branches, orelse)

    def elif_clause(self, meta: Meta, c: list[Any]) -> Any:
        return (c[0], c[1])

    def else_clause(self, meta: Meta, c: list[Any]) -> Any:
        return c[0]

    def stop_stmt(self, meta: Meta, c: list[Any]) -> A.Stop:
        return A.Stop(self._meta(meta))

    # ---- expressions
    def or_expr(self, meta: Meta, c: list[Any]) -> A.BoolOp:
        return A.BoolOp(self._meta(meta), "or", list(c))

    def and_expr(self, meta: Meta, c: list[Any]) -> A.BoolOp:
        return A.BoolOp(self._meta(meta), "and", list(c))

    def not_op(self, meta: Meta, c: list[Any]) -> A.Not:
        return A.Not(self._meta(meta), c[0])

    def cmp_op(self, meta: Meta, c: list[Any]) -> A.Compare:
        return A.Compare(self._meta(meta), str(c[1]), c[0], c[2])

    def match_op(self, meta: Meta, c: list[Any]) -> A.Match:
        return A.Match(self._meta(meta), str(c[1]) == "!~", c[0], self.regex(None, [c[2]]))

    def in_op(self, meta: Meta, c: list[Any]) -> A.In:
        return A.In(self._meta(meta), c[0], list(c[1:]))

    def sum(self, meta: Meta, c: list[Any]) -> A.Add:
        return A.Add(self._meta(meta), list(c))

    def call(self, meta: Meta, c: list[Any]) -> A.Call:
        callee = c[0]
        return A.Call(self._meta(meta), callee[1], callee[0], list(c[1:]))

    def callee(self, meta: Meta, c: list[Any]) -> Any:
        return (self._tok(c[0]), str(c[0]))

    def string(self, meta: Meta | None, c: list[Any]) -> A.Str:
        tok = c[0]
        span = self._tok(tok)
        parts = decode_string(str(tok), span.line, span.col, self.diags, self._parse_interpolation)
        return A.Str(span, cast(list[str | A.Expr], parts))  # interpolations parse to expressions

    def _parse_interpolation(self, text: str, line: int, col: int) -> A.Expr | None:
        return parse_expression(text, self.diags, (line, col))

    def regex(self, meta: Meta | None, c: list[Any]) -> A.RegexLit:
        tok = c[0]
        span = self._tok(tok)
        return A.RegexLit(span, str(tok)[2:-1], span.col + 2)

    def int(self, meta: Meta, c: list[Any]) -> A.Int:
        value = int(c[0])
        span = self._tok(c[0])
        if not -(2**63) <= value < 2**63:
            self.diags.append(Diagnostic("error", span, "integer literal does not fit in 64 bits"))
            value = 0
        return A.Int(span, value)

    def true(self, meta: Meta, c: list[Any]) -> A.Bool:
        return A.Bool(self._meta(meta), True)

    def false(self, meta: Meta, c: list[Any]) -> A.Bool:
        return A.Bool(self._meta(meta), False)

    def none(self, meta: Meta, c: list[Any]) -> A.NoneLit:
        return A.NoneLit(self._meta(meta))

    def name(self, meta: Meta, c: list[Any]) -> A.Name:
        return A.Name(self._tok(c[0]), str(c[0]))


_IDENTIFIER = re.compile(r"[ \t]*([a-z_][a-z0-9_]*)[ \t]*\Z")


def parse_expression(text: str, diags: list[Diagnostic], base: tuple[int, int]) -> A.Expr | None:
    """Parse one interpolated expression; syntax errors become diagnostics at file positions."""
    plain = _IDENTIFIER.match(text)
    if plain and plain.group(1) not in _KEYWORDS:  # `{name}`, the common case, needs no parser run
        return A.Name(Span(base[0], base[1] + plain.start(1), base[0], base[1] + plain.end(1)), plain.group(1))
    try:
        tree = _lark().parse(text, start="expr")
    except UnexpectedInput as err:
        d = describe_syntax_error(err, text)
        diags.append(Diagnostic("error", d.span.shifted(*base), d.message, d.hint))
        return None
    expr: A.Expr = _transform(tree, diags, base)
    return expr


def _transform(tree: Tree[Token], diags: list[Diagnostic], base: tuple[int, int] | None = None) -> Any:
    try:
        return _Builder(diags, base).transform(tree)
    except VisitError as err:  # an exception inside a builder method is a bug, not a user error
        raise err.orig_exc from err


def parse(source: str) -> tuple[A.Program | None, list[Diagnostic]]:
    """Parse a whole file. On syntax errors, skip the offending statement and go on, so one run
    reports them all; the returned program is then None (errors downstream would only echo them)."""
    diags: list[Diagnostic] = []
    syntax: list[Diagnostic] = []
    text = source
    seen: set[tuple[int, int]] = set()
    while True:
        try:
            tree = _lark().parse(text, start="start")
            break
        except UnexpectedInput as err:
            d = describe_syntax_error(err, text)
            where = (d.span.line, d.span.col)
            # An error at the end of input after an earlier error is almost always its echo.
            if where in seen or (syntax and isinstance(err, UnexpectedEOF | UnexpectedToken)
                                 and getattr(err, "token", None) is not None
                                 and getattr(err.token, "type", "") == "$END"):
                break
            seen.add(where)
            syntax.append(d)
            if len(syntax) >= MAX_SYNTAX_ERRORS:
                break
            text = recover(text, err, _pos_of(err, text))
    if syntax:
        return None, syntax
    program: A.Program = _transform(tree, diags)
    return program, diags


def _pos_of(err: UnexpectedInput, text: str) -> int:
    if isinstance(err, UnexpectedCharacters) and err.pos_in_stream is not None:
        return err.pos_in_stream
    tok = getattr(err, "token", None)
    start = getattr(tok, "start_pos", None)
    return start if isinstance(start, int) else len(text)
