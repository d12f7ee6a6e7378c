"""Static types of the rules language: string, int, bool, each possibly absent, and the regex literal."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Type:
    base: str  # "string" | "int" | "bool" | "none" | "regex" | "error"
    optional: bool = False

    def __str__(self) -> str:
        return self.base + ("?" if self.optional and self.base != "none" else "")

    def opt(self) -> Type:
        return Type(self.base, True)

    def required(self) -> Type:
        return Type(self.base, False)


STRING = Type("string")
INT = Type("int")
BOOL = Type("bool")
OPT_STRING = Type("string", True)
OPT_INT = Type("int", True)
NONE = Type("none", True)
REGEX = Type("regex")
ERROR = Type("error")  # a type error was already reported; stay quiet about this value


def join(a: Type, b: Type) -> Type | None:
    """The type of a value that is either a or b, or None when they cannot mix."""
    if a.base == "error" or b.base == "error":
        return ERROR
    if a.base == "none":
        return b.opt()
    if b.base == "none":
        return a.opt()
    if a.base != b.base:
        return None
    return Type(a.base, a.optional or b.optional)
