"""kgateway's Inja transformation templates -> kgw rules SOURCE, compiled by kgw_rules like any program.

One bytecode format serves both forms. Supported: `{{ expr }}`, `{% if %}{% else if %}{% else %}{% endif %}`
(with `-` whitespace control), string/int literals, `== != < <= > >=`, `and or not`, JSON body fields
(`a.b[0]`, needs `parseAs: AsJson`) and the functions in `_FUNCS`. The rules language has no conditional
expression, so a template with `if` becomes statement-level branches, each holding the whole value.
Anything else is an `InjaError` with the template's line and column: never a silent drop.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import NoReturn


class InjaError(Exception):
    def __init__(self, where: str, line: int, col: int, message: str) -> None:
        super().__init__(f"{where}:{line}:{col}: {message}")
        self.where, self.line, self.col, self.message = where, line, col, message


# Inja function -> (min args, max args, rules rendering). `{0}` etc. are the rendered arguments.
_FUNCS = {
    "header": (1, 1, "header({0})"),
    "request_header": (1, 1, "request_header({0})"),
    "base64_encode": (1, 1, "base64_encode({0})"),
    "base64_decode": (1, 1, "default(base64_decode({0}), \"\")"),
    "substring": (2, 3, None),
    "trim": (1, 1, "trim({0})"),
    "raw_string": (1, 1, "json_escape({0})"),
    # words = runs of non-space; each becomes one character, whose count is the answer
    "word_count": (1, 1, "str(len(replace(replace(trim({0}), r\"\\S+\", \"w\"), r\"\\s+\", \"\")))"),
    "body": (0, 0, "body"),
    "context": (0, 0, "body"),
    "exists": (1, 1, None),
    # the filter reads its VM's environment; the controller passes the names used (host_env_keys)
    "env": (1, 1, "env({0})"),
    # every occurrence of the literal p gets one fresh random id (kgateway: one random per pattern)
    "replace_with_random": (2, 2, None),
}

# header(":status") and friends: what the rules language calls them (`:path` carries the query, like `url`)
_PSEUDO_READS = {":path": "url", ":method": "method", ":authority": "host", ":scheme": "scheme",
                 ":status": "str(status)"}

_TOKEN = re.compile(r"""\s*(?:(?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')"""
                    r"""|(?P<int>-?[0-9]+)"""
                    r"""|(?P<op>==|!=|<=|>=|<|>|\(|\)|,|\[|\]|\.)"""
                    r"""|(?P<name>[A-Za-z_][A-Za-z0-9_\-]*))""")


@dataclass
class Text:
    text: str


@dataclass(frozen=True)
class Origin:
    """Where generated rules code came from, so its compile errors point into the template: the template
    offset of the expression, and (rendered literal, template offset) of its quoted strings and JSON paths."""

    pos: int
    frags: tuple[tuple[str, int], ...] = ()


@dataclass
class Expr:
    code: str  # rules expression (string-typed when interpolated)
    origin: Origin = Origin(0)


@dataclass
class If:
    branches: list  # [(cond code | None for else, [nodes])]
    origins: list = field(default_factory=list)  # Origin of each branch's condition (None for else)


class _Parser:
    """Expression parser over one `{{ }}` / `{% %}` body; `pos` maps back to the template."""

    def __init__(self, text: str, base: int, ctx: Template) -> None:
        self.toks: list[tuple[str, str, int]] = []
        i = 0
        while i < len(text):
            if text[i:].strip() == "":
                break
            m = _TOKEN.match(text, i)
            if not m or m.end() == i:
                ctx.fail(base + i, f"unexpected character {text[i:].lstrip()[:1]!r}")
            kind = m.lastgroup
            assert kind is not None  # every alternative of _TOKEN is a named group
            self.toks.append((kind, m.group(kind), base + m.start(kind)))
            i = m.end()
        self.i, self.ctx, self.end = 0, ctx, base + len(text)
        self.frags: list[tuple[str, int]] = []  # (rendered literal, template offset), for Origin

    def origin(self) -> Origin:
        return Origin(self.toks[0][2] if self.toks else self.end, tuple(self.frags))

    def peek(self, value: str | None = None):
        t = self.toks[self.i] if self.i < len(self.toks) else None
        if value is None or t is None:
            return t
        return t if t[1] == value else None

    def take(self, value: str | None = None):
        t = self.peek()
        if t is None or (value is not None and t[1] != value):
            self.ctx.fail(t[2] if t else self.end, f"expected {value or 'an expression'}")
        self.i += 1
        return t

    def done(self) -> None:
        if self.i < len(self.toks):
            self.ctx.fail(self.toks[self.i][2], f"unexpected {self.toks[self.i][1]!r}")

    # cond := and ('or' and)* ; and := not ('and' not)* ; not := 'not' not | cmp ; cmp := value (op value)?
    def cond(self) -> str:
        out = self.conj()
        while self.peek("or"):
            self.take()
            out = f"({out} or {self.conj()})"
        return out

    def conj(self) -> str:
        out = self.neg()
        while self.peek("and"):
            self.take()
            out = f"({out} and {self.neg()})"
        return out

    def neg(self) -> str:
        if self.peek("not"):
            self.take()
            return f"(not {self.neg()})"
        start = self.peek()
        left, kind = self.value()
        t = self.peek()
        if t and t[1] in ("==", "!=", "<", "<=", ">", ">="):
            self.take()
            right, rkind = self.value()
            if "str" in (kind, rkind) or kind != rkind:
                return f"({_as_str(left, kind)} {t[1]} {_as_str(right, rkind)})"
            return f"({left} {t[1]} {right})"
        if kind == "bool":
            return left
        if kind == "int":
            self.ctx.fail(start[2] if start else self.end, "a number is not a condition")
        return f"({_as_str(left, kind)} != \"\")"  # Inja truthiness of a string: non-empty

    def value(self) -> tuple[str, str]:
        """-> (rules code, kind): kind is "str" (never absent), "opt" (string?), "int" or "bool"."""
        t = self.take()
        kind, text, pos = t
        if kind == "str":
            self.frags.append((_literal(_unquote(text)), pos))
            return _literal(_unquote(text)), "str"
        if kind == "int":
            return text, "int"
        if text == "(":
            inner = self.cond()
            self.take(")")
            return inner, "bool"
        if kind != "name":
            self.ctx.fail(pos, f"unexpected {text!r}")
        if text in ("true", "false"):
            return text, "bool"
        if self.peek("("):
            return self.call(text, pos)
        path = text
        while self.peek(".") or self.peek("["):
            if self.take()[1] == ".":
                segment = self.take()  # Inja's `a.0` indexes an array, as its JSON pointers do
                path += f"[{segment[1]}]" if segment[0] == "int" else "." + segment[1]
            else:
                idx = self.take()
                path += f"[{idx[1]}]" if idx[0] == "int" else "." + _unquote(idx[1])
                self.take("]")
        self.ctx.need_json(pos, path)
        self.frags.append((_literal(path), pos))
        return f"json({_literal(path)})", "opt"

    def call(self, name: str, pos: int) -> tuple[str, str]:
        if name not in _FUNCS:
            self.ctx.fail(pos, f"unknown or unsupported template function {name}()")
        self.take("(")
        args: list[tuple[str, str]] = []
        while not self.peek(")"):
            if args:
                self.take(",")
            args.append(self.value())
        self.take(")")
        lo, hi, pattern = _FUNCS[name]
        if not lo <= len(args) <= hi:
            self.ctx.fail(pos, f"{name}() takes {lo if lo == hi else f'{lo} to {hi}'} argument(s), got {len(args)}")
        if name == "exists":
            code, kind = args[0]
            if kind == "str":  # Inja's exists("a.b") names a JSON field
                path = _unquote_literal(code)
                self.ctx.need_json(pos, path)
                return f"exists(json({code}))", "bool"
            return f"exists({code})", "bool"
        if name == "substring":
            s = _as_str(*args[0])
            rest = [a for a, k in args[1:]]
            if any(k != "int" for _, k in args[1:]):
                self.ctx.fail(pos, "substring() takes integer start and length")
            return f"substr({s}, {', '.join(rest)})", "str"
        if name == "replace_with_random":
            if args[1][1] != "str":
                self.ctx.fail(pos, "replace_with_random() takes the text to replace in quotes")
            pattern_text = _unquote_literal(args[1][0])
            if not pattern_text:  # kgateway replaces nothing for an empty pattern
                return _as_str(*args[0]), "str"
            return f"replace({_as_str(*args[0])}, {_regex_literal(pattern_text)}, random_id())", "str"
        assert pattern is not None  # the functions without a rendering are all handled above
        rendered = [_as_str(*a) for a in args]
        if name == "env":
            text = _unquote_literal(args[0][0]) if args[0][1] == "str" else ""
            if not text or "=" in text or "\0" in text:
                self.ctx.fail(pos, "env() takes a variable name in quotes")
            return pattern.format(*rendered), "opt"  # absent when unset: "" in the template, as kgateway
        if name in ("header", "request_header"):
            if args[0][1] != "str":
                self.ctx.fail(pos, f"{name}() takes a header name in quotes")
            pseudo = _PSEUDO_READS.get(_unquote_literal(args[0][0]).lower())
            if pseudo is not None:  # Envoy's pseudo-headers are request/response fields in rules
                return pseudo, "str"
            return pattern.format(*rendered), "opt"
        return pattern.format(*rendered), "str"


def _unquote(text: str) -> str:
    body = text[1:-1]
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t", "r": "\r"}.get(m.group(1), m.group(1)), body)


def _literal(text: str) -> str:
    """A rules string literal holding exactly `text` (braces doubled: they would interpolate)."""
    out = []
    for ch in text:
        if ch in "\\\"":
            out.append("\\" + ch)
        elif ch == "{":
            out.append("{{")
        elif ch == "}":
            out.append("}}")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20:
            out.append(f"\\u{{{ord(ch):x}}}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _regex_literal(text: str) -> str:
    r"""A rules regex literal r"..." matching exactly `text`: ASCII punctuation escaped, control bytes as
    \xHH, letters, digits and non-ASCII characters (their UTF-8 bytes) as written."""
    out = []
    for ch in text:
        if ch.isalnum() or ord(ch) > 0x7F:
            out.append(ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append("\\" + ch)
    return 'r"' + "".join(out) + '"'


def _unquote_literal(code: str) -> str:
    """The text of a rules string literal made by `_literal` (its exact inverse)."""
    body, out, i = code[1:-1], [], 0
    while i < len(body):
        c = body[i]
        if c == "\\" and body[i + 1] == "u":  # \u{hex}
            end = body.index("}", i)
            out.append(chr(int(body[i + 3:end], 16)))
            i = end + 1
            continue
        if c == "\\":
            out.append({"n": "\n", "r": "\r", "t": "\t"}.get(body[i + 1], body[i + 1]))
        else:
            out.append(c)
        i += 2 if c in "\\{}" else 1  # braces are doubled
    return "".join(out)


def _as_str(code: str, kind: str) -> str:
    if kind == "opt":
        return f"default({code}, \"\")"
    if kind in ("int", "bool"):
        return f"str({code})"
    return code


_TAG = re.compile(r"\{\{-?|\{%-?|\{#")


class Template:
    """Parses one template into Text / Expr / If nodes."""

    def __init__(self, source: str, where: str, json_ok: bool) -> None:
        self.source, self.where, self.json_ok = source, where, json_ok

    def fail(self, pos: int, message: str) -> NoReturn:
        line = self.source.count("\n", 0, pos) + 1
        col = pos - (self.source.rfind("\n", 0, pos) + 1) + 1
        raise InjaError(self.where, line, col, message)

    def need_json(self, pos: int, path: str) -> None:
        if not self.json_ok:
            self.fail(pos, f"the JSON field {path!r} needs body.parseAs: AsJson")

    def parse(self) -> list:
        nodes: list[Text | Expr | If] = []
        stack: list[If] = []  # stack of (If, branch nodes list owner)
        current = nodes
        pos, src = 0, self.source
        strip_next = False
        while pos < len(src):
            m = _TAG.search(src, pos)
            text = src[pos:m.start() if m else len(src)]
            if strip_next:
                text = text.lstrip()
            if m and m.group().endswith("-"):
                text = text.rstrip()
            if text:
                current.append(Text(text))
            if not m:
                break
            closer = {"{{": "}}", "{%": "%}", "{#": "#}"}[m.group()[:2]]
            end = src.find(closer, m.end())
            if end < 0:
                self.fail(m.start(), f"unclosed {m.group()[:2]}")
            inner_end = end - 1 if src[end - 1] == "-" and closer != "#}" else end
            strip_next = inner_end != end
            body, base = src[m.end():inner_end], m.end()
            pos = end + 2
            if closer == "#}":
                continue
            if closer == "}}":
                p = _Parser(body, base, self)
                code, kind = p.value() if not p.peek("not") else (p.cond(), "bool")
                p.done()
                current.append(Expr(_as_str(code, kind), p.origin()))
                continue
            words = body.split(None, 1)
            if not words:
                self.fail(base, "empty statement")
            stmt, rest = words[0], (words[1] if len(words) > 1 else "")
            rest_base = base + body.find(stmt) + len(stmt)
            if stmt == "if":
                cond, origin = self._cond(rest, rest_base)
                node = If([(cond, [])], [origin])
                current.append(node)
                stack.append(node)
                current = node.branches[-1][1]
            elif stmt == "else":
                if not stack or stack[-1].branches[-1][0] is None:
                    self.fail(base, "else without if")
                node = stack[-1]
                tail = rest.split(None, 1)
                if tail and tail[0] == "if":
                    cond, origin = self._cond(tail[1] if len(tail) > 1 else "", rest_base + rest.find("if") + 2)
                    node.branches.append((cond, []))
                    node.origins.append(origin)
                else:
                    node.branches.append((None, []))
                    node.origins.append(None)
                current = node.branches[-1][1]
            elif stmt == "endif":
                if not stack:
                    self.fail(base, "endif without if")
                stack.pop()
                current = stack[-1].branches[-1][1] if stack else nodes
            else:
                self.fail(base + body.find(stmt), f"unsupported template statement {{% {stmt} %}}")
        if stack:
            self.fail(len(src), "missing {% endif %}")
        return nodes

    def _cond(self, text: str, base: int) -> tuple[str, Origin]:
        p = _Parser(text, base, self)
        code = p.cond()
        p.done()
        return code, p.origin()


Line = tuple[str, list[tuple[str, Origin]]]  # a generated line and the template code it holds, in order


def statements(nodes: list, sink) -> list[Line]:
    """Rules statements that evaluate `nodes` to one string and pass it to `sink(expr) -> statement`, each
    with the Origin of the template expressions it holds."""
    def walk(items: list, parts: list, indent: str) -> list[Line]:
        for i, node in enumerate(items):
            if isinstance(node, If):
                out: list[Line] = []
                for bi, (cond, body) in enumerate(node.branches):
                    head = "if" if bi == 0 else "} else if" if cond is not None else "} else"
                    if cond is not None:
                        out.append((f"{indent}{head} {cond} {{", [(cond, node.origins[bi])]))
                    else:
                        out.append((f"{indent}{head} {{", []))
                    out += walk(body + items[i + 1:], list(parts), indent + "  ")
                if node.branches[-1][0] is not None:  # no else: the value without this if's text
                    out.append((f"{indent}}} else {{", []))
                    out += walk(items[i + 1:], list(parts), indent + "  ")
                out.append((f"{indent}}}", []))
                return out
            parts.append(node.text if isinstance(node, Text) else ("expr", node.code, node.origin))
        origins = [(p[1], p[2]) for p in parts if isinstance(p, tuple)]
        return [(indent + sink(_concat(parts)), origins)]
    return walk(nodes, [], "  ")


def _concat(parts: list) -> str:
    out = []
    for p in parts:
        if isinstance(p, tuple):
            out.append("{" + p[1] + "}")
        else:
            out.append(_literal(p)[1:-1])
    return '"' + "".join(out) + '"'
