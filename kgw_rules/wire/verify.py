"""Verification of one phase's code: operands in range, forward jumps onto instruction starts, phase
rules, and a stack depth that is the same on every path (jumps only go forward, so one pass suffices)."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .errors import VerifyError
from .limits import MAX_STACK
from .opcodes import (
    BY_CODE,
    FIELDS,
    MAX_DESCRIPTOR_KEY,
    RESPONSE_ONLY_FIELDS,
    Op,
    descriptor_key_ok,
    operand_struct,
    variable_pops,
)
from .regex import RegexProgram


def valid_range_constant(const: bytes) -> bool:
    """IN_CIDR's constant: 4 or 16 network bytes, then a prefix length that fits them."""
    return len(const) in (5, 17) and const[-1] <= (len(const) - 1) * 8

STRING_OPERAND = {"HDR", "HDR_ALL", "REQ_HDR", "QUERY", "COOKIE", "JSON", "SET_HDR", "ADD_HDR", "DEL_HDR",
                   "REN_HDR", "SET_QUERY", "DEL_QUERY", "SET_JSON", "DEL_JSON", "ENV", "SET_LOG", "SET_DESC",
                   "JSON_OF", "IN_CIDR"}
# Header names of these must not start with ':' -- the compiler never emits one (pseudo-headers are
# fields), and the two engines would treat hand-made ones differently.
_HEADER_OPERAND = {"HDR", "HDR_ALL", "REQ_HDR", "SET_HDR", "ADD_HDR", "DEL_HDR", "REN_HDR"}
_REGEX_OPERAND = {"REPLACE", "MATCH", "MATCH_CAP", "REPLACE_BODY"}
_JUMPS = {"JMP", "JMPF", "JMPF_KEEP", "JMPT_KEEP"}
_ENDS = {"JMP", "STOP", "RESPOND"}  # no fall-through


@dataclass(frozen=True)
class Instruction:
    pc: int
    op: Op
    operands: tuple[int, ...]
    end: int  # pc of the next instruction

    @property
    def target(self) -> int:
        return self.end + self.operands[0]


def decode_code(code: bytes, wide: bool = False) -> list[Instruction]:
    """The instructions of one phase; `wide`: the program has the WIDE flag (two-byte constant indexes)."""
    out: list[Instruction] = []
    pc = 0
    while pc < len(code):
        op = BY_CODE.get(code[pc])
        if op is None:
            raise VerifyError(f"unknown opcode 0x{code[pc]:02x} at pc {pc}")
        size = op.size(wide)
        if pc + size > len(code):
            raise VerifyError(f"truncated {op.name} at pc {pc}")
        packing = operand_struct(op.fmt, wide)
        operands = packing.unpack_from(code, pc + 1) if packing else ()
        out.append(Instruction(pc, op, tuple(operands), pc + size))
        pc += size
    return out


def _check_operands(ins: Instruction, phase: str, constants: Sequence[bytes | int], regexes: Sequence[RegexProgram],
                    nvars: int) -> None:
    name, ops, where = ins.op.name, ins.operands, f"{ins.op.name} at pc {ins.pc}"
    if ins.op.phases == "rq" and phase != "request" or ins.op.phases == "rs" and phase != "response":
        raise VerifyError(f"{where} is not allowed in the {phase} phase")
    if name == "CONST" and ops[0] >= len(constants):
        raise VerifyError(f"{where}: constant {ops[0]} out of range")
    if name in STRING_OPERAND:
        for index in ops:
            text = constants[index] if index < len(constants) else None
            if not isinstance(text, bytes):
                raise VerifyError(f"{where}: operand {index} is not a string constant")
            if name in _HEADER_OPERAND and text.startswith(b":"):
                raise VerifyError(f"{where}: header name {text!r} is a pseudo-header")
            if name == "SET_DESC" and not descriptor_key_ok(text):
                raise VerifyError(f"{where}: descriptor key {text!r} is not [a-z0-9][a-z0-9_-]* of at most "
                                  f"{MAX_DESCRIPTOR_KEY} bytes")
            if name == "IN_CIDR" and not valid_range_constant(text):
                raise VerifyError(f"{where}: constant {index} is not a range (4 or 16 bytes and a prefix length)")
    if name in ("LOAD", "STORE") and ops[0] >= nvars:
        raise VerifyError(f"{where}: variable {ops[0]} out of range")
    if name in _REGEX_OPERAND:
        if ops[0] >= len(regexes):
            raise VerifyError(f"{where}: regex {ops[0]} out of range")
        if name == "MATCH_CAP" and ops[1] + regexes[ops[0]].ngroups > nvars:
            raise VerifyError(f"{where}: capture variables {ops[1]}.. out of range")
    if name == "FIELD":
        if ops[0] >= len(FIELDS):
            raise VerifyError(f"{where}: field {ops[0]} out of range")
        if FIELDS[ops[0]] in RESPONSE_ONLY_FIELDS and phase != "response":
            raise VerifyError(f"{where}: field {FIELDS[ops[0]]} is only readable in the response phase")
    if name == "RESPOND" and not 200 <= ops[0] <= 599:
        raise VerifyError(f"{where}: status {ops[0]} outside 200-599")
    if name == "IN" and ops[0] == 0:
        raise VerifyError(f"{where}: needs at least one item")


def check_code(code: bytes, phase: str, constants: Sequence[bytes | int], regexes: Sequence[RegexProgram],
               nvars: int, wide: bool = False) -> int:
    """Verify one phase's code; returns the maximum stack depth it needs."""
    program = decode_code(code, wide)
    starts = {ins.pc for ins in program} | {len(code)}
    depth_at: dict[int, int] = {0: 0} if program else {}
    max_depth = 0

    def arrive(pc: int, depth: int, source: Instruction) -> None:
        if pc not in starts:
            raise VerifyError(f"{source.op.name} at pc {source.pc} jumps to {pc}, "
                              + ("past the end" if pc > len(code) else "inside an instruction"))
        if depth_at.setdefault(pc, depth) != depth:
            raise VerifyError(f"stack depths {depth_at[pc]} and {depth} disagree at pc {pc}")

    for ins in program:
        _check_operands(ins, phase, constants, regexes, nvars)
        name = ins.op.name
        if name in _JUMPS and ins.target > len(code):
            raise VerifyError(f"{name} at pc {ins.pc} jumps to {ins.target}, past the end")
        depth = depth_at.get(ins.pc)
        if depth is None:  # unreachable: operands are checked, the stack is not
            continue
        pops = variable_pops(ins.op, ins.operands)
        if depth < pops:
            raise VerifyError(f"stack underflow at pc {ins.pc} ({name} pops {pops}, depth is {depth})")
        after = depth - pops + ins.op.pushes
        max_depth = max(max_depth, after)
        if max_depth > MAX_STACK:
            raise VerifyError(f"stack depth exceeds {MAX_STACK} at pc {ins.pc}")
        if name in ("JMPF_KEEP", "JMPT_KEEP"):
            arrive(ins.target, depth, ins)
            after = depth - 1
        elif name in ("JMP", "JMPF"):
            arrive(ins.target, after, ins)
        if name in ("STOP", "RESPOND") and after != 0:
            raise VerifyError(f"{name} at pc {ins.pc} leaves {after} values on the stack")
        if name not in _ENDS:
            arrive(ins.end, after, ins)
    if depth_at.get(len(code), 0) != 0:
        raise VerifyError(f"the {phase} phase ends with {depth_at[len(code)]} values on the stack")
    return max_depth
