"""The public entry points: compile source text to a Program."""
from __future__ import annotations

from .bytecode import Program
from .checker import check
from .compiler import generate
from .diagnostics import CompileError, Diagnostic
from .parser import parse


def compile_with_diagnostics(source: str, filename: str = "<string>") -> tuple[Program | None, list[Diagnostic]]:
    """Compile, returning the program (None on any error) and every diagnostic, warnings included."""
    program_ast, diags = parse(source)
    if program_ast is None or any(d.severity == "error" for d in diags):
        return None, sorted(diags, key=Diagnostic.sort_key)
    checked, more = check(program_ast)
    diags += more
    if any(d.severity == "error" for d in diags):
        return None, sorted(diags, key=Diagnostic.sort_key)
    program, more = generate(checked, filename, source)
    diags += more
    return program, sorted(diags, key=Diagnostic.sort_key)


def compile(source: str, filename: str = "<string>") -> Program:  # noqa: A001 - the documented name
    """Compile rules source to a Program; raises CompileError carrying every diagnostic."""
    program, diags = compile_with_diagnostics(source, filename)
    if program is None:
        raise CompileError(diags, filename, source)
    program.warnings = [d for d in diags if d.severity == "warning"]
    return program
