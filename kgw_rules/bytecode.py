"""Program: a compiled or verified rules program, with the conveniences of the public API. Its bytes
are kgw_rules.wire.program's (encode_program / decode_program): the methods here are thin wrappers."""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING

from .disasm import disassemble
from .wire.flags import FLAG_REQUEST_BODY, FLAG_RESPONSE, FLAG_RESPONSE_BODY, FLAG_WIDE
from .wire.program import ProgramImage, decode_program, encode_program
from .wire.verify import decode_code

if TYPE_CHECKING:
    from .diagnostics import Diagnostic


@dataclass(frozen=True)
class Decision:
    """An `if` or `else if` condition of the source: the JMPF at `pc` of `phase` skips its branch when the
    condition is false (coverage counts both outcomes). Compiler metadata, never part of the bytes."""

    phase: int
    pc: int
    line: int
    col: int
    keyword: str  # "if" | "else if"


@dataclass
class Program(ProgramImage):
    """A verified (or freshly compiled) rules program."""

    source: str | None = field(default=None, compare=False)  # the text it came from, when compiled here
    filename: str = field(default="<bytecode>", compare=False)
    warnings: list[Diagnostic] = field(default_factory=list, compare=False)
    decisions: list[Decision] = field(default_factory=list, compare=False)  # empty when decoded from bytes

    def to_bytes(self, strip: bool = False) -> bytes:
        return encode_program(self, strip)

    @classmethod
    def from_bytes(cls, data: bytes) -> Program:
        """Decode and verify; any defect raises VerifyError with a precise reason."""
        image = decode_program(data)
        return cls(**{f.name: getattr(image, f.name) for f in fields(ProgramImage)})

    @property
    def needs_request_body(self) -> bool:
        return bool(self.flags & FLAG_REQUEST_BODY)

    @property
    def needs_response_body(self) -> bool:
        return bool(self.flags & FLAG_RESPONSE_BODY)

    @property
    def wide(self) -> bool:
        """More than 256 constants: constant-index operands take two bytes."""
        return bool(self.flags & FLAG_WIDE)

    @property
    def has_response_phase(self) -> bool:
        return bool(self.flags & FLAG_RESPONSE)

    def environment_names(self) -> list[str]:
        """The environment variables the code reads (`env("NAME")`, ENV operands), sorted: what a
        deployment must pass to the filter's VM (Envoy vm_config.environment_variables.host_env_keys)."""
        return self._operand_names("ENV")

    def log_field_names(self) -> list[str]:
        """The access-log fields the code may set (`set log NAME`, SET_LOG operands), sorted: what an access
        log that ships filter state (gRPC ALS) must list."""
        return self._operand_names("SET_LOG")

    def _operand_names(self, opcode: str) -> list[str]:
        names = {self.constants[ins.operands[0]] for code in self.code for ins in decode_code(code, self.wide)
                 if ins.op.name == opcode}
        return sorted(n.decode("utf-8", "replace") for n in names if isinstance(n, bytes))

    def disassemble(self) -> str:
        return disassemble(self)
