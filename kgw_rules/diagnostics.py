"""Source spans and diagnostics rendered as `file:line:col: error: message`, the line and a caret."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Span:
    """A region of one source file. Lines and columns are 1-based and count characters."""

    line: int
    col: int
    end_line: int
    end_col: int  # exclusive

    def to(self, other: Span) -> Span:
        return Span(self.line, self.col, other.end_line, other.end_col)

    def shifted(self, line: int, col: int) -> Span:
        """This span re-based so that its (1, 1) lands on (line, col) of an enclosing text."""
        def move(ln: int, c: int) -> tuple[int, int]:
            return (line, col + c - 1) if ln == 1 else (line + ln - 1, c)
        a, b = move(self.line, self.col), move(self.end_line, self.end_col)
        return Span(a[0], a[1], b[0], b[1])


@dataclass(frozen=True)
class Diagnostic:
    severity: str  # "error" or "warning"
    span: Span
    message: str
    hint: str | None = None

    def sort_key(self) -> tuple[int, int, str]:
        return (self.span.line, self.span.col, self.message)


@dataclass
class CompileError(Exception):
    """Raised by `kgw_rules.compile` with every diagnostic of the file (warnings included)."""

    diagnostics: list[Diagnostic]
    filename: str = "<string>"
    source: str = ""
    _rendered: str = field(default="", repr=False)

    def __post_init__(self) -> None:
        self._rendered = render_all(self.diagnostics, self.filename, self.source)
        super().__init__(self._rendered)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    def __str__(self) -> str:
        return self._rendered


def render(diag: Diagnostic, filename: str, source: str) -> str:
    lines = source.splitlines() or [""]
    text = lines[diag.span.line - 1] if 0 < diag.span.line <= len(lines) else ""
    start = max(diag.span.col - 1, 0)
    end = diag.span.end_col - 1 if diag.span.end_line == diag.span.line else len(text)
    width = max(1, min(end, max(len(text), start + 1)) - start)
    # Keep tabs in the padding so the caret lines up under tab-indented source.
    pad = "".join("\t" if ch == "\t" else " " for ch in text[:start])
    out = [f"{filename}:{diag.span.line}:{diag.span.col}: {diag.severity}: {diag.message}",
           f"    {text}", f"    {pad}{'^' * width}"]
    if diag.hint:
        out.append(f"  hint: {diag.hint}")
    return "\n".join(out)


def render_all(diags: list[Diagnostic], filename: str, source: str) -> str:
    return "\n".join(render(d, filename, source) for d in sorted(diags, key=Diagnostic.sort_key))
