"""`kgw fmt`: one canonical layout for rules source.

The layout is printed from the syntax tree, so it never depends on how the input was laid out: two-space
indentation, one statement per line, every block opened at the end of its line and closed on a line of its
own, single spaces around operators, the parentheses the tree needs (plus clarity parentheses that do not
change it: `a or (b and c)`, `not (x == y)`), at most one blank line kept where the source had any.
Literals (strings, regexes, integers, header names) are copied as written. A call or list wider than
100 columns is broken one argument per line. Comments are kept: own-line comments where they stand,
end-of-line comments after the statement (or argument) they follow; a comment inside an expression that is
not between two arguments moves above its statement. Formatting never changes the tree, and so never the
bytecode (a property test checks both, and that formatting is idempotent).
"""
from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass

from . import ast as A
from .diagnostics import CompileError
from .parser import parse
from .recovery import comments

WIDTH = 100
STEP = 2  # spaces per indentation level

# Binding strength, loosest first; an operand weaker than its slot needs parentheses.
_OR, _AND, _NOT, _CMP, _ADD, _ATOM = range(1, 7)

# statements with one value expression
_VALUED = (A.Let, A.SetHeader, A.SetQuery, A.SetLog, A.SetJson, A.SetField, A.ReplaceBody)


def format_source(source: str, filename: str = "<string>") -> str:
    """The canonical layout of `source`; raises CompileError when it does not parse."""
    program, diags = parse(source)
    if program is None:
        raise CompileError(diags, filename, source)
    return _Printer(source).program(program)


@dataclass
class _Item:
    """One element of a sequence (statements, top-level items, respond headers) in source order."""

    start: int
    end: int
    render: Callable[[int], list[str]] | None  # None: a standalone comment


def _level(e: A.Expr) -> int:
    if isinstance(e, A.BoolOp):
        return _OR if e.op == "or" else _AND
    if isinstance(e, A.Not):
        return _NOT
    if isinstance(e, A.Compare | A.Match | A.In):
        return _CMP
    return _ADD if isinstance(e, A.Add) else _ATOM


