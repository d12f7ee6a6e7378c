"""Thompson construction of a Pike-VM program from a parsed tree."""
from __future__ import annotations

from ..wire.regex import ANY, ANY_NOT_NL, ASSERT, BYTE, BYTE_FOLD, CLASS, JMP, MATCH, SAVE, SPLIT, RegexProgram
from . import nodes as N
from .errors import RegexError
from .limits import MAX_INSTRUCTIONS, MAX_PATTERN_BYTES
from .parse import parse


def compile_regex(pattern: str) -> RegexProgram:
    if not isinstance(pattern, str):
        raise TypeError(f"pattern must be str, not {type(pattern).__name__}")
    try:
        size = len(pattern.encode("utf-8"))
    except UnicodeEncodeError as e:
        raise RegexError("invalid character in pattern (a lone surrogate)", e.start, 1) from None
    if size > MAX_PATTERN_BYTES:
        raise RegexError(f"regex pattern is {size} bytes; the limit is {MAX_PATTERN_BYTES}", 0, len(pattern))
    parsed = parse(pattern)
    total = program_size(parsed.tree) + 1  # + MATCH
    if total > MAX_INSTRUCTIONS:
        raise RegexError(f"regex compiles to {total} matcher instructions; the limit is {MAX_INSTRUCTIONS}",
                         0, len(pattern), "lower the counts of {n,m} repetitions")
    em = _Emitter()
    em.emit(parsed.tree)
    em.add(MATCH)
    return RegexProgram(tuple((op, a, b) for op, a, b in em.insts), tuple(em.classes), parsed.ngroups,
                        tuple(parsed.names), pattern=pattern)


def program_size(node: N.Node) -> int:
    """The instruction count `_Emitter.emit` will produce, computed without expanding repetitions."""
    if isinstance(node, (N.Set, N.Assert)):
        return 1
    if isinstance(node, N.Seq):
        return sum(program_size(x) for x in node.items)
    if isinstance(node, N.Alt):
        return sum(program_size(x) for x in node.items) + 2 * (len(node.items) - 1)
    if isinstance(node, N.Cap):
        return program_size(node.sub) + 2
    s = program_size(node.sub)
    if node.hi is None:
        return s + 2 if node.lo == 0 else node.lo * s + 1
    return node.lo * s + (node.hi - node.lo) * (s + 1)


def nullable(node: N.Node) -> bool:
    """Whether the node can match the empty string (assertions count as empty)."""
    if isinstance(node, N.Set):
        return False
    if isinstance(node, N.Assert):
        return True
    if isinstance(node, N.Seq):
        return all(nullable(x) for x in node.items)
    if isinstance(node, N.Alt):
        return any(nullable(x) for x in node.items)
    if isinstance(node, N.Cap):
        return nullable(node.sub)
    return node.lo == 0 or nullable(node.sub)


class _Emitter:
    def __init__(self) -> None:
        self.insts: list[list[int]] = []
        self.classes: list[int] = []
        self.class_index: dict[int, int] = {}

    def add(self, op: int, a: int = 0, b: int = 0) -> int:
        self.insts.append([op, a, b])
        return len(self.insts) - 1

    def emit(self, node: N.Node) -> None:
        if isinstance(node, N.Set):
            self.emit_set(node.mask)
        elif isinstance(node, N.Assert):
            self.add(ASSERT, node.kind)
        elif isinstance(node, N.Seq):
            for item in node.items:
                self.emit(item)
        elif isinstance(node, N.Alt):
            self.emit_alt(node.items)
        elif isinstance(node, N.Cap):
            self.add(SAVE, 2 * node.index)
            self.emit(node.sub)
            self.add(SAVE, 2 * node.index + 1)
        else:
            self.emit_rep(node)

    def emit_set(self, mask: int) -> None:
        if mask == N.ALL:
            self.add(ANY)
        elif mask == N.NOT_NL:
            self.add(ANY_NOT_NL)
        elif mask & (mask - 1) == 0:
            self.add(BYTE, mask.bit_length() - 1)
        elif (low := mask.bit_length() - 1) in range(0x61, 0x7B) and mask == 1 << low | 1 << (low - 0x20):
            self.add(BYTE_FOLD, low)  # a (?i) letter: one two-byte instruction instead of a class
        else:
            idx = self.class_index.get(mask)
            if idx is None:
                idx = self.class_index[mask] = len(self.classes)
                self.classes.append(mask)
            self.add(CLASS, idx)

    def emit_alt(self, items: tuple[N.Node, ...]) -> None:
        jumps = []
        for item in items[:-1]:
            split = self.add(SPLIT, len(self.insts) + 1)
            self.emit(item)
            jumps.append(self.add(JMP))
            self.insts[split][2] = len(self.insts)
        self.emit(items[-1])
        for j in jumps:
            self.insts[j][1] = len(self.insts)

    def split(self, body: int, greedy: bool) -> int:
        """A SPLIT preferring `body` when greedy; the other target is patched by `exit_to`."""
        return self.add(SPLIT, body, 0) if greedy else self.add(SPLIT, 0, body)

    def exit_to(self, split: int, greedy: bool, target: int) -> None:
        self.insts[split][2 if greedy else 1] = target

    def emit_rep(self, node: N.Rep) -> None:
        sub, lo, hi, greedy = node.sub, node.lo, node.hi, node.greedy
        if hi is None:
            if lo == 0 and nullable(sub):
                # As in RE2 and Go: a loop whose body can match empty is compiled as (x+)? so that
                # an empty iteration is still preferred over leaving the loop.
                skip = self.split(len(self.insts) + 1, greedy)
                self.emit_rep(N.Rep(sub, 1, None, greedy))
                self.exit_to(skip, greedy, len(self.insts))
                return
            if lo == 0:  # L: SPLIT body, out; body; JMP L
                loop = self.split(len(self.insts) + 1, greedy)
                self.emit(sub)
                self.add(JMP, loop)
                self.exit_to(loop, greedy, len(self.insts))
                return
            for _ in range(lo - 1):
                self.emit(sub)
            top = len(self.insts)  # L: body; SPLIT L, out
            self.emit(sub)
            back = self.split(top, greedy)
            self.exit_to(back, greedy, len(self.insts))
            return
        for _ in range(lo):
            self.emit(sub)
        # x{0,k} as nested optionals (x(x(x)?)?)?: every skip jumps straight past the last copy.
        splits = []
        for _ in range(hi - lo):
            splits.append(self.split(len(self.insts) + 1, greedy))
            self.emit(sub)
        for s in splits:
            self.exit_to(s, greedy, len(self.insts))
