"""Typing of expressions: the half of the checker that computes each expression's type."""
from __future__ import annotations

import difflib
from typing import TYPE_CHECKING

from . import ast as A
from .builtins import FIELDS, FUNCTIONS
from .literals import check_header_name, check_json_path, compile_regex_literal, literal_text
from .runtime.cidr import parse_cidr
from .scope import Scope
from .types import BOOL, ERROR, INT, NONE, REGEX, STRING, Type, join

if TYPE_CHECKING:
    from .checker import Checked
    from .diagnostics import Span


class ExpressionChecker:
    """Mixed into the checker, which provides error/warn, `out`, `phase` and the capture records."""

    out: Checked
    phase: str | None
    bound_captures: dict[str, Span]
    unbound_captures: dict[str, Span]
    regex_nodes: dict[int, A.RegexLit]

    def error(self, span: Span, message: str, hint: str | None = None) -> Type:
        raise NotImplementedError

    def warn(self, span: Span, message: str, hint: str | None = None) -> None:
        raise NotImplementedError

    def uses_body(self) -> None:
        raise NotImplementedError

    def need_bool(self, e: A.Expr, t: Type) -> None:
        raise NotImplementedError

    def expect_text(self, e: A.Expr, scope: Scope, what: str, allow_none: bool = False) -> Type:
        t = self.expr(e, scope)
        if t.base == "none" and not allow_none:
            return self.error(e.span, f"{what} needs a string, found none")
        if t.base in ("string", "error") or (t.base == "none" and allow_none):
            return t
        hint = 'use str(x) or "{x}"' if t.base in ("int", "bool") else None
        return self.error(e.span, f"{what} needs a string, found {t}", hint)

    def expect_int(self, e: A.Expr, scope: Scope, what: str) -> Type:
        t = self.expr(e, scope)
        if t.base == "int" and t.optional:
            return self.error(e.span, "value may be absent", "use default(x, 0)")
        if t.base not in ("int", "error"):
            return self.error(e.span, f"{what} needs an int, found {t}",
                              "use int(x), which is int? (then default(int(x), 0))" if t.base == "string" else None)
        return t

    def expr(self, e: A.Expr, scope: Scope) -> Type:
        t: Type = getattr(self, "expr_" + type(e).__name__)(e, scope)
        self.out.types[id(e)] = t
        return t

    def expr_Str(self, e: A.Str, scope: Scope) -> Type:
        for part in e.parts:
            if not isinstance(part, str):
                t = self.expr(part, scope)
                if t.base == "regex":
                    self.error(part.span, "a regex literal cannot be interpolated")
        return STRING

    def expr_Int(self, e: A.Int, scope: Scope) -> Type:
        return INT

    def expr_Bool(self, e: A.Bool, scope: Scope) -> Type:
        return BOOL

    def expr_NoneLit(self, e: A.NoneLit, scope: Scope) -> Type:
        return NONE

    def expr_RegexLit(self, e: A.RegexLit, scope: Scope) -> Type:
        self.regex(e)
        return self.error(e.span, "a regex literal can only follow `~`/`!~` or be passed to replace()")

    def regex(self, e: A.RegexLit) -> None:
        prog = compile_regex_literal(e, self.error)
        if prog is not None:
            self.out.regexes[id(e)] = prog
            self.regex_nodes[id(e)] = e

    def expr_Name(self, e: A.Name, scope: Scope) -> Type:
        sym = scope.lookup(e.id)
        if sym is not None:
            self.out.names[id(e)] = sym
            return sym.type
        if e.id in FIELDS:
            t, phase = FIELDS[e.id]
            if self.phase is None:
                return self.error(e.span, f"top-level `let` must be a constant; `{e.id}` depends on the request",
                                  "move it into `on request`")
            if phase and phase != self.phase:
                return self.error(e.span, f"`{e.id}` is only available in `on {phase}`")
            if e.id == "body":
                self.uses_body()
            self.out.names[id(e)] = e.id
            return t
        if e.id in FUNCTIONS:
            return self.error(e.span, f"`{e.id}` is a function", f"call it: {e.id}(...)")
        return self.unknown_name(e, scope)

    def unknown_name(self, e: A.Name, scope: Scope) -> Type:
        if e.id in self.unbound_captures:
            return self.error(e.span, f"capture `{e.id}` is not bound here",
                              "captures bind only when the match is the whole condition or a term of an `and` chain")
        if e.id in self.bound_captures:
            line = self.bound_captures[e.id].line
            return self.error(e.span, f"`{e.id}` is a capture of the regex at line {line} and is only visible "
                              "inside that `if` branch")
        close = difflib.get_close_matches(e.id, scope.visible() + list(FIELDS), n=1)
        if close:
            hint = f"did you mean `{close[0]}`?"
        elif "_" in e.id:
            hint = f'did you mean header("{e.id.replace("_", "-")}")?'
        else:
            hint = None
        return self.error(e.span, f"unknown name `{e.id}`", hint)

    def expr_Not(self, e: A.Not, scope: Scope) -> Type:
        self.note_unbound(e.operand)
        self.need_bool(e.operand, self.expr(e.operand, scope))
        return BOOL

    def expr_BoolOp(self, e: A.BoolOp, scope: Scope) -> Type:
        for operand in e.operands:
            if e.op == "or":
                self.note_unbound(operand)
            self.need_bool(operand, self.expr(operand, scope))
        return BOOL

    def note_unbound(self, e: A.Expr) -> None:
        if isinstance(e, A.Match):
            prog = self.out.regexes.get(id(e.regex)) or compile_regex_literal(e.regex, lambda *a: None)
            for name in (prog.group_names[1:] if prog else []):
                if name:
                    self.unbound_captures.setdefault(name, e.regex.span)

    def expr_Compare(self, e: A.Compare, scope: Scope) -> Type:
        lt, rt = self.expr(e.left, scope), self.expr(e.right, scope)
        self.comparable(e, e.left, lt, e.right, rt, ordering=e.op not in ("==", "!="))
        return BOOL

    def comparable(self, e: A.Expr, left: A.Expr, lt: Type, right: A.Expr, rt: Type, ordering: bool) -> None:
        if ERROR in (lt, rt):
            return
        for side, t in ((left, lt), (right, rt)):
            if t.base == "none":
                self.error(side.span, "comparing with `none` is not allowed", "use exists(x)")
                return
            if t.base == "regex":
                return
            if t.base != "string" and t.optional:
                self.error(side.span, "value may be absent", "use default(x, 0)" if t.base == "int" else
                           "use default(x, false)")
                return
        if lt.base != rt.base:
            self.error(e.span, f"cannot compare {lt} with {rt}",
                       'convert one side: str(n) or int(s)' if {lt.base, rt.base} == {"string", "int"} else None)
        elif ordering and lt.base == "bool":
            self.error(e.span, "bools have no order")

    def expr_Match(self, e: A.Match, scope: Scope) -> Type:
        t = self.expr(e.subject, scope)
        if t.base not in ("string", "error"):
            self.error(e.subject.span, f"`~` matches text, found {t}", 'use str(x) or "{x}"')
        self.regex(e.regex)
        return BOOL

    def expr_In(self, e: A.In, scope: Scope) -> Type:
        st = self.expr(e.subject, scope)
        if not e.items:
            self.error(e.span, "`in` needs at least one item")
        for item in e.items:
            self.comparable(item, e.subject, st, item, self.expr(item, scope), ordering=False)
        if len(e.items) > 255:
            self.error(e.span, "`in` takes at most 255 items")
        return BOOL

    def expr_Add(self, e: A.Add, scope: Scope) -> Type:
        types = [self.expr(op, scope) for op in e.operands]
        if ERROR in types:
            return ERROR
        bases = {t.base for t in types}
        if bases == {"int"}:
            for op, t in zip(e.operands, types, strict=True):
                if t.optional:
                    return self.error(op.span, "value may be absent", "use default(x, 0)")
            return INT
        if bases == {"string"}:
            return STRING
        return self.error(e.span, "`+` adds ints or joins strings; found " + " + ".join(map(str, types)),
                          'use str(n) or "{a}{b}"')

    def expr_Call(self, e: A.Call, scope: Scope) -> Type:
        fn = FUNCTIONS.get(e.fn)
        if fn is None:
            close = difflib.get_close_matches(e.fn, list(FUNCTIONS), n=1)
            for a in e.args:
                self.expr(a, scope)
            return self.error(e.fn_span, f"unknown function `{e.fn}`", f"did you mean `{close[0]}`?" if close else None)
        n = len(e.args)
        if not fn.optional_from <= n <= len(fn.params):
            for a in e.args:
                self.expr(a, scope)
            return self.error(e.span, f"`{e.fn}` takes {fn.arity_text()}, found {n}")
        if fn.reads and self.phase is None:
            what = {"env": "the filter's environment", "random": "a random draw per request",
                    "identity": "the request's verified identity"}.get(
                fn.reads, "the request")
            return self.error(e.span, f"top-level `let` must be a constant; `{e.fn}()` depends on {what}",
                              "move it into `on request`")
        types: list[Type] = []
        for kind, arg in zip(fn.params, e.args, strict=False):
            types.append(self.argument(e, kind, arg, scope))
        if fn.reads == "json":
            self.uses_body()
        if e.fn == "default":
            return self.default_type(e, types)
        if e.fn == "exists" and types[0].base not in ("error", "none") and not types[0].optional:
            self.warn(e.span, f"exists() of a value that is never absent ({types[0]}) is always true")
        if e.fn == "str" and types[0].base in ("int", "bool") and types[0].optional:
            return self.error(e.args[0].span, "value may be absent", "use default(x, 0)")
        assert fn.result is not None  # only default() computes its type, above
        return fn.result

    def default_type(self, e: A.Call, types: list[Type]) -> Type:
        a, b = types
        if ERROR in types:
            return ERROR
        if a.base == "regex" or b.base == "regex":
            return ERROR
        joined = join(a.required() if a.base != "none" else a, b)
        if joined is None:
            return self.error(e.span, f"default() needs two values of one type, found {a} and {b}")
        return joined if b.optional or b.base == "none" else joined.required()

    def argument(self, call: A.Call, kind: str, arg: A.Expr, scope: Scope) -> Type:
        if kind == "lit":
            text = literal_text(arg)
            if text is None:
                self.expr(arg, scope)
                what = {"json": "JSON paths", "jwt_claim": "JSON paths", "in_cidr": "ranges"}.get(call.fn, "names")
                hint = 'write in_cidr(ip, "10.0.0.0/8")' if call.fn == "in_cidr" else f'write {call.fn}("...")'
                return self.error(arg.span, f"{call.fn}() takes a literal: {what} are literals without interpolation",
                                  hint)
            if call.fn in ("header", "header_all", "request_header"):
                check_header_name(A.Lit(arg.span, text.lower()), self.error, write=False)
            elif call.fn in ("json", "jwt_claim"):
                check_json_path(A.Lit(arg.span, text), self.error)
            elif call.fn == "in_cidr" and parse_cidr(text.encode()) is None:
                self.error(arg.span, f"{text!r} is not an IP address or CIDR range",
                           'write "10.0.0.0/8", "2001:db8::/32" or one address')
            elif call.fn == "env" and ("=" in text or "\0" in text):  # environ entries are NAME=value
                self.error(arg.span, "an environment variable name cannot contain `=` or NUL")
            elif not text:
                self.error(arg.span, f"{call.fn}() needs a non-empty name")
            self.out.types[id(arg)] = STRING
            return STRING
        if kind == "re":
            if not isinstance(arg, A.RegexLit):
                self.expr(arg, scope)
                return self.error(arg.span, f"{call.fn}() takes a regex literal here", 'write r"..."')
            self.regex(arg)
            self.out.types[id(arg)] = REGEX
            return REGEX
        if kind == "s":
            return self.expect_text(arg, scope, f"argument of {call.fn}()")
        if kind == "i":
            return self.expect_int(arg, scope, f"argument of {call.fn}()")
        t = self.expr(arg, scope)
        if t.base == "regex":
            return self.error(arg.span, f"a regex literal cannot be passed to {call.fn}()")
        return t
