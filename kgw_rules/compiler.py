"""Checked syntax tree -> bytecode Program."""
from __future__ import annotations

import struct

from . import ast as A
from .builtins import FUNCTION_OPCODES
from .bytecode import Decision, Program
from .checker import Checked
from .diagnostics import Diagnostic, Span
from .literals import literal_text
from .runtime.cidr import range_constant
from .wire.flags import FLAG_LINES, FLAG_REQUEST, FLAG_REQUEST_BODY, FLAG_RESPONSE, FLAG_RESPONSE_BODY, FLAG_WIDE
from .wire.limits import MAX_CODE_BYTES, MAX_CONSTANTS
from .wire.opcodes import BY_NAME, FIELDS, IDENTITY_HEADERS, operand_struct
from .wire.program import Constant, LineEntry, is_wide
from .wire.regex import RegexProgram, encode_regex
from .wire.verify import check_code

_SET_FIELD = {"path": "SET_PATH", "method": "SET_METHOD", "host": "SET_HOST", "status": "SET_STATUS",
              "body": "SET_BODY"}
_LOOKUP = {"header": "HDR", "header_all": "HDR_ALL", "request_header": "REQ_HDR", "query": "QUERY",
           "cookie": "COOKIE", "json": "JSON", "env": "ENV"}
# identity functions without arguments: the request header an authentication filter sets (docs/security.md)
_IDENTITY_READS = {"basic_auth_user": IDENTITY_HEADERS["basic_auth"], "api_key_client": IDENTITY_HEADERS["api_key"]}
Folded = Constant | bool | None  # the value of a top-level `let`
_HEADER_LOOKUPS = {"header", "header_all", "request_header"}


class _Pools:
    def __init__(self) -> None:
        self.constants: list[Constant] = []
        self._const_index: dict[tuple[type, Constant], int] = {}
        self.regexes: list[RegexProgram] = []
        self._regex_index: dict[bytes, int] = {}

    def const(self, value: Constant) -> int:
        key = (type(value), value)
        if key not in self._const_index:
            self._const_index[key] = len(self.constants)
            self.constants.append(value)
        return self._const_index[key]

    def regex(self, prog: RegexProgram) -> int:
        blob = encode_regex(prog)
        if blob not in self._regex_index:
            self._regex_index[blob] = len(self.regexes)
            self.regexes.append(prog)
        return self._regex_index[blob]


