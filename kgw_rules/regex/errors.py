"""The two ways a regex can be refused: bad pattern text (here), or a bad binary program
(RegexFormatError, kgw_rules.wire.errors)."""
from __future__ import annotations


class RegexError(ValueError):
    """A pattern the compiler refuses.

    ``offset`` and ``length`` count characters of the pattern text (not bytes), so the rules compiler
    can put a caret under the offending part of an ``r"..."`` literal.
    """

    def __init__(self, message: str, offset: int, length: int, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.offset = offset
        self.length = length
        self.hint = hint

    def __repr__(self) -> str:
        return f"RegexError({self.message!r}, {self.offset}, {self.length}, hint={self.hint!r})"
