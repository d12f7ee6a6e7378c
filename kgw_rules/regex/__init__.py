"""kgw's regex engine: the RE2 subset of the rules language, compiled to a linear-time Pike-VM program.

The binary form of a program (``RegexProgram.to_bytes``) is embedded in kgw bytecode and executed by
the Zig filter; docs/regex.md specifies it.
"""
from .compile import compile_regex
from .errors import RegexError, RegexFormatError
from .opcodes import (ASSERT_KINDS, FORMAT_VERSION, MAX_GROUPS, MAX_INSTRUCTIONS, MAX_NESTING,
                      MAX_PATTERN_BYTES, MAX_REPEAT, OPCODES, REPLACE_BUDGET_BASE, REPLACE_BUDGET_FACTOR,
                      replace_budget)
from .program import RegexProgram

__all__ = [
    "ASSERT_KINDS", "FORMAT_VERSION", "MAX_GROUPS", "MAX_INSTRUCTIONS", "MAX_NESTING", "MAX_PATTERN_BYTES",
    "MAX_REPEAT", "OPCODES", "REPLACE_BUDGET_BASE", "REPLACE_BUDGET_FACTOR", "RegexError", "RegexFormatError",
    "RegexProgram", "compile_regex", "replace_budget",
]