class _Emitter:
    def __init__(self, checked: Checked, pools: _Pools, const_values: dict[int, Folded], phase: int,
                 wide: bool = False):
        self.checked, self.pools, self.const_values, self.phase = checked, pools, const_values, phase
        self.wide = wide  # two-byte constant indexes (the program has more than 256 constants)
        self.code = bytearray()
        self.lines: list[LineEntry] = []
        self.decisions: list[Decision] = []
        self.too_long: Diagnostic | None = None  # the first jump that cannot reach its target

    def emit(self, name: str, *operands: int) -> int:
        op = BY_NAME[name]
        pc = len(self.code)
        self.code.append(op.code)
        packing = operand_struct(op.fmt, self.wide)
        if packing and op.fmt in ("k", "kk") and not self.wide:
            operands = tuple(k & 0xFF for k in operands)  # a narrow first pass that outgrows a byte is redone WIDE
        if packing:
            self.code += packing.pack(*operands)
        return pc

    def jump(self, name: str) -> int:
        return self.emit(name, 0)

    def land(self, jump_pc: int, construct: str, span: Span, start: int) -> None:
        """Point the jump at jump_pc to the current end of code. A jump skips at most 65,535 bytes, so a
        construct (starting at pc `start`) that outgrows it is reported at `span`, as the phase limit."""
        offset = len(self.code) - (jump_pc + 3)
        if offset <= 0xFFFF:
            struct.pack_into("<H", self.code, jump_pc + 1, offset)
        elif self.too_long is None:
            self.too_long = Diagnostic("error", span, f"{construct} compiles to {len(self.code) - start} bytes "
                                       f"of bytecode; the limit is {MAX_CODE_BYTES} per phase")

    # ---- statements
    def block(self, block: A.Block) -> None:
        for stmt in block.stmts:
            self.lines.append(LineEntry(self.phase, len(self.code), stmt.span.line, stmt.span.col))
            getattr(self, "s_" + type(stmt).__name__)(stmt)

    def s_Let(self, s: A.Let) -> None:
        self.expr(s.value)
        self.emit("STORE", self.checked.lets[id(s)].slot)

    def s_SetHeader(self, s: A.SetHeader) -> None:
        self.expr(s.value)
        self.emit("SET_HDR" if s.mode == "set" else "ADD_HDR", self.str_const(s.name.value))

    def s_RemoveHeader(self, s: A.RemoveHeader) -> None:
        self.emit("DEL_HDR", self.str_const(s.name.value))

    def s_RenameHeader(self, s: A.RenameHeader) -> None:
        self.emit("REN_HDR", self.str_const(s.source.value), self.str_const(s.target.value))

    def s_SetQuery(self, s: A.SetQuery) -> None:
        self.expr(s.value)
        self.emit("SET_QUERY", self.str_const(s.name.value))

    def s_RemoveQuery(self, s: A.RemoveQuery) -> None:
        self.emit("DEL_QUERY", self.str_const(s.name.value))

    def s_SetLog(self, s: A.SetLog) -> None:
        self.expr(s.value)
        self.emit("SET_LOG", self.str_const(s.name.value))

    def s_SetJson(self, s: A.SetJson) -> None:
        self.expr(s.value)
        self.emit("SET_JSON", self.str_const(s.path.value))

    def s_RemoveJson(self, s: A.RemoveJson) -> None:
        self.emit("DEL_JSON", self.str_const(s.path.value))

    def s_SetDescriptor(self, s: A.SetDescriptor) -> None:
        self.expr(s.value)
        self.emit("SET_DESC", self.str_const(s.key.value))

    def s_SetField(self, s: A.SetField) -> None:
        self.expr(s.value)
        self.emit(_SET_FIELD[s.field.value])

    def s_ReplaceBody(self, s: A.ReplaceBody) -> None:
        self.expr(s.value)
        self.emit("REPLACE_BODY", self.regex(s.regex))

    def s_Respond(self, s: A.Respond) -> None:
        for name, value in s.headers:
            self.emit("CONST", self.str_const(name.value))
            self.expr(value)
        if s.body is not None:
            self.expr(s.body)
        self.emit("RESPOND", s.status, len(s.headers), 1 if s.body is not None else 0)

    def s_Stop(self, s: A.Stop) -> None:
        self.emit("STOP")

    def s_If(self, s: A.If) -> None:
        start, keyword = len(self.code), Span(s.span.line, s.span.col, s.span.line, s.span.col + 2)
        ends: list[int] = []
        for i, (cond, body) in enumerate(s.branches):
            self.expr(cond)
            skip = self.jump("JMPF")
            self.decisions.append(Decision(self.phase, skip, cond.span.line, cond.span.col, "else if" if i else "if"))
            self.block(body)
            if i < len(s.branches) - 1 or s.orelse is not None:
                ends.append(self.jump("JMP"))
            self.land(skip, "`if`", keyword, start)
        if s.orelse is not None:
            self.block(s.orelse)
        for pc in ends:
            self.land(pc, "`if`", keyword, start)

    # ---- expressions
    def str_const(self, text: str) -> int:
        return self.pools.const(text.encode("utf-8"))

    def regex(self, lit: A.RegexLit) -> int:
        return self.pools.regex(self.checked.regexes[id(lit)])

    def value(self, value: Constant | bool | None) -> None:
        if value is None:
            self.emit("NONE")
        elif value is True or value is False:
            self.emit("TRUE" if value else "FALSE")
        else:
            self.emit("CONST", self.pools.const(value))

    def expr(self, e: A.Expr) -> None:
        getattr(self, "e_" + type(e).__name__)(e)

    def e_Str(self, e: A.Str) -> None:
        text = literal_text(e)
        if text is not None:
            self.value(text.encode("utf-8"))
            return
        for part in e.parts:
            if isinstance(part, str):
                self.value(part.encode("utf-8"))
            else:
                self.expr(part)
        self.emit("CONCAT", len(e.parts))

    def e_Int(self, e: A.Int) -> None:
        self.value(e.value)

    def e_Bool(self, e: A.Bool) -> None:
        self.value(e.value)

    def e_NoneLit(self, e: A.NoneLit) -> None:
        self.emit("NONE")

    def e_Name(self, e: A.Name) -> None:
        target = self.checked.names[id(e)]
        if isinstance(target, str):
            self.emit("FIELD", FIELDS.index(target))
        elif target.kind == "const":
            self.value(self.const_values[id(target)])
        else:
            self.emit("LOAD", target.slot)

    def e_Not(self, e: A.Not) -> None:
        self.expr(e.operand)
        self.emit("NOT")

    def e_BoolOp(self, e: A.BoolOp) -> None:
        start, jumps = len(self.code), []
        for operand in e.operands[:-1]:
            self.expr(operand)
            jumps.append(self.jump("JMPF_KEEP" if e.op == "and" else "JMPT_KEEP"))
        self.expr(e.operands[-1])
        for pc in jumps:
            self.land(pc, f"`{e.op}`", e.span, start)

    def e_Compare(self, e: A.Compare) -> None:
        self.expr(e.left)
        self.expr(e.right)
        self.emit({"==": "EQ", "!=": "NE", "<": "LT", "<=": "LE", ">": "GT", ">=": "GE"}[e.op])

    def e_Match(self, e: A.Match) -> None:
        self.expr(e.subject)
        symbols = self.checked.captures.get(id(e))
        if symbols and any(symbols):
            base = next(s.slot - i for i, s in enumerate(symbols) if s is not None)
            self.emit("MATCH_CAP", self.regex(e.regex), base)
        else:
            self.emit("MATCH", self.regex(e.regex))
        if e.negated:
            self.emit("NOT")

    def e_In(self, e: A.In) -> None:
        self.expr(e.subject)
        for item in e.items:
            self.expr(item)
        self.emit("IN", len(e.items))

    def e_Add(self, e: A.Add) -> None:
        if self.checked.types[id(e)].base == "int":
            self.expr(e.operands[0])
            for operand in e.operands[1:]:
                self.expr(operand)
                self.emit("ADD")
            return
        for operand in e.operands:
            self.expr(operand)
        self.emit("CONCAT", len(e.operands))

    def e_Call(self, e: A.Call) -> None:
        if e.fn in _IDENTITY_READS:
            self.emit("REQ_HDR", self.str_const(_IDENTITY_READS[e.fn]))
            return
        if e.fn == "in_cidr":
            cidr = literal_text(e.args[1])
            const = range_constant(cidr.encode()) if cidr is not None else None
            assert const is not None  # the checker requires a literal range that parses
            self.expr(e.args[0])
            self.emit("IN_CIDR", self.pools.const(const))
            return
        if e.fn == "jwt_claim":  # the JWT filter's payload header, base64url-decoded, then the JSON path
            path = literal_text(e.args[0])
            assert path is not None  # the checker requires a literal path
            self.emit("REQ_HDR", self.str_const(IDENTITY_HEADERS["jwt"]))
            self.emit("B64URL_DEC")
            self.emit("JSON_OF", self.str_const(path))
            return
        if e.fn in _LOOKUP:
            name = literal_text(e.args[0])
            assert name is not None  # the checker requires a literal name
            if e.fn in _HEADER_LOOKUPS:
                name = name.lower()
            if e.fn == "header_all":
                if len(e.args) > 1:
                    self.expr(e.args[1])
                else:
                    self.value(b",")
            self.emit(_LOOKUP[e.fn], self.str_const(name))
            return
        if e.fn == "replace":
            self.expr(e.args[0])
            self.expr(e.args[2])
            pattern = e.args[1]
            assert isinstance(pattern, A.RegexLit)  # the checker's signature of replace()
            self.emit("REPLACE", self.regex(pattern))
            return
        for arg in e.args:
            self.expr(arg)
        if e.fn == "substr":
            self.emit("SUBSTR2" if len(e.args) == 2 else "SUBSTR3")
        else:
            self.emit(FUNCTION_OPCODES[e.fn])


