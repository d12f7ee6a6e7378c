"""kgw rules SDK: compile the kgw rules language to bytecode, verify it, and run it.

    program = kgw_rules.compile(source, filename="api.kgw")   # raises CompileError
    blob = program.to_bytes(strip=True)
    kgw_rules.Program.from_bytes(blob)                          # verifies; raises VerifyError
"""
from .api import compile, compile_with_diagnostics
from .bytecode import Program
from .diagnostics import CompileError, Diagnostic
from .filter import filter_wasm_bytes, filter_wasm_path, native_module_dir, native_module_path
from .wire.errors import VerifyError

__all__ = ["compile", "compile_with_diagnostics", "Program", "CompileError", "Diagnostic", "VerifyError"]
__all__ += ["filter_wasm_path", "filter_wasm_bytes", "native_module_dir", "native_module_path"]