class _Printer:
    def __init__(self, source: str):
        self.src = source
        self.line_starts = [0] + [i + 1 for i, c in enumerate(source) if c == "\n"]
        self.comments = comments(source)
        self.used: set[int] = set()  # start offsets of comments already placed
        # id(call or list) -> (offset of its `(` or `[`, comment starts in each gap around its arguments)
        self.gaps: dict[int, tuple[int, list[list[int]]]] = {}

    # ---- positions
    def off(self, line: int, col: int) -> int:
        return self.line_starts[line - 1] + col - 1

    def start(self, node: A.Node) -> int:
        return self.off(node.span.line, node.span.col)

    def end(self, node: A.Node) -> int:
        return self.off(node.span.end_line, node.span.end_col)

    def line(self, offset: int) -> int:
        return bisect.bisect_right(self.line_starts, offset)

    def raw(self, node: A.Node) -> str:
        return self.src[self.start(node):self.end(node)]

    def comment(self, start: int) -> str:
        self.used.add(start)
        end = next(e for s, e in self.comments if s == start)
        return self.src[start:end].rstrip()

    def free_comments(self, lo: int, hi: int) -> list[int]:
        return [s for s, _ in self.comments if lo <= s < hi and s not in self.used]

    # ---- sequences
    def sequence(self, items: list[_Item], lo: int, hi: int, indent: int) -> list[str]:
        """Items and the standalone comments between them (within lo..hi), blank lines kept (at most one)."""
        for s in self.free_comments(lo, hi):
            if not any(it.start <= s < it.end for it in items if it.render):
                items.append(_Item(s, next(e for c, e in self.comments if c == s), None))
        items.sort(key=lambda it: it.start)
        out: list[str] = []
        previous_end = None
        for k, item in enumerate(items):
            if item.start in self.used:
                continue  # a trailing comment, printed with the item before it
            if previous_end is not None and self.src.count("\n", previous_end, item.start) >= 2:
                out.append("")
            if item.render is None:
                out.append(" " * indent + self.comment(item.start))
                previous_end = item.end
                continue
            lines = item.render(indent)
            hoisted = [" " * indent + self.comment(s) for s in self.free_comments(item.start, item.end)]
            trailing = self.trailing(item, items[k + 1:])
            if trailing is not None:
                lines[-1] += "  " + self.comment(trailing[0])
            out += hoisted + lines
            previous_end = trailing[1] if trailing else item.end
        return out

    def trailing(self, item: _Item, rest: list[_Item]) -> tuple[int, int] | None:
        """The comment on the line where `item` ends, right after it."""
        nxt = rest[0] if rest else None
        if nxt is None or nxt.render is not None or nxt.start in self.used:
            return None
        if self.line(nxt.start) != self.line(item.end - 1):
            return None
        return nxt.start, nxt.end

    def block(self, block: A.Block, head: list[str], indent: int) -> list[str]:
        """`head` (its last line gets the `{`), the statements, and a closing `}` line."""
        lo, hi = self.start(block) + 1, self.end(block) - 1
        opener = [s for s in self.free_comments(lo, hi) if self.line(s) == self.line(lo - 1)
                  and all(self.start(st) > s for st in block.stmts)]
        lines = list(head)
        if not block.stmts and not self.free_comments(lo, hi):
            lines[-1] += " {}"
            return lines
        lines[-1] += " {" + "".join("  " + self.comment(s) for s in opener[:1])
        items = [_Item(self.start(s), self.end(s), self._stmt_renderer(s)) for s in block.stmts]
        return lines + self.sequence(items, lo, hi, indent + STEP) + [" " * indent + "}"]

    # ---- top level
    def program(self, program: A.Program) -> str:
        items = [_Item(self.start(c), self.end(c), self._const_renderer(c)) for c in program.consts]
        items += [_Item(self.start(p), self.end(p), self._phase_renderer(p)) for p in program.phases]
        for e in self._expressions(program):
            self._claim_gaps(e)
        lines = self.sequence(items, 0, len(self.src), 0)
        out: list[str] = []
        for i, line in enumerate(lines):  # a phase always stands apart from what precedes it
            if i and line.startswith("on ") and out and out[-1] != "" and not out[-1].startswith("#"):
                out.append("")
            out.append(line)
        assert len(self.used) == len(self.comments), "a comment was not placed"  # never drop a comment
        return "\n".join(out).strip("\n") + "\n" if out else ""

    def _const_renderer(self, c: A.ConstDecl) -> Callable[[int], list[str]]:
        return lambda indent: self.expr_line(f"let {c.name.value} = ", c.value, "", indent)

    def _phase_renderer(self, p: A.Phase) -> Callable[[int], list[str]]:
        return lambda indent: self.block(p.body, [" " * indent + f"on {p.kind}"], indent)

    # ---- statements
    def _stmt_renderer(self, s: A.Stmt) -> Callable[[int], list[str]]:
        return lambda indent: self.stmt(s, indent)

    def stmt(self, s: A.Stmt, indent: int) -> list[str]:
        raw = self.raw
        if isinstance(s, A.Let):
            return self.expr_line(f"let {s.name.value} = ", s.value, "", indent)
        if isinstance(s, A.SetHeader):
            return self.expr_line(f"{s.mode} header {raw(s.name)} = ", s.value, "", indent)
        if isinstance(s, A.SetQuery):
            return self.expr_line(f"set query {raw(s.name)} = ", s.value, "", indent)
        if isinstance(s, A.SetLog):
            return self.expr_line(f"set log {raw(s.name)} = ", s.value, "", indent)
        if isinstance(s, A.SetJson):
            return self.expr_line(f"set json {raw(s.path)} = ", s.value, "", indent)
        if isinstance(s, A.SetField):
            return self.expr_line(f"set {s.field.value} = ", s.value, "", indent)
        if isinstance(s, A.ReplaceBody):
            return self.expr_line(f"replace {s.target.value} {raw(s.regex)} with ", s.value, "", indent)
        if isinstance(s, A.If):
            return self.if_stmt(s, indent)
        if isinstance(s, A.Respond):
            return self.respond(s, indent)
        pad = " " * indent
        if isinstance(s, A.RemoveHeader):
            return [f"{pad}remove header {raw(s.name)}"]
        if isinstance(s, A.RenameHeader):
            return [f"{pad}rename header {raw(s.source)} to {raw(s.target)}"]
        if isinstance(s, A.RemoveQuery):
            return [f"{pad}remove query {raw(s.name)}"]
        if isinstance(s, A.RemoveJson):
            return [f"{pad}remove json {raw(s.path)}"]
        return [f"{pad}stop"]

    def if_stmt(self, s: A.If, indent: int) -> list[str]:
        lines: list[str] = []
        for i, (cond, body) in enumerate(s.branches):
            if i == 0:
                head = self.expr_line("if ", cond, "", indent, reserve=2)
            else:
                closing = lines.pop()  # `}` (or `... {}`) of the previous branch
                head = self.expr_line(closing.strip() + " else if ", cond, "", indent, reserve=2)
            lines += self.block(body, head, indent)
        if s.orelse is not None:
            closing = lines.pop()
            lines += self.block(s.orelse, [" " * indent + closing.strip() + " else"], indent)
        return lines

    def respond(self, s: A.Respond, indent: int) -> list[str]:
        status_end = self.off(s.status_span.end_line, s.status_span.end_col)
        head = f"respond {self.src[self.off(s.status_span.line, s.status_span.col):status_end]}"
        if s.body is None:
            lines = [" " * indent + head]
        else:
            lines = self.expr_line(head + " ", s.body, "", indent, reserve=2 if s.headers else 0)
        if not s.headers:
            return lines
        after = self.end(s.body) if s.body is not None else status_end
        lo, hi = self.src.index("{", after) + 1, self.end(s) - 1
        opener = [c for c in self.free_comments(lo, hi) if self.line(c) == self.line(lo - 1)
                  and all(self.start(n) > c for n, _ in s.headers)]
        lines[-1] += " {" + "".join("  " + self.comment(c) for c in opener[:1])
        items = [_Item(self.src.rindex("header", lo, self.start(name)), self.end(value),
                       self._header_renderer(name, value)) for name, value in s.headers]
        return lines + self.sequence(items, lo, hi, indent + STEP) + [" " * indent + "}"]

    def _header_renderer(self, name: A.Lit, value: A.Expr) -> Callable[[int], list[str]]:
        return lambda indent: self.expr_line(f"header {self.raw(name)} = ", value, "", indent)

    # ---- expressions
    def expr_line(self, prefix: str, e: A.Expr, suffix: str, indent: int, reserve: int = 0) -> list[str]:
        """Lines holding indent + prefix + e + suffix, e broken at its calls and lists when it would not
        fit (with `reserve` more columns after it) or holds comments."""
        lines = self.expr(e, indent + len(prefix), indent, len(suffix) + reserve)
        lines[0] = " " * indent + prefix + lines[0]
        lines[-1] += suffix
        return lines

    def expr(self, e: A.Expr, col: int, indent: int, tail: int) -> list[str]:
        """e starting at column `col` of a line indented by `indent`; `tail` columns follow it. The first
        line comes without its prefix, later lines are whole lines."""
        text = self.flat(e)
        if col + len(text) + tail <= WIDTH and not self.has_comments(e):
            return [text]
        if isinstance(e, A.Call) and e.args:
            return self.broken(f"{e.fn}(", e.args, ")", id(e), indent)
        if isinstance(e, A.In) and e.items:
            head = self.expr(e.subject, col, indent, 0) if _level(e.subject) >= _ADD else \
                self.parenthesised(e.subject, col, indent)
            rest = self.broken(" in [", e.items, "]", id(e), indent)
            return self.join(head, rest)
        lines = [""]
        pieces = self.pieces(e)
        for k, piece in enumerate(pieces):
            if isinstance(piece, str):
                lines[-1] += piece
                continue
            here = len(lines[-1]) if len(lines) > 1 else col + len(lines[-1])
            sub = self.expr(piece, here, indent, tail if k == len(pieces) - 1 else 0)
            lines = self.join(lines, sub)
        return lines

    def parenthesised(self, e: A.Expr, col: int, indent: int) -> list[str]:
        lines = self.join(["("], self.expr(e, col + 1, indent, 1))
        lines[-1] += ")"
        return lines

    @staticmethod
    def join(a: list[str], b: list[str]) -> list[str]:
        return a[:-1] + [a[-1] + b[0]] + b[1:]

    def broken(self, open_: str, args: list[A.Expr], close: str, key: int, indent: int) -> list[str]:
        """open_, then one argument per line (with the comments around it), then close on its own line."""
        opening, gaps = self.gaps[key]
        inner = indent + STEP
        lines = [open_ + "".join("  " + self.comment(c) for c in gaps[0] if self.line(c) == self.line(opening))]
        for k, arg in enumerate(args):
            lines += [" " * inner + self.comment(c) for c in gaps[k] if c not in self.used]
            sub = self.expr(arg, inner, inner, 1)
            sub[0] = " " * inner + sub[0]
            sub[-1] += ","
            trailing = [c for c in gaps[k + 1] if self.line(c) == self.line(self.end(arg) - 1)]
            sub[-1] += "".join("  " + self.comment(c) for c in trailing[:1])
            lines += sub
        lines += [" " * inner + self.comment(c) for c in gaps[-1] if c not in self.used]
        return lines + [" " * indent + close]

    def pieces(self, e: A.Expr) -> list[str | A.Expr]:
        """e as text pieces and operands; operands too weak for their slot come in parentheses."""
        def slot(child: A.Expr, need: int, clarity: bool = False) -> list[str | A.Expr]:
            return ["(", child, ")"] if _level(child) < need or clarity else [child]

        out: list[str | A.Expr] = []
        if isinstance(e, A.BoolOp):
            for k, operand in enumerate(e.operands):
                out += ([f" {e.op} "] if k else []) + slot(operand, _NOT)
        elif isinstance(e, A.Not):
            out = ["not ", *slot(e.operand, _NOT, clarity=_level(e.operand) == _CMP)]
        elif isinstance(e, A.Compare):
            out = [*slot(e.left, _ADD), f" {e.op} ", *slot(e.right, _ADD)]
        elif isinstance(e, A.Match):
            out = [*slot(e.subject, _ADD), " !~ " if e.negated else " ~ ", self.raw(e.regex)]
        elif isinstance(e, A.In):
            out = [*slot(e.subject, _ADD), " in ["]
            for k, item in enumerate(e.items):
                out += ([", "] if k else []) + [item]
            out.append("]")
        elif isinstance(e, A.Add):
            for k, operand in enumerate(e.operands):
                out += ([" + "] if k else []) + slot(operand, _ATOM)
        elif isinstance(e, A.Call):
            out = [f"{e.fn}("]
            for k, arg in enumerate(e.args):
                out += ([", "] if k else []) + [arg]
            out.append(")")
        else:
            out = [self.atom(e)]
        return out

    def atom(self, e: A.Expr) -> str:
        if isinstance(e, A.Bool):
            return "true" if e.value else "false"
        if isinstance(e, A.NoneLit):
            return "none"
        if isinstance(e, A.Name):
            return e.id
        return self.raw(e)  # strings, regexes and integers exactly as written

    def flat(self, e: A.Expr) -> str:
        return "".join(p if isinstance(p, str) else self.flat(p) for p in self.pieces(e))

    def has_comments(self, e: A.Expr) -> bool:
        if id(e) in self.gaps and any(c not in self.used for gap in self.gaps[id(e)][1] for c in gap):
            return True
        return any(self.has_comments(p) for p in self.pieces(e) if not isinstance(p, str))

    # ---- comments between the arguments of calls and the items of lists
    def _expressions(self, program: A.Program) -> list[A.Expr]:
        found: list[A.Expr] = [c.value for c in program.consts]

        def walk(stmts: list[A.Stmt]) -> None:
            for s in stmts:
                if isinstance(s, A.If):
                    found.extend(cond for cond, _ in s.branches)
                    for _, body in s.branches:
                        walk(body.stmts)
                    if s.orelse:
                        walk(s.orelse.stmts)
                elif isinstance(s, A.Respond):
                    found.extend(([s.body] if s.body else []) + [v for _, v in s.headers])
                elif isinstance(s, _VALUED):
                    found.append(s.value)

        for p in program.phases:
            walk(p.body.stmts)
        return found

    def _claim_gaps(self, e: A.Expr) -> None:
        args: list[A.Expr] = []
        if isinstance(e, A.Call):
            args, opening = e.args, self.src.find("(", self.off(e.fn_span.end_line, e.fn_span.end_col))
        elif isinstance(e, A.In):
            args, opening = e.items, self.src.find("[", self.end(e.subject))
        if args:
            bounds = [opening + 1] + [x for a in args for x in (self.start(a), self.end(a))] + [self.end(e)]
            self.gaps[id(e)] = (opening, [[s for s, _ in self.comments if bounds[2 * k] <= s < bounds[2 * k + 1]]
                                          for k in range(len(args) + 1)])
        for p in self.pieces(e):
            if not isinstance(p, str):
                self._claim_gaps(p)
