"""What the regex compiler accepts, and the replace-all work budget both matchers share.

The binary format's own limits (instructions, groups, classes) are in kgw_rules.wire.limits.
"""
from __future__ import annotations

from ..wire.limits import MAX_REGEX_GROUPS as MAX_GROUPS
from ..wire.limits import MAX_REGEX_INSTRUCTIONS as MAX_INSTRUCTIONS

MAX_PATTERN_BYTES = 1024
MAX_REPEAT = 1000  # largest count allowed in {n,m}
MAX_NESTING = 100  # group nesting depth; keeps the recursive parser and compiler far from Python's stack limit

# Work budget of one replace-all (replace() and `replace body`), in bytes the searches step over
# (docs/regex.md, Complexity): REPLACE_BUDGET_FACTOR * len(input) + REPLACE_BUDGET_BASE. Ordinary
# patterns step over each byte about once; 4x leaves room for patterns that look a few tokens past
# each match, and the base means inputs up to 365 bytes are never cut, whatever the pattern. Both
# matchers use these numbers (the Zig constants are generated from them).
REPLACE_BUDGET_FACTOR = 4
REPLACE_BUDGET_BASE = 65536

__all__ = ["MAX_GROUPS", "MAX_INSTRUCTIONS", "MAX_NESTING", "MAX_PATTERN_BYTES", "MAX_REPEAT",
           "REPLACE_BUDGET_BASE", "REPLACE_BUDGET_FACTOR", "replace_budget"]


def replace_budget(n: int) -> int:
    """The work budget of a replace-all over an input of n bytes."""
    return REPLACE_BUDGET_FACTOR * n + REPLACE_BUDGET_BASE
