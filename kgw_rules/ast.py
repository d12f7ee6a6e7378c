"""The syntax tree of a rules program. Every node carries the span of the source it came from."""
from __future__ import annotations

from dataclasses import dataclass, field

from .diagnostics import Span


@dataclass
class Node:
    span: Span


# ---- expressions -------------------------------------------------------------------------------

@dataclass
class Str(Node):
    parts: list[str | Expr]  # literal text (escapes decoded) and interpolated expressions


@dataclass
class Int(Node):
    value: int


@dataclass
class Bool(Node):
    value: bool


@dataclass
class NoneLit(Node):
    pass


@dataclass
class RegexLit(Node):
    pattern: str
    pattern_col: int  # column of the first pattern character, for carets inside the pattern


@dataclass
class Name(Node):
    id: str


@dataclass
class Call(Node):
    fn: str
    fn_span: Span
    args: list[Expr]


@dataclass
class Not(Node):
    operand: Expr


@dataclass
class BoolOp(Node):
    op: str  # "and" | "or"
    operands: list[Expr]


@dataclass
class Compare(Node):
    op: str  # == != < <= > >=
    left: Expr
    right: Expr


@dataclass
class Match(Node):
    negated: bool
    subject: Expr
    regex: RegexLit


@dataclass
class In(Node):
    subject: Expr
    items: list[Expr]


@dataclass
class Add(Node):
    operands: list[Expr]


Expr = Str | Int | Bool | NoneLit | RegexLit | Name | Call | Not | BoolOp | Compare | Match | In | Add


# ---- statements --------------------------------------------------------------------------------

@dataclass
class Lit(Node):
    """A literal that is not an expression: a header name, query name or JSON path."""

    value: str


@dataclass
class Let(Node):
    name: Lit
    value: Expr


@dataclass
class SetHeader(Node):
    mode: str  # "set" | "add"
    name: Lit
    value: Expr


@dataclass
class RemoveHeader(Node):
    name: Lit


@dataclass
class RenameHeader(Node):
    source: Lit
    target: Lit


@dataclass
class SetQuery(Node):
    name: Lit
    value: Expr


@dataclass
class RemoveQuery(Node):
    name: Lit


@dataclass
class SetLog(Node):
    name: Lit  # as written (case kept): the field's name in access-log formats
    value: Expr


@dataclass
class SetJson(Node):
    path: Lit
    value: Expr


@dataclass
class RemoveJson(Node):
    path: Lit


@dataclass
class SetField(Node):
    field: Lit  # path | method | host | status | body
    value: Expr


@dataclass
class ReplaceBody(Node):
    target: Lit  # must be `body`
    regex: RegexLit
    value: Expr


@dataclass
class Respond(Node):
    status: int
    status_span: Span
    body: Expr | None
    headers: list[tuple[Lit, Expr]]


@dataclass
class Block(Node):
    stmts: list[Stmt]


@dataclass
class If(Node):
    branches: list[tuple[Expr, Block]]
    orelse: Block | None


@dataclass
class Stop(Node):
    pass


Stmt = (Let | SetHeader | RemoveHeader | RenameHeader | SetQuery | RemoveQuery | SetLog | SetJson | RemoveJson
        | SetField | ReplaceBody | Respond | If | Stop)


@dataclass
class ConstDecl(Node):
    name: Lit
    value: Expr


@dataclass
class Phase(Node):
    kind: str  # "request" | "response"
    kind_span: Span
    body: Block


@dataclass
class Program(Node):
    consts: list[ConstDecl] = field(default_factory=list)
    phases: list[Phase] = field(default_factory=list)