def _fold_constants(checked: Checked, pools: _Pools) -> tuple[dict[int, Folded], list[Diagnostic]]:
    """Evaluate top-level `let`s at compile time with the reference VM (scratch code is always WIDE, so
    every index fits while the pool is still growing)."""
    from .vm import evaluate_constant

    values: dict[int, Folded] = {}
    for decl, sym in checked.consts:
        scratch = _Emitter(checked, pools, values, 0, wide=True)
        scratch.expr(decl.value)
        if scratch.too_long is not None:
            return values, [scratch.too_long]
        values[id(sym)] = evaluate_constant(bytes(scratch.code), pools.constants, pools.regexes)
    return values, []


class _NeedsWide(Exception):
    """The narrow pass made more than 256 constants."""


def generate(checked: Checked, filename: str, source: str) -> tuple[Program | None, list[Diagnostic]]:
    try:
        return _generate(checked, filename, source, wide=False)
    except _NeedsWide:  # a byte cannot index every constant: the same code with two-byte indexes (same pool)
        return _generate(checked, filename, source, wide=True)


def _generate(checked: Checked, filename: str, source: str, wide: bool) -> tuple[Program | None, list[Diagnostic]]:
    pools = _Pools()
    const_values, diags = _fold_constants(checked, pools)
    if diags:
        return None, diags
    code = [b"", b""]
    lines: list[LineEntry] = []
    decisions: list[Decision] = []
    flags = 0
    for phase in checked.program.phases:
        index = 0 if phase.kind == "request" else 1
        emitter = _Emitter(checked, pools, const_values, index, wide)
        emitter.block(phase.body)
        if not emitter.code:
            continue  # an empty phase is no phase: the filter then skips those callbacks entirely
        if emitter.too_long is not None:
            diags.append(emitter.too_long)  # the phase is over the limit too: one error, the precise one
        elif len(emitter.code) > MAX_CODE_BYTES:
            diags.append(Diagnostic("error", phase.kind_span, f"`on {phase.kind}` compiles to "
                                    f"{len(emitter.code)} bytes of bytecode; the limit is {MAX_CODE_BYTES}"))
        code[index] = bytes(emitter.code)
        lines.extend(emitter.lines)
        decisions.extend(emitter.decisions)
        flags |= FLAG_REQUEST if index == 0 else FLAG_RESPONSE
    if "request" in checked.body_phases:
        flags |= FLAG_REQUEST_BODY
    if "response" in checked.body_phases:
        flags |= FLAG_RESPONSE_BODY
    if len(pools.constants) > MAX_CONSTANTS:
        diags.append(Diagnostic("error", checked.program.span,
                                f"the program needs {len(pools.constants)} constants; the limit is {MAX_CONSTANTS}"))
    if diags:
        return None, diags
    if is_wide(len(pools.constants)) != wide:
        raise _NeedsWide
    if wide:
        flags |= FLAG_WIDE
    depth = max(check_code(code[i], ("request", "response")[i], pools.constants, pools.regexes, checked.nvars, wide)
                for i in range(2))
    lines.sort(key=lambda entry: (entry.phase, entry.pc))
    program = Program(flags | FLAG_LINES, checked.nvars, pools.constants, pools.regexes, (code[0], code[1]),
                      depth, lines, source, filename, decisions=decisions)
    return program, []
