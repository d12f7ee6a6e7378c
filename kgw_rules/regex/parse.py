"""Parser for the RE2 subset of the rules language (see docs/regex.md for the accepted syntax)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import NoReturn

from ..wire.regex import NOT_WORD_BOUNDARY, TEXT_END, TEXT_START, WORD_BOUNDARY
from . import nodes as N
from .errors import RegexError
from .limits import MAX_GROUPS, MAX_NESTING, MAX_REPEAT

_LINEAR = "kgw regexes run in linear time (RE2 syntax)"
_FLAG_I, _FLAG_S, _FLAG_U = 1, 2, 4
_FLAGS = {"i": _FLAG_I, "s": _FLAG_S, "U": _FLAG_U}
_SIMPLE_ESCAPES = {"n": 0x0A, "t": 0x09, "r": 0x0D, "f": 0x0C, "v": 0x0B, "a": 0x07}
_SHORTHANDS = {"d": N.DIGIT, "w": N.WORD, "s": N.SPACE}
_HEX = "0123456789abcdefABCDEF"


@dataclass(frozen=True)
class Parsed:
    tree: N.Node
    ngroups: int
    names: tuple[str | None, ...]  # index -> name or None, index 0 is the whole match


def parse(pattern: str) -> Parsed:
    p = _Parser(pattern)
    tree = p.parse()
    return Parsed(tree, p.ngroups, tuple(p.names))


def _is_name(s: str) -> bool:
    return bool(s) and (s[0] == "_" or s[0].isascii() and s[0].isalpha()) and all(
        c == "_" or c.isascii() and c.isalnum() for c in s)


class _Parser:
    def __init__(self, text: str):
        self.s = text
        self.i = 0
        self.flags = 0
        self.depth = 0
        self.ngroups = 0
        self.names: list[str | None] = [None]

    def error(self, message: str, offset: int, length: int = 1, hint: str | None = None) -> NoReturn:
        raise RegexError(message, offset, length, hint)

    def peek(self, k: int = 0) -> str:
        j = self.i + k
        return self.s[j] if j < len(self.s) else ""

    def parse(self) -> N.Node:
        tree = self.alternation()
        if self.i < len(self.s):  # only a ')' stops an alternation early
            self.error("unbalanced parenthesis: this ) has no matching (", self.i)
        return tree

    def alternation(self) -> N.Node:
        branches = [self.concatenation()]
        while self.peek() == "|":
            self.i += 1
            branches.append(self.concatenation())
        return branches[0] if len(branches) == 1 else N.Alt(tuple(branches))

    def concatenation(self) -> N.Node:
        items: list[N.Node] = []
        while self.i < len(self.s) and self.s[self.i] not in "|)":
            start = self.i
            if self.s.startswith("\\Q", start):
                # \Q...\E is a run of literals: a following repetition applies to the last one only.
                literals = self.quoted()
                if not literals:
                    continue
                items.extend(literals[:-1])
                atom: N.Node | None = literals[-1]
            else:
                atom = self.atom()
            if atom is None:  # a bare flag group such as (?i)
                continue
            items.append(self.repetitions(atom, start))
        return items[0] if len(items) == 1 else N.Seq(tuple(items))

    # -- repetition ---------------------------------------------------------------------------------

    def quantifier(self) -> tuple[int, int | None, int] | None:
        """Parse a quantifier at the cursor: (lo, hi, end) or None; the cursor does not move."""
        c = self.peek()
        if c == "*":
            return 0, None, self.i + 1
        if c == "+":
            return 1, None, self.i + 1
        if c == "?":
            return 0, 1, self.i + 1
        if c == "{":
            return self.braces(self.i)
        return None

    def braces(self, start: int) -> tuple[int, int | None, int] | None:
        """RE2 reads `{` as a literal unless it starts a well-formed {n}, {n,} or {n,m}."""
        s, j = self.s, start + 1
        k = j
        while k < len(s) and s[k].isascii() and s[k].isdigit():
            k += 1
        if k == j:
            return None
        lo, j = int(s[j:k]), k
        hi: int | None = None
        if j < len(s) and s[j] == ",":
            j += 1
            k = j
            while k < len(s) and s[k].isascii() and s[k].isdigit():
                k += 1
            if k > j:
                hi = int(s[j:k])
            j = k
        else:
            hi = lo
        if j >= len(s) or s[j] != "}":
            return None
        end = j + 1
        for count in (lo, hi):
            if count is not None and count > MAX_REPEAT:
                self.error(f"repetition count {count} is over the limit of {MAX_REPEAT}", start, end - start)
        if hi is not None and hi < lo:
            self.error(f"invalid repetition {s[start:end]}: the minimum is greater than the maximum",
                       start, end - start)
        return lo, hi, end

    def repetitions(self, atom: N.Node, start: int) -> N.Node:
        q = self.quantifier()
        if q is None:
            return atom
        lo, hi, end = q
        op_start = self.i
        self.i = end
        greedy = True
        if self.peek() == "?":
            greedy = False
            self.i += 1
        if self.flags & _FLAG_U:
            greedy = not greedy
        nested = self.quantifier()
        if nested is not None:
            nxt = nested[2]
            text = self.s[op_start:nxt]
            self.error(f"invalid nested repetition operator `{text}`", op_start, nxt - op_start,
                       "to repeat a repetition, wrap it in (?:...)")
        return N.Rep(atom, lo, hi, greedy)

    # -- atoms --------------------------------------------------------------------------------------

    def atom(self) -> N.Node | None:
        c = self.s[self.i]
        start = self.i
        if c == "(":
            return self.group()
        if c == "[":
            return self.char_class()
        q = self.quantifier() if c in "*+?{" else None
        if q is not None:
            end = q[2]
            self.error(f"missing argument to repetition operator `{self.s[start:end]}`", start, end - start,
                       "escape it with a backslash to match it literally")
        self.i += 1
        if c == ".":
            return N.Set(N.ALL if self.flags & _FLAG_S else N.NOT_NL)
        if c == "^":
            return N.Assert(TEXT_START)
        if c == "$":
            return N.Assert(TEXT_END)
        if c == "\\":
            self.i = start
            return self.escape_atom()
        return self.literal_char(c, start)

    def literal_char(self, c: str, start: int) -> N.Node:
        if c.isascii():
            return self.byte(ord(c))
        try:
            data = c.encode("utf-8")
        except UnicodeEncodeError:
            self.error("invalid character in pattern (a lone surrogate)", start)
        # A non-ASCII character stands for its UTF-8 bytes in sequence, repeated as one unit.
        return N.Seq(tuple(N.Set(1 << b) for b in data))

    def byte(self, b: int) -> N.Set:
        mask = 1 << b
        return N.Set(N.fold(mask) if self.flags & _FLAG_I else mask)

    def escape_atom(self) -> N.Node:
        c = self.peek(1)
        if c == "A":
            self.i += 2
            return N.Assert(TEXT_START)
        if c == "z":
            self.i += 2
            return N.Assert(TEXT_END)
        if c == "b":
            self.i += 2
            return N.Assert(WORD_BOUNDARY)
        if c == "B":
            self.i += 2
            return N.Assert(NOT_WORD_BOUNDARY)
        kind, value = self.escape(in_class=False)
        if kind == "byte":
            return self.byte(value)
        return N.Set(N.fold(value) if self.flags & _FLAG_I else value)

    def quoted(self) -> list[N.Node]:
        """\\Q...\\E: everything up to \\E (or the end) is literal text."""
        self.i += 2
        end = self.s.find("\\E", self.i)
        stop = len(self.s) if end < 0 else end
        items = [self.literal_char(self.s[j], j) for j in range(self.i, stop)]
        self.i = stop if end < 0 else end + 2
        return items

    def escape(self, in_class: bool) -> tuple[str, int]:
        """Parse one escape at the cursor; return ("byte", value) or ("set", mask)."""
        start = self.i
        if start + 1 >= len(self.s):
            self.error("trailing backslash at the end of the pattern", start)
        c = self.s[start + 1]
        self.i = start + 2
        if c in _SIMPLE_ESCAPES:
            return "byte", _SIMPLE_ESCAPES[c]
        if c.lower() in _SHORTHANDS:
            mask = _SHORTHANDS[c.lower()]
            return "set", mask if c.islower() else N.ALL & ~mask
        if c == "x":
            return "byte", self.hex_escape(start)
        if c.isascii() and not c.isalnum():
            return "byte", ord(c)
        if c in "123456789":
            self.error(f"back-references (\\{c}) are not supported: {_LINEAR}", start, 2)
        if c in "kg":
            self.error(f"back-references (\\{c}) are not supported: {_LINEAR}", start, 2)
        if c in "pP":
            self.error(f"Unicode classes (\\{c}) are not supported: kgw regexes match bytes", start, 2,
                       "use an explicit class such as [A-Za-z]")
        if c == "Z":
            self.error("\\Z is not supported: use \\z or $, which match only at the very end of the text",
                       start, 2)
        if in_class and c in "AzbBQ":
            self.error(f"\\{c} is not allowed inside a class", start, 2)
        self.error(f"invalid escape \\{c}", start, 2,
                   "only punctuation may be escaped to stand for itself")

    def hex_escape(self, start: int) -> int:
        s = self.s
        if self.peek() == "{":
            end = s.find("}", self.i)
            digits = s[self.i + 1:end] if end > 0 else ""
            if end < 0 or not digits or any(d not in _HEX for d in digits):
                length = (end + 1 if end > 0 else len(s)) - start
                self.error("invalid escape \\x{...}: expected hex digits and a closing }", start, length)
            self.i = end + 1
            value = int(digits, 16)
            if value > 0xFF:
                self.error(f"\\x{{{digits}}} is above 0xFF: kgw regexes match bytes", start, self.i - start,
                           "write the character itself to match its UTF-8 bytes")
            return value
        digits = s[self.i:self.i + 2]
        if len(digits) < 2 or any(d not in _HEX for d in digits):
            self.error("invalid escape \\x: expected two hex digits (\\x41) or \\x{41}", start,
                       min(len(s), self.i + 2) - start)
        self.i += 2
        return int(digits, 16)

    # -- classes ------------------------------------------------------------------------------------

    def char_class(self) -> N.Set:
        s, start = self.s, self.i
        self.i += 1
        negate = self.peek() == "^"
        if negate:
            self.i += 1
        mask, first = 0, True
        while True:
            if self.i >= len(s):
                self.error("missing closing ] of the class", start, len(s) - start)
            c = s[self.i]
            if c == "]" and not first:
                self.i += 1
                break
            first = False
            item = self.i
            if c == "[" and self.peek(1) == ":":
                posix = self.posix_class()
                if posix is not None:
                    mask |= posix
                    continue
            kind, lo = self.class_atom()
            if self.peek() == "-" and self.peek(1) not in ("]", ""):
                self.i += 1
                kind_hi, hi = self.class_atom()
                if kind == "set" or kind_hi == "set":
                    self.error("invalid class range: a class such as \\d cannot be a range end",
                               item, self.i - item)
                if hi < lo:
                    self.error(f"invalid class range {s[item:self.i]}: the end is below the start",
                               item, self.i - item)
                mask |= N.span(lo, hi)
            elif kind == "set":
                mask |= lo
            else:
                mask |= 1 << lo
        if self.flags & _FLAG_I:
            mask = N.fold(mask)
        if negate:
            mask = N.ALL & ~mask
        if mask == 0:
            self.error("empty class: it matches no byte", start, self.i - start)
        return N.Set(mask)

    def posix_class(self) -> int | None:
        s = self.s
        end = s.find(":]", self.i + 2)
        if end < 0:
            return None
        name = s[self.i + 2:end]
        negate = name.startswith("^")
        base = N.POSIX.get(name[1:] if negate else name)
        if base is None:
            self.error(f"unknown POSIX class [:{name}:]", self.i, end + 2 - self.i,
                       "known: " + " ".join(sorted(N.POSIX)))
        self.i = end + 2
        return N.ALL & ~base if negate else base

    def class_atom(self) -> tuple[str, int]:
        c = self.s[self.i]
        if c == "\\":
            return self.escape(in_class=True)
        if not c.isascii():
            self.error("non-ASCII character in a class: kgw regexes match bytes", self.i, 1,
                       "use an alternation such as (?:é|è), or \\xHH for a single byte")
        self.i += 1
        return "byte", ord(c)

    # -- groups -------------------------------------------------------------------------------------

    def group(self) -> N.Node | None:
        s, start = self.s, self.i
        name, capture = None, True
        if s.startswith("(?", start):
            rest = s[start + 2:start + 4]
            if rest[:1] in ("=", "!"):
                self.error(f"look-ahead is not supported: {_LINEAR}", start, 3)
            if rest in ("<=", "<!"):
                self.error(f"look-behind is not supported: {_LINEAR}", start, 4)
            if rest == "P=":
                self.error(f"back-references ((?P=name)) are not supported: {_LINEAR}", start, 4)
            if rest[:1] == ":":
                capture, self.i = False, start + 3
            elif rest == "P<" or rest[:1] == "<":
                name = self.group_name(start, start + (4 if rest == "P<" else 3))
            else:
                return self.flag_group(start)
        else:
            self.i = start + 1
        index = None
        if capture:
            if self.ngroups >= MAX_GROUPS:
                self.error(f"too many capture groups: the limit is {MAX_GROUPS}", start, 1,
                           "use (?:...) for groups that need no capture")
            self.ngroups += 1
            index = self.ngroups
            self.names.append(name)
        return self.group_body(start, capture, index, name)

    def group_body(self, start: int, capture: bool, index: int | None, name: str | None,
                   flags: int | None = None) -> N.Node:
        self.depth += 1
        if self.depth > MAX_NESTING:
            self.error(f"groups are nested too deeply: the limit is {MAX_NESTING}", start)
        saved = self.flags
        if flags is not None:
            self.flags = flags
        body = self.alternation()
        if self.peek() != ")":
            self.error("missing closing ): this ( is not closed", start)
        self.i += 1
        self.flags = saved
        self.depth -= 1
        if not capture:
            return body
        assert index is not None  # a capture has its group number
        return N.Cap(body, index, name)

    def group_name(self, start: int, name_start: int) -> str:
        s = self.s
        end = s.find(">", name_start)
        if end < 0:
            self.error("missing > after the group name", start, len(s) - start)
        name = s[name_start:end]
        if not _is_name(name):
            self.error(f"invalid capture group name `{name}`", name_start, max(1, end - name_start),
                       "a name is a letter or _ followed by letters, digits and _")
        if name in self.names:
            self.error(f"duplicate capture group name `{name}`", name_start, end - name_start)
        self.i = end + 1
        return name

    def flag_group(self, start: int) -> N.Node | None:
        s, j = self.s, start + 2
        flags, negated, seen = self.flags, False, False
        while j < len(s) and s[j] not in ":)":
            c = s[j]
            if c == "-" and not negated:
                negated, seen = True, False
            elif c in _FLAGS:
                flags = flags & ~_FLAGS[c] if negated else flags | _FLAGS[c]
                seen = True
            elif c == "m":
                self.error("flag m (multi-line) is not supported: ^ and $ match only at the start and "
                           "end of the text", j, 1)
            else:
                what = "group syntax" if j == start + 2 else "flag"
                self.error(f"unknown {what} `(?{s[start + 2:j + 1]}`", start, j + 1 - start,
                           "supported: (?:...), (?P<name>...), (?<name>...) and the flags i, s, U")
            j += 1
        if j >= len(s):
            self.error("missing closing ): this ( is not closed", start)
        if not seen:
            self.error("missing flag in a flag group", start, j + 1 - start)
        if s[j] == ")":
            self.i = j + 1
            self.flags = flags  # (?i) lasts until the end of the enclosing group
            return None
        self.i = j + 1
        return self.group_body(start, False, None, None, flags)
