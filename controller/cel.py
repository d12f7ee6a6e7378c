"""CEL text -> the parsed-expression AST Envoy's RBAC filter evaluates (`google.api.expr.v1alpha1.Expr`, the
`condition` of an RBAC policy).

Envoy 1.40 does not parse CEL itself (`cel_expr_string` is refused: "CEL expression not set"), so the
controller does what cel-go's parser does for kgateway: the text is parsed by cel-python's grammar (a lark
LALR parser) and its tree is rewritten into the Expr proto, with the `has()` macro expanded as the CEL spec
defines it. A syntax error is a `CelError` with the column; so is a name Envoy does not define (a typo would
otherwise make the expression never match) and a comprehension macro (`all`, `exists`, ...: Envoy's runtime
refuses them)."""
from __future__ import annotations

import functools
from collections.abc import Callable

from google.api.expr.v1alpha1 import syntax_pb2
from google.api.expr.v1alpha1.syntax_pb2 import Expr
from lark import Token, Tree

# The attributes Envoy gives CEL expressions (docs: "Attributes"); anything else is an evaluation error
ENVOY_ATTRIBUTES = frozenset({"request", "response", "connection", "upstream", "source", "destination",
                              "metadata", "filter_state", "xds", "upstream_filter_state"})

_BINARY = {"relation_lt": "_<_", "relation_le": "_<=_", "relation_gt": "_>_", "relation_ge": "_>=_",
           "relation_eq": "_==_", "relation_ne": "_!=_", "relation_in": "@in", "addition_add": "_+_",
           "addition_sub": "_-_", "multiplication_mul": "_*_", "multiplication_div": "_/_",
           "multiplication_mod": "_%_"}
_COMPREHENSIONS = frozenset({"all", "exists", "exists_one", "map", "filter"})


class CelError(ValueError):
    def __init__(self, column: int, message: str) -> None:
        super().__init__(f"column {column}: {message}")
        self.column, self.message = column, message


@functools.cache
def _parser():
    from celpy.celparser import CELParser  # the grammar is built on first use (about 0.15 s)
    return CELParser()


# Envoy parses its configuration with protobuf's nesting limit: measured with Envoy 1.40, an RBAC condition
# nested 57 messages deep still loads from a static bootstrap and 59 does not (each CEL operation is two
# levels: Expr, then Call or Select); kgw keeps a margin for the messages around it
MAX_DEPTH = 50


def parse(text: str) -> Expr:
    """The Expr of one CEL expression, or CelError (column counted from 1 on the expression's line)."""
    return Expr.FromString(_parsed(text))


@functools.lru_cache(maxsize=1024)
def _parsed(text: str) -> bytes:
    """Serialized, so every caller gets a message of its own: translation checks an expression and the xDS
    build of every route that uses it parses it again, each generation."""
    from celpy.celparser import CELParseError
    try:
        tree = _parser().parse(text)
        out = _Builder().expr(tree)
    except CELParseError as e:
        raise _syntax_error(text, e) from None
    except RecursionError:
        raise CelError(1, "the expression nests too deeply") from None
    depth = _depth(out)
    if depth > MAX_DEPTH:
        raise CelError(1, f"the expression nests too deeply for Envoy ({depth} levels of its AST, at most "
                          f"{MAX_DEPTH}): split it into several matchExpressions")
    return out.SerializeToString()


def problem(text: str) -> str | None:
    try:
        parse(text)
    except CelError as e:
        return str(e)
    return None


def any_of(exprs: list[Expr]) -> Expr:
    """`e1 || e2 || ...`, balanced (as deep as log2 of the count), with ids renumbered so they stay unique
    across the joined expressions."""
    out = _balanced("_||_", list(exprs), Expr)
    _renumber(out, iter(range(1, 1 << 62)))
    return out


def _balanced(function: str, operands: list, make) -> Expr:
    """A chain of one associative operator as a balanced tree, as cel-go builds `&&` and `||` (a long chain
    would otherwise nest past Envoy's limit)."""
    if len(operands) == 1:
        out = Expr()
        out.CopyFrom(operands[0])
        return out
    mid = len(operands) // 2
    return make(call_expr=Expr.Call(function=function, args=[_balanced(function, operands[:mid], make),
                                                            _balanced(function, operands[mid:], make)]))


