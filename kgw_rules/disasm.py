"""A stable, readable listing of a program: the test oracle of the compiler's golden tests."""
from __future__ import annotations

from .regex.match import disassemble_regex
from .wire.flags import FLAG_NAMES, FLAG_WIDE, PHASES
from .wire.opcodes import FIELDS
from .wire.program import VERSION, Constant, ProgramImage
from .wire.verify import STRING_OPERAND, decode_code


def _const(value: Constant) -> str:
    if isinstance(value, bytes):
        text = value.decode("utf-8", "backslashreplace")
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r") + '"'
    return str(value)


def _operands(name: str, ops: tuple[int, ...], end: int, constants: list[Constant]) -> str:
    if name.startswith("JMP"):
        return f"-> {end + ops[0]}"
    if name == "CONST" or name in STRING_OPERAND:
        return "  ".join(f"{i} {_const(constants[i])}" for i in ops)
    if name == "FIELD":
        return FIELDS[ops[0]]
    if name in ("LOAD", "STORE"):
        return f"v{ops[0]}"
    if name in ("MATCH", "REPLACE", "REPLACE_BODY"):
        return f"re{ops[0]}"
    if name == "MATCH_CAP":
        return f"re{ops[0]} -> v{ops[1]}.."
    if name == "RESPOND":
        return f"{ops[0]} headers={ops[1]} body={'yes' if ops[2] else 'no'}"
    return " ".join(str(o) for o in ops)


def disassemble(program: ProgramImage) -> str:
    flags = [n for bit, n in FLAG_NAMES if program.flags & bit]
    out = [f"; kgw bytecode v{VERSION}  flags: {' '.join(flags) or '-'}  vars: {program.nvars}  "
           f"max stack: {program.max_stack}"]
    out.append(f"constants ({len(program.constants)}):")
    out += [f"  {i:4d}  {_const(c)}" for i, c in enumerate(program.constants)]
    out.append(f"regexes ({len(program.regexes)}):")
    for i, regex in enumerate(program.regexes):
        names = ", ".join(n or "-" for n in regex.group_names[1:])
        out.append(f"  re{i}  groups: {regex.ngroups}" + (f" ({names})" if names else ""))
        out += [f"        {line}" for line in disassemble_regex(regex)]
    lines = {(e.phase, e.pc): e.line for e in (program.lines or [])}
    for phase, code in enumerate(program.code):
        if not code:
            continue
        out.append(f"on {PHASES[phase]} ({len(code)} bytes):")
        for ins in decode_code(code, bool(program.flags & FLAG_WIDE)):
            line = lines.get((phase, ins.pc))
            mark = f"; line {line}" if line else ""
            text = f"{ins.op.name:<12} {_operands(ins.op.name, ins.operands, ins.end, program.constants)}".rstrip()
            out.append(f"  {ins.pc:5d}  {text:<44} {mark}".rstrip())
    return "\n".join(out) + "\n"
