"""Names, types, phases, arity and capture scope: everything that can be wrong with a parsed program."""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from . import ast as A
from .builtins import RESERVED, SETTABLE
from .check_expr import ExpressionChecker
from .diagnostics import Diagnostic, Span
from .literals import check_header_name, check_json_path, check_log_name
from .scope import Scope, Symbol
from .types import BOOL, ERROR, INT, STRING, Type
from .wire.limits import MAX_REGEXES, MAX_VARIABLES
from .wire.regex import RegexProgram, encode_regex

MAX_NESTING = 32  # blocks inside blocks: a compiler limit (docs/language.md), not a format one

_IDENT = re.compile(r"[a-z_][a-z0-9_]*\Z")


@dataclass
class Checked:
    """A program that passed the checker, with what the compiler needs to know about each node."""

    program: A.Program
    types: dict[int, Type] = field(default_factory=dict)  # id(expr) -> type
    names: dict[int, Symbol | str] = field(default_factory=dict)  # id(Name) -> symbol, or a field name
    lets: dict[int, Symbol] = field(default_factory=dict)  # id(Let | ConstDecl) -> symbol
    captures: dict[int, list[Symbol | None]] = field(default_factory=dict)  # id(Match) -> group 1..n
    regexes: dict[int, RegexProgram] = field(default_factory=dict)  # id(RegexLit) -> program
    consts: list[tuple[A.ConstDecl, Symbol]] = field(default_factory=list)
    body_phases: set[str] = field(default_factory=set)  # phases that read or write the body
    nvars: int = 0