def _depth(e: Expr) -> int:
    """Message nesting of an Expr (an operation is two levels: the Expr and its Call or Select)."""
    kind = e.WhichOneof("expr_kind")
    subs: list = []
    if kind == "call_expr":
        subs = ([e.call_expr.target] if e.call_expr.HasField("target") else []) + list(e.call_expr.args)
    elif kind == "select_expr":
        subs = [e.select_expr.operand]
    elif kind == "list_expr":
        subs = list(e.list_expr.elements)
    elif kind == "struct_expr":
        subs = [en.value for en in e.struct_expr.entries]
        subs += [en.map_key for en in e.struct_expr.entries if en.HasField("map_key")]
    return 1 + (1 + max(map(_depth, subs)) if subs else 0)


def _renumber(e: Expr, ids) -> None:
    e.id = next(ids)
    kind = e.WhichOneof("expr_kind")
    if kind == "select_expr":
        _renumber(e.select_expr.operand, ids)
    elif kind == "call_expr":
        if e.call_expr.HasField("target"):
            _renumber(e.call_expr.target, ids)
        for a in e.call_expr.args:
            _renumber(a, ids)
    elif kind == "list_expr":
        for a in e.list_expr.elements:
            _renumber(a, ids)
    elif kind == "struct_expr":
        for entry in e.struct_expr.entries:
            entry.id = next(ids)
            if entry.HasField("map_key"):
                _renumber(entry.map_key, ids)
            _renumber(entry.value, ids)
    elif kind == "comprehension_expr":
        c = e.comprehension_expr
        for part in (c.iter_range, c.accu_init, c.loop_condition, c.loop_step, c.result):
            _renumber(part, ids)


def _syntax_error(text: str, e) -> CelError:
    cause = e.__context__  # lark's exception: the unexpected token or character
    token = getattr(cause, "token", None)
    where = f" (line {e.line})" if e.line and e.line > 1 else ""
    if token is not None and token.type == "$END":
        last = text.rstrip().splitlines()[-1] if text.strip() else ""
        return CelError(len(last) + 1, f"syntax error{where}: the expression ends too early")
    near = token.value if token is not None else getattr(cause, "char", "")
    return CelError(e.column or 1, f"syntax error{where}: unexpected {str(near)[:20]!r}")


