"""kgw's regex engine: the RE2 subset of the rules language, compiled to a linear-time Pike-VM program.

A program is a `RegexProgram` (kgw_rules.wire.regex: the data class, its binary form and its verifier,
docs/regex.md); it is embedded in kgw bytecode and executed by the Zig filter. This package compiles
patterns to programs, runs them and lists them.
"""
from ..wire.errors import RegexFormatError
from ..wire.regex import ASSERT_KINDS, FORMAT_VERSION, OPCODES, RegexProgram, decode_regex, encode_regex
from .compile import compile_regex
from .errors import RegexError
from .limits import (
                     MAX_GROUPS,
                     MAX_INSTRUCTIONS,
                     MAX_NESTING,
                     MAX_PATTERN_BYTES,
                     MAX_REPEAT,
                     REPLACE_BUDGET_BASE,
                     REPLACE_BUDGET_FACTOR,
                     replace_budget,
)
from .match import disassemble_regex, replace_all, replace_all_budgeted, search, search_stop

__all__ = [
    "ASSERT_KINDS", "FORMAT_VERSION", "MAX_GROUPS", "MAX_INSTRUCTIONS", "MAX_NESTING", "MAX_PATTERN_BYTES",
    "MAX_REPEAT", "OPCODES", "REPLACE_BUDGET_BASE", "REPLACE_BUDGET_FACTOR", "RegexError", "RegexFormatError",
    "RegexProgram", "compile_regex", "decode_regex", "disassemble_regex", "encode_regex", "replace_all",
    "replace_all_budgeted", "replace_budget", "search", "search_stop",
]