class _Checker(ExpressionChecker):
    def __init__(self, program: A.Program):
        self.out = Checked(program)
        self.diags: list[Diagnostic] = []
        self.phase: str | None = None  # None while checking top-level constants
        self.request_exports: dict[str, Symbol] = {}
        self.bound_captures: dict[str, Span] = {}  # every capture bound so far, for messages
        self.unbound_captures: dict[str, Span] = {}  # named groups under or/not
        self.regex_nodes: dict[int, A.RegexLit] = {}  # id -> literal, for carets on program-wide limits

    # ---- reporting
    def error(self, span: Span, message: str, hint: str | None = None) -> Type:
        self.diags.append(Diagnostic("error", span, message, hint))
        return ERROR

    def warn(self, span: Span, message: str, hint: str | None = None) -> None:
        self.diags.append(Diagnostic("warning", span, message, hint))

    def new_slot(self, span: Span) -> int:
        slot = self.out.nvars
        self.out.nvars += 1
        if slot == MAX_VARIABLES:
            self.error(span, f"too many variables and captures; the limit is {MAX_VARIABLES}")
        return slot

    # ---- program
    def run(self) -> Checked:
        program = self.out.program
        top = Scope()
        for decl in program.consts:
            self.declare_const(decl, top)
        seen: dict[str, A.Phase] = {}
        for phase in program.phases:
            if phase.kind not in ("request", "response"):
                close = difflib.get_close_matches(phase.kind, ["request", "response"], n=1)
                self.error(phase.kind_span, f"unknown phase `{phase.kind}`",
                           f"did you mean `on {close[0]}`?" if close else "write `on request` or `on response`")
            elif phase.kind in seen:
                self.error(phase.kind_span, f"`on {phase.kind}` appears twice",
                           f"merge it with the one at line {seen[phase.kind].span.line}")
            else:
                seen[phase.kind] = phase
        if "request" in seen:
            self.check_phase(seen["request"], top)
        if "response" in seen:
            exports = top.child()
            for name, sym in self.request_exports.items():
                exports.names[name] = Symbol("var", name, sym.type.opt(), sym.span, sym.slot, "request")
            self.check_phase(seen["response"], exports)
        distinct: set[bytes] = set()  # the compiler shares one matcher program between equal regexes
        for key, prog in self.out.regexes.items():
            blob = encode_regex(prog)
            if blob not in distinct and len(distinct) == MAX_REGEXES:
                self.error(self.regex_nodes[key].span, f"too many regexes; the limit is {MAX_REGEXES} per program")
                break
            distinct.add(blob)
        return self.out

    def declare_const(self, decl: A.ConstDecl, top: Scope) -> None:
        t = self.expr(decl.value, top)
        if t.base == "none":
            t = self.error(decl.value.span, "a constant cannot be `none`")
        if self.check_new_name(decl.name, top):
            sym = Symbol("const", decl.name.value, t, decl.name.span)
            top.names[decl.name.value] = sym
            self.out.lets[id(decl)] = sym
            self.out.consts.append((decl, sym))

    def check_new_name(self, name: A.Lit, scope: Scope, kind: str = "variable") -> bool:
        if name.value in RESERVED:
            self.error(name.span, f"`{name.value}` is a built-in name and cannot be a {kind}",
                       "choose another name")
            return False
        if name.value in scope.names:
            prev = scope.names[name.value]
            self.error(name.span, f"`{name.value}` is already declared in this scope (line {prev.span.line})",
                       "choose another name")
            return False
        shadowed = scope.lookup(name.value)
        if shadowed is not None and shadowed.kind == "capture":
            self.error(name.span, f"`{name.value}` would shadow the capture from line {shadowed.span.line}",
                       "choose another name")
            return False
        return True

    def check_phase(self, phase: A.Phase, parent: Scope) -> None:
        self.phase = phase.kind
        scope = parent.child()
        self.block(phase.body, scope, depth=0)
        if phase.kind == "request":
            self.request_exports = dict(scope.names)

    # ---- statements
    def block(self, block: A.Block, scope: Scope, depth: int) -> bool:
        """Check a block; True when it always ends the phase (stop or respond on every path)."""
        ended = False
        for stmt in block.stmts:
            if ended:
                self.warn(stmt.span, "unreachable statement", "an earlier `stop` or `respond` always ends the phase")
                ended = False  # warn once per run of dead statements
            ended = self.stmt(stmt, scope, depth) or ended
        return ended

    def stmt(self, s: A.Stmt, scope: Scope, depth: int) -> bool:
        method = getattr(self, "stmt_" + type(s).__name__)
        return bool(method(s, scope, depth))

    def stmt_Let(self, s: A.Let, scope: Scope, depth: int) -> None:
        t = self.expr(s.value, scope)
        if t.base == "none":
            t = self.error(s.value.span, "a variable cannot start as `none`: its type would be unknown",
                           'give it a value, e.g. default(header("x"), "")')
        elif t.base == "regex":
            t = ERROR
        if self.check_new_name(s.name, scope):
            sym = Symbol("var", s.name.value, t, s.name.span, self.new_slot(s.name.span), self.phase)
            scope.names[s.name.value] = sym
            self.out.lets[id(s)] = sym

    def stmt_SetHeader(self, s: A.SetHeader, scope: Scope, depth: int) -> None:
        check_header_name(s.name, self.error)
        self.expect_text(s.value, scope, f"`{s.mode} header`", allow_none=True)

    def stmt_RemoveHeader(self, s: A.RemoveHeader, scope: Scope, depth: int) -> None:
        check_header_name(s.name, self.error)

    def stmt_RenameHeader(self, s: A.RenameHeader, scope: Scope, depth: int) -> None:
        check_header_name(s.source, self.error)
        check_header_name(s.target, self.error)

    def stmt_SetQuery(self, s: A.SetQuery, scope: Scope, depth: int) -> None:
        self.need_phase("request", s.span, "`set query`")
        self.check_query_name(s.name)
        self.expect_text(s.value, scope, "`set query`", allow_none=True)

    def stmt_RemoveQuery(self, s: A.RemoveQuery, scope: Scope, depth: int) -> None:
        self.need_phase("request", s.span, "`remove query`")
        self.check_query_name(s.name)

    def check_query_name(self, name: A.Lit) -> None:
        if not name.value:
            self.error(name.span, "a query parameter name cannot be empty")

    def stmt_SetLog(self, s: A.SetLog, scope: Scope, depth: int) -> None:
        check_log_name(s.name, self.error)
        self.expect_text(s.value, scope, "`set log`", allow_none=True)

    def stmt_SetJson(self, s: A.SetJson, scope: Scope, depth: int) -> None:
        check_json_path(s.path, self.error)
        self.uses_body()
        t = self.expr(s.value, scope)
        if t.base == "regex":
            self.error(s.value.span, "a regex literal cannot be written to JSON")

    def stmt_RemoveJson(self, s: A.RemoveJson, scope: Scope, depth: int) -> None:
        check_json_path(s.path, self.error)
        self.uses_body()

    def stmt_SetField(self, s: A.SetField, scope: Scope, depth: int) -> None:
        name = s.field.value
        if name not in SETTABLE:
            hint = "settable: " + ", ".join(SETTABLE)
            if name in ("header", "query", "json"):
                hint = f"write `set {name} NAME = value`"
            self.error(s.field.span, f"cannot set `{name}`", hint)
            self.expr(s.value, scope)
            return
        want, phase = SETTABLE[name]
        if phase:
            self.need_phase(phase, s.span, f"`set {name}`")
        if name == "body":
            self.uses_body()
            if self.phase == "request":
                self.warn(s.span, "`set body` is skipped for requests that have no body",
                          "proxy-wasm cannot add a body to a request sent without one")
        if want == INT:
            self.expect_int(s.value, scope, f"`set {name}`")
        else:
            self.expect_text(s.value, scope, f"`set {name}`")

    def stmt_ReplaceBody(self, s: A.ReplaceBody, scope: Scope, depth: int) -> None:
        if s.target.value != "body":
            self.error(s.target.span, f"expected `body` after `replace`, found `{s.target.value}`",
                       "to replace inside a value, call replace(s, r\"...\", \"with\")")
        self.regex(s.regex)
        self.uses_body()
        self.expect_text(s.value, scope, "`replace body ... with`")

    def stmt_Respond(self, s: A.Respond, scope: Scope, depth: int) -> bool:
        if not 200 <= s.status <= 599:
            self.error(s.status_span, f"status {s.status} is out of range", "a local response status is 200-599")
        if s.body is not None:
            self.expect_text(s.body, scope, "the response body")
        seen: dict[str, Span] = {}
        for name, value in s.headers:
            check_header_name(name, self.error)
            self.expect_text(value, scope, f"header `{name.value}`", allow_none=True)
            seen.setdefault(name.value, name.span)
        return True

    def stmt_Stop(self, s: A.Stop, scope: Scope, depth: int) -> bool:
        return True

    def stmt_If(self, s: A.If, scope: Scope, depth: int) -> bool:
        if depth == MAX_NESTING:  # report the first block too deep, not every one inside it
            self.error(s.span, f"blocks nest deeper than {MAX_NESTING} levels; the limit is {MAX_NESTING}")
        all_end = True
        for cond, body in s.branches:
            branch = scope.child()
            self.condition(cond, branch)
            all_end = self.block(body, branch.child(), depth + 1) and all_end
        if s.orelse is None:
            return False
        return self.block(s.orelse, scope.child(), depth + 1) and all_end

    # ---- conditions and captures
    def condition(self, cond: A.Expr, scope: Scope) -> None:
        """A branch condition: bool, and named groups of a match that is the whole condition or a
        term of its `and` chain become variables of the branch."""
        terms = cond.operands if isinstance(cond, A.BoolOp) and cond.op == "and" else [cond]
        for term in terms:
            t = self.expr(term, scope)
            self.need_bool(term, t)
            if isinstance(term, A.Match) and not term.negated:
                self.bind_captures(term, scope)
        if len(terms) > 1:
            self.out.types[id(cond)] = BOOL

    def bind_captures(self, m: A.Match, scope: Scope) -> None:
        """Groups 1..n get consecutive slots (MATCH_CAP stores them all); named ones become variables."""
        prog = self.out.regexes.get(id(m.regex))
        if prog is None or not any(prog.group_names[1:]):
            return
        base = self.out.nvars
        for _ in range(prog.ngroups):
            self.new_slot(m.regex.span)
        symbols: list[Symbol | None] = []
        for index, name in enumerate(prog.group_names[1:]):
            symbols.append(None)
            if name is None:
                continue
            span = m.regex.span
            if not _IDENT.match(name):
                self.error(span, f"capture name `{name}` is not a valid name", "use [a-z_][a-z0-9_]*")
            elif name in RESERVED:
                self.error(span, f"capture `{name}` is a built-in name", "rename the group")
            elif (outer := scope.lookup(name)) is not None:
                self.error(span, f"capture `{name}` would shadow `{name}` from line {outer.span.line}",
                           "rename the group")
            else:
                sym = Symbol("capture", name, STRING.opt(), span, base + index, self.phase)
                scope.names[name] = sym
                self.bound_captures[name] = span
                symbols[-1] = sym
        self.out.captures[id(m)] = symbols

    def need_bool(self, e: A.Expr, t: Type) -> None:
        if t.base in ("error", "bool") and not (t.base == "bool" and t.optional):
            return
        if t.base == "bool":
            self.error(e.span, "condition may be absent", "use default(x, false)")
        elif t.optional:
            self.error(e.span, f"a condition must be bool, found {t}: there is no truthiness", "use exists(x)")
        elif t.base == "string":
            self.error(e.span, "a condition must be bool, found string: there is no truthiness",
                       'compare it, e.g. x != ""')
        else:
            self.error(e.span, f"a condition must be bool, found {t}")

    def need_phase(self, phase: str, span: Span, what: str) -> None:
        if self.phase is not None and self.phase != phase:
            self.error(span, f"{what} is only allowed in `on {phase}`")

    def uses_body(self) -> None:
        if self.phase:
            self.out.body_phases.add(self.phase)


def check(program: A.Program) -> tuple[Checked, list[Diagnostic]]:
    checker = _Checker(program)
    checked = checker.run()
    return checked, checker.diags
