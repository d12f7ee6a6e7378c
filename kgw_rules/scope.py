"""Names in scope while checking: variables, constants and regex captures, each with a slot."""
from __future__ import annotations

from dataclasses import dataclass, field

from .diagnostics import Span
from .types import Type


@dataclass(eq=False)
class Symbol:
    kind: str  # "var" | "const" | "capture"
    name: str
    type: Type
    span: Span
    slot: int = -1  # variable slot for vars and captures; consts are folded instead
    phase: str | None = None


@dataclass(eq=False)
class Scope:
    parent: Scope | None = None
    names: dict[str, Symbol] = field(default_factory=dict)

    def lookup(self, name: str) -> Symbol | None:
        scope: Scope | None = self
        while scope is not None:
            if name in scope.names:
                return scope.names[name]
            scope = scope.parent
        return None

    def visible(self) -> list[str]:
        out: list[str] = []
        scope: Scope | None = self
        while scope is not None:
            out.extend(scope.names)
            scope = scope.parent
        return out

    def child(self) -> Scope:
        return Scope(self)
