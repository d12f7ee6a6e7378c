"""What an editor asks about a rules file: diagnostics, hover text, completions, definitions. Pure functions
over the source; kgw_rules.lsp serves them over the Language Server Protocol. Positions are 1-based lines
and 1-based columns counted in characters, as in every kgw diagnostic.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from . import ast as A
from .api import compile_with_diagnostics
from .builtin_docs import FIELD_DOCS, FUNCTION_DOCS
from .builtins import KEYWORDS
from .checker import Checked, check
from .diagnostics import Diagnostic, Span
from .parser import parse
from .scope import Symbol


@dataclass
class Analysis:
    source: str
    diagnostics: list[Diagnostic]
    program: A.Program | None  # None when the file does not parse
    checked: Checked | None


@dataclass(frozen=True)
class Completion:
    label: str
    kind: str  # "function" | "field" | "keyword" | "variable"
    detail: str
    documentation: str = ""


def analyse(source: str, filename: str = "<editor>") -> Analysis:
    _, diagnostics = compile_with_diagnostics(source, filename)
    program, _ = parse(source)
    checked = check(program)[0] if program is not None else None
    return Analysis(source, diagnostics, program, checked)


def _contains(span: Span, line: int, col: int) -> bool:
    return (span.line, span.col) <= (line, col) < (span.end_line, span.end_col)


def _children(e: A.Expr) -> list[A.Expr]:
    if isinstance(e, A.Str):
        return [p for p in e.parts if not isinstance(p, str)]
    if isinstance(e, A.Call):
        return e.args
    if isinstance(e, A.Not):
        return [e.operand]
    if isinstance(e, A.BoolOp | A.Add):
        return e.operands
    if isinstance(e, A.Compare):
        return [e.left, e.right]
    if isinstance(e, A.Match):
        return [e.subject, e.regex]
    if isinstance(e, A.In):
        return [e.subject, *e.items]
    return []


def _statement_expressions(stmts: list[A.Stmt]) -> Iterator[A.Expr]:
    for s in stmts:
        if isinstance(s, A.If):
            for cond, body in s.branches:
                yield cond
                yield from _statement_expressions(body.stmts)
            if s.orelse is not None:
                yield from _statement_expressions(s.orelse.stmts)
        elif isinstance(s, A.Respond):
            yield from ([s.body] if s.body is not None else []) + [v for _, v in s.headers]
        elif isinstance(s, A.Let | A.SetHeader | A.SetQuery | A.SetLog | A.SetJson | A.SetField | A.ReplaceBody):
            yield s.value


def expressions(program: A.Program) -> Iterator[A.Expr]:
    """Every expression node of the program, outer ones before the ones inside them."""
    roots = [c.value for c in program.consts]
    for phase in program.phases:
        roots += list(_statement_expressions(phase.body.stmts))
    stack = list(reversed(roots))
    while stack:
        e = stack.pop()
        yield e
        stack.extend(reversed(_children(e)))


def _innermost(a: Analysis, line: int, col: int) -> A.Expr | None:
    found = None
    for e in expressions(a.program) if a.program is not None else []:
        span = e.fn_span if isinstance(e, A.Call) and _contains(e.fn_span, line, col) else e.span
        if _contains(span, line, col) and (isinstance(e, A.Name) or isinstance(e, A.Call) and span is e.fn_span):
            found = e
    return found


def _markdown(signature: str, text: str) -> str:
    return f"```kgw\n{signature}\n```\n\n{text}"


_WORD = re.compile(r"[a-z_][a-z0-9_]*")


def _word_at(source: str, line: int, col: int) -> tuple[str, Span] | None:
    lines = source.split("\n")
    if not 0 < line <= len(lines):
        return None
    for m in _WORD.finditer(lines[line - 1]):
        if m.start() < col <= m.end():
            return m.group(), Span(line, m.start() + 1, line, m.end() + 1)
    return None


def hover(a: Analysis, line: int, col: int) -> tuple[str, Span] | None:
    """Markdown for the built-in function, field or variable under the cursor, and the span it covers."""
    node = _innermost(a, line, col)
    if isinstance(node, A.Call) and node.fn in FUNCTION_DOCS:
        return _markdown(*FUNCTION_DOCS[node.fn]), node.fn_span
    if isinstance(node, A.Name):
        target = a.checked.names.get(id(node)) if a.checked is not None else None
        if isinstance(target, Symbol):
            return _symbol_text(target), node.span
        if node.id in FIELD_DOCS:
            return _markdown(*FIELD_DOCS[node.id]), node.span
    word = _word_at(a.source, line, col)  # the file may not parse while it is being typed
    if word is not None:
        rest = a.source.split("\n")[line - 1][word[1].end_col - 1:].lstrip()
        if word[0] in FUNCTION_DOCS and rest.startswith("("):
            return _markdown(*FUNCTION_DOCS[word[0]]), word[1]
        if word[0] in FIELD_DOCS and not rest.startswith("("):
            return _markdown(*FIELD_DOCS[word[0]]), word[1]
    return None


def _symbol_text(sym: Symbol) -> str:
    what = {"var": "variable", "const": "constant", "capture": "capture"}[sym.kind]
    extra = {"capture": "A named group of the regex matched in this branch's condition: absent when the group "
                        "did not take part in the match.",
             "const": "A top-level `let`: computed at compile time."}.get(sym.kind, "")
    if sym.kind == "var" and sym.phase == "request":
        extra = "A request-phase variable: in `on response` it may be absent (its `let` may not have run)."
    return _markdown(f"{what} {sym.name}: {sym.type}", f"Declared at line {sym.span.line}. {extra}".strip())


def definition(a: Analysis, line: int, col: int) -> Span | None:
    """Where the variable, constant or capture under the cursor is declared; for a capture, the name inside
    its `(?P<name>...)` group."""
    node = _innermost(a, line, col)
    if not isinstance(node, A.Name) or a.checked is None:
        return None
    sym = a.checked.names.get(id(node))
    if not isinstance(sym, Symbol):
        return None
    if sym.kind == "capture":
        text = a.source.split("\n")[sym.span.line - 1]
        at = text.find(f"(?P<{sym.name}>", sym.span.col - 1, sym.span.end_col - 1)
        if at >= 0:
            start = at + 4 + 1
            return Span(sym.span.line, start, sym.span.line, start + len(sym.name))
    return sym.span


_STATEMENT_KEYWORDS = ["let", "set", "add", "remove", "rename", "replace", "respond", "if", "else", "stop", "on",
                       "header", "query", "json", "log", "request", "response", "and", "or", "not", "in", "with", "to",
                       "true", "false", "none"]
assert set(_STATEMENT_KEYWORDS) == set(KEYWORDS)


def completions(a: Analysis) -> list[Completion]:
    """Functions, fields, keywords, and the names the file declares (variables, constants, captures)."""
    items = [Completion(name, "function", sig, text) for name, (sig, text) in sorted(FUNCTION_DOCS.items())]
    items += [Completion(name, "field", sig, text) for name, (sig, text) in sorted(FIELD_DOCS.items())]
    items += [Completion(k, "keyword", "keyword") for k in _STATEMENT_KEYWORDS if k not in FUNCTION_DOCS]
    if a.checked is not None:
        symbols = {s.name: s for s in a.checked.lets.values()}
        for group in a.checked.captures.values():
            symbols.update({s.name: s for s in group if s is not None})
        items += [Completion(n, "variable", f"{s.kind} {n}: {s.type}") for n, s in sorted(symbols.items())]
    return items