class _Builder:
    def __init__(self) -> None:
        self.last_id = 0

    def _new(self, **kw) -> Expr:
        self.last_id += 1
        return Expr(id=self.last_id, **kw)

    def _call(self, function: str, args: list[Expr], target: Expr | None = None) -> Expr:
        call = Expr.Call(function=function, args=args)
        if target is not None:
            call.target.CopyFrom(target)
        return self._new(call_expr=call)

    def expr(self, t: Tree) -> Expr:
        method: Callable[[Tree], Expr] | None = getattr(self, f"_{t.data}", None)
        if method is None:
            raise CelError(t.meta.column, f"{t.data} is not supported")
        return method(t)

    def _pass(self, t: Tree) -> Expr:
        return self.expr(t.children[0])

    _member = _primary = _paren_expr = _pass

    def _expr(self, t: Tree) -> Expr:
        if len(t.children) == 1:
            return self.expr(t.children[0])
        return self._call("_?_:_", [self.expr(c) for c in t.children])

    def _binary_chain(self, t: Tree, function: str) -> Expr:
        """`a || b || c` (left-recursive in the grammar) as a balanced tree of its operands."""
        operands = []
        while len(t.children) == 2:
            operands.append(t.children[1])
            t = t.children[0]
        operands.append(t.children[0])
        return _balanced(function, [self.expr(c) for c in reversed(operands)], self._new)

    def _conditionalor(self, t: Tree) -> Expr:
        return self._binary_chain(t, "_||_")

    def _conditionaland(self, t: Tree) -> Expr:
        return self._binary_chain(t, "_&&_")

    def _operator(self, t: Tree) -> Expr:
        """relation, addition, multiplication: [operand] or [op(left), right]."""
        if len(t.children) == 1:
            return self.expr(t.children[0])
        op, right = t.children
        return self._call(_BINARY[op.data], [self.expr(op.children[0]), self.expr(right)])

    _relation = _addition = _multiplication = _operator

    def _unary(self, t: Tree) -> Expr:
        if len(t.children) == 1:
            return self.expr(t.children[0])
        op, operand = t.children
        return self._call("!_" if op.data == "unary_not" else "-_", [self.expr(operand)])

    def _member_dot(self, t: Tree) -> Expr:
        operand, name = t.children
        return self._new(select_expr=Expr.Select(operand=self.expr(operand), field=str(name)))

    def _member_dot_arg(self, t: Tree) -> Expr:
        target, name, *rest = t.children
        self._macro(name)
        return self._call(str(name), self._args(rest), self.expr(target))

    def _member_index(self, t: Tree) -> Expr:
        operand, index = t.children
        return self._call("_[_]", [self.expr(operand), self.expr(index)])

    def _member_object(self, t: Tree) -> Expr:
        type_, *rest = t.children
        out = self._new(struct_expr=Expr.CreateStruct(message_name=self._dotted(type_)))
        items = rest[0].children if rest else []
        for name, value in zip(items[::2], items[1::2], strict=True):
            self.last_id += 1
            out.struct_expr.entries.add(id=self.last_id, field_key=str(name), value=self.expr(value))
        return out

    def _dotted(self, t: Tree) -> str:
        while t.data in ("member", "primary"):
            t = t.children[0]
        if t.data in ("ident", "dot_ident"):
            return ("." if t.data == "dot_ident" else "") + str(t.children[0])
        if t.data == "member_dot":
            return f"{self._dotted(t.children[0])}.{t.children[1]}"
        raise CelError(t.meta.column, "a message type name is expected before `{`")

    def _args(self, rest: list) -> list[Expr]:
        return [self.expr(c) for c in rest[0].children] if rest else []

    def _ident(self, t: Tree) -> Expr:
        name = str(t.children[0])
        if name not in ENVOY_ATTRIBUTES:
            raise CelError(t.meta.column, f"unknown name {name!r}: Envoy gives expressions "
                           + ", ".join(sorted(ENVOY_ATTRIBUTES - {"upstream_filter_state"})))
        return self._new(ident_expr=Expr.Ident(name=name))

    def _dot_ident(self, t: Tree) -> Expr:
        return self._new(ident_expr=Expr.Ident(name="." + str(t.children[0])))

    def _ident_arg(self, t: Tree) -> Expr:
        name, *rest = t.children
        self._macro(name)
        if str(name) == "has":
            args = rest[0].children if rest else []
            if len(args) != 1:
                raise CelError(t.meta.column, "has() takes one field selection, e.g. has(request.headers.x)")
            inner = self.expr(args[0])
            if inner.WhichOneof("expr_kind") != "select_expr":
                raise CelError(t.meta.column, "has() takes a field selection, e.g. has(request.headers.x)")
            inner.select_expr.test_only = True
            return inner
        return self._call(str(name), self._args(rest))

    def _dot_ident_arg(self, t: Tree) -> Expr:
        name, *rest = t.children
        return self._call("." + str(name), self._args(rest))

    def _list_lit(self, t: Tree) -> Expr:
        return self._new(list_expr=Expr.CreateList(elements=self._args(t.children)))

    def _map_lit(self, t: Tree) -> Expr:
        out = self._new(struct_expr=Expr.CreateStruct())
        items = t.children[0].children if t.children else []
        for key, value in zip(items[::2], items[1::2], strict=True):
            self.last_id += 1
            out.struct_expr.entries.add(id=self.last_id, map_key=self.expr(key), value=self.expr(value))
        return out

    def _literal(self, t: Tree) -> Expr:
        from celpy.evaluation import celbytes, celstr
        tok = t.children[0]
        assert isinstance(tok, Token)
        c, v = syntax_pb2.Constant(), tok.value
        if tok.type == "INT_LIT":
            c.int64_value = int(v, 0) if not v.lstrip("-").startswith("0x") else int(v, 16)
        elif tok.type == "UINT_LIT":
            c.uint64_value = int(v[:-1], 16 if v.startswith("0x") else 10)
        elif tok.type == "FLOAT_LIT":
            c.double_value = float(v)
        elif tok.type in ("STRING_LIT", "MLSTRING_LIT"):
            c.string_value = str(celstr(tok))
        elif tok.type == "BYTES_LIT":
            c.bytes_value = bytes(celbytes(tok))
        elif tok.type == "BOOL_LIT":
            c.bool_value = v == "true"
        else:
            c.null_value = 0
        return self._new(const_expr=c)

    @staticmethod
    def _macro(name) -> None:
        if str(name) in _COMPREHENSIONS:
            raise CelError(getattr(name, "column", None) or 1,
                           f"{name}() is a comprehension, which Envoy's CEL runtime has switched off "
                           "(\"Comprehension support is disabled\"); test membership with `in`")
