"""Running and listing a RegexProgram (the data class of kgw_rules.wire.regex)."""
from __future__ import annotations

from ..wire.regex import ASSERT, ASSERT_KINDS, BY_CODE, BYTE, BYTE_FOLD, CLASS, JMP, SAVE, SPLIT, RegexProgram
from .limits import replace_budget
from .pike import Groups, Matcher


def _matcher(prog: RegexProgram) -> Matcher:
    if prog.matcher is None:
        object.__setattr__(prog, "matcher", Matcher(prog))  # a cache on a frozen program
    assert isinstance(prog.matcher, Matcher)
    return prog.matcher


def search(prog: RegexProgram, data: bytes | bytearray | memoryview, pos: int = 0) -> Groups | None:
    """Leftmost-first match at or after `pos`: [(start, end) or None per group], group 0 first."""
    return _matcher(prog).search(bytes(data), pos)


def search_stop(prog: RegexProgram, data: bytes, pos: int = 0) -> tuple[Groups | None, int]:
    """(search's result, the position where the matcher stopped): see Matcher.search_stop."""
    return _matcher(prog).search_stop(bytes(data), pos)


def replace_all(prog: RegexProgram, data: bytes, repl: bytes) -> bytes:
    """Replace every match, with no work budget (library use and tests)."""
    out, _ = _matcher(prog).replace_all(bytes(data), bytes(repl))
    assert out is not None  # no budget, so never cut
    return out


def replace_all_budgeted(prog: RegexProgram, data: bytes, repl: bytes,
                         budget: int | None = None) -> tuple[bytes | None, int]:
    """(result, work) under the replace-all work budget (default: replace_budget(len(data)));
    the result is None when the budget ran out. This is what `replace()` and `replace body` run."""
    data = bytes(data)
    return _matcher(prog).replace_all(data, bytes(repl), replace_budget(len(data)) if budget is None else budget)


def disassemble_regex(prog: RegexProgram) -> list[str]:
    return [f"{pc:04d} {_describe(prog, op, a, b)}".rstrip() for pc, (op, a, b) in enumerate(prog.insts)]


def _describe(prog: RegexProgram, op: int, a: int, b: int) -> str:
    name = f"{BY_CODE[op].name:<10}"
    if op == BYTE:
        return f"{name} {_byte(a)}"
    if op == BYTE_FOLD:
        return f"{name} {_byte(a)}/{_byte(a - 0x20)}"
    if op == CLASS:
        return f"{name} {a} {render_class(prog.classes[a])}"
    if op == SPLIT:
        return f"{name} {a}, {b}"
    if op == JMP:
        return f"{name} {a}"
    if op == SAVE:
        group = a // 2
        label = prog.group_names[group] if group < len(prog.group_names) else None
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
