"""RegexProgram: a compiled (or decoded and verified) matcher program."""
from __future__ import annotations

from .opcodes import ASSERT_KINDS, BY_CODE, BYTE, CLASS, JMP, SAVE, SPLIT, ASSERT, replace_budget


class RegexProgram:
    """Instructions are (opcode, a, b) triples; unused operands are 0.

    Slots 2k and 2k+1 hold the start and end of capture group k (k >= 1). Group 0 (the whole match)
    has no SAVE instructions: the matcher records where each thread started and where it matched.
    """

    def __init__(self, insts, classes, ngroups: int, group_names, pattern: str | None = None):
        self.insts: tuple[tuple[int, int, int], ...] = tuple(tuple(i) for i in insts)
        self.classes: tuple[int, ...] = tuple(classes)
        self.ngroups = ngroups
        self.group_names: tuple[str | None, ...] = tuple(group_names)
        self.pattern = pattern  # None when decoded from bytes; not part of equality
        self._matcher = None

    def __eq__(self, other) -> bool:
        if not isinstance(other, RegexProgram):
            return NotImplemented
        return (self.insts, self.classes, self.ngroups, self.group_names) == (
            other.insts, other.classes, other.ngroups, other.group_names)

    def __hash__(self) -> int:
        return hash((self.insts, self.classes, self.ngroups, self.group_names))

    def __repr__(self) -> str:
        what = repr(self.pattern) if self.pattern is not None else f"{len(self.insts)} instructions"
        return f"<RegexProgram {what}>"

    # -- encoding -----------------------------------------------------------------------------------

    def to_bytes(self) -> bytes:
        from .encoding import encode
        return encode(self)

    @classmethod
    def from_bytes(cls, data) -> "RegexProgram":
        from .encoding import decode
        return decode(data)

    # -- matching -----------------------------------------------------------------------------------

    def _get_matcher(self):
        if self._matcher is None:
            from .pike import Matcher
            self._matcher = Matcher(self)
        return self._matcher

    def search(self, data: bytes, pos: int = 0):
        """Leftmost-first match at or after `pos`: [(start, end) or None per group], group 0 first."""
        return self._get_matcher().search(bytes(data), pos)

    def search_stop(self, data: bytes, pos: int = 0):
        """(search's result, the position where the matcher stopped): see Matcher.search_stop."""
        return self._get_matcher().search_stop(bytes(data), pos)

    def replace_all(self, data: bytes, repl: bytes) -> bytes:
        """Replace every match, with no work budget (library use and tests)."""
        return self._get_matcher().replace_all(bytes(data), bytes(repl))[0]

    def replace_all_budgeted(self, data: bytes, repl: bytes, budget: int | None = None):
        """(result, work) under the replace-all work budget (default: replace_budget(len(data)));
        the result is None when the budget ran out. This is what `replace()` and `replace body` run."""
        data = bytes(data)
        return self._get_matcher().replace_all(data, bytes(repl), replace_budget(len(data)) if budget is None else budget)

    # -- listing ------------------------------------------------------------------------------------

    def disassemble(self) -> list[str]:
        return [f"{pc:04d} {self._describe(op, a, b)}".rstrip() for pc, (op, a, b) in enumerate(self.insts)]

    def _describe(self, op: int, a: int, b: int) -> str:
        name = f"{BY_CODE[op].name:<10}"
        if op == BYTE:
            return f"{name} {_byte(a)}"
        if op == CLASS:
            return f"{name} {a} {render_class(self.classes[a])}"
        if op == SPLIT:
            return f"{name} {a}, {b}"
        if op == JMP:
            return f"{name} {a}"
        if op == SAVE:
            group = a // 2
            label = self.group_names[group] if group < len(self.group_names) else None
            named = f" {label!r}" if label else ""
            return f"{name} {a} (group {group}{named} {'end' if a % 2 else 'start'})"
        if op == ASSERT:
            return f"{name} {ASSERT_KINDS[a].name}"
        return name


def _byte(b: int) -> str:
    c = chr(b)
    return f"'{c}'" if 0x20 <= b < 0x7F and c not in "'\\" else f"0x{b:02x}"


def _class_char(b: int) -> str:
    c = chr(b)
    return c if 0x20 < b < 0x7F and c not in "]\\^-[" else f"\\x{b:02x}"


def render_class(mask: int) -> str:
    """Stable text for a byte set; sets of more than half the bytes are shown negated."""
    negate = bin(mask).count("1") > 128
    if negate:
        mask = ((1 << 256) - 1) & ~mask
    parts, b = [], 0
    while b < 256:
        if mask >> b & 1:
            e = b
            while e + 1 < 256 and mask >> (e + 1) & 1:
                e += 1
            if e == b:
                parts.append(_class_char(b))
            elif e == b + 1:
                parts.append(_class_char(b) + _class_char(e))
            else:
                parts.append(f"{_class_char(b)}-{_class_char(e)}")
            b = e + 1
        else:
            b += 1
    return "[" + ("^" if negate else "") + "".join(parts) + "]"
