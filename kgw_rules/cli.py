"""Rule subcommands of `kgw`: check, compile, disasm, run, test. Mounted by kgw_controller.cli."""
from __future__ import annotations

import argparse
import pathlib
import sys
from collections.abc import Callable

from .api import compile_with_diagnostics
from .bytecode import Program
from .diagnostics import render_all
from .engines import ENGINE_NAMES, get_engine, wasm_available
from .exchange import Request, Response
from .wire.errors import VerifyError

Command = Callable[[argparse.Namespace], int]


class UsageError(Exception):
    """A problem with what the user asked for; printed as `kgw: error: ...`, exit 2."""


def _read_bytes(path: str) -> bytes:
    try:
        return pathlib.Path(path).read_bytes()
    except OSError as err:
        raise UsageError(f"cannot read {path}: {err.strerror}") from None


def _read(path: str) -> str:
    try:
        return pathlib.Path(path).read_text(encoding="utf-8")
    except OSError as err:
        raise UsageError(f"cannot read {path}: {err.strerror}") from None
    except UnicodeDecodeError:
        raise UsageError(f"{path} is not UTF-8 text") from None


def _compile_file(path: str, strict: bool = False) -> Program | None:
    source = _read(path)
    program, diags = compile_with_diagnostics(source, path)
    if diags:
        print(render_all(diags, path, source), file=sys.stderr)
    if program is None or (strict and diags):
        return None
    return program


def cmd_check(args: argparse.Namespace) -> int:
    failed = False
    for path in args.files:
        program = _compile_file(path, args.strict)
        if program is None:
            failed = True
        else:
            print(f"{path}: ok")
    return 1 if failed else 0


def cmd_compile(args: argparse.Namespace) -> int:
    program = _compile_file(args.file)
    if program is None:
        return 1
    out = args.output or str(pathlib.Path(args.file).with_suffix(".kgwb"))
    blob = program.to_bytes(strip=args.strip)
    pathlib.Path(out).write_bytes(blob)
    print(f"{out}: {len(blob)} bytes")
    return 0


def _load_program(path: str) -> Program | None:
    if path.endswith(".kgw"):
        return _compile_file(path)
    try:
        return Program.from_bytes(_read_bytes(path))
    except VerifyError as err:
        print(f"{path}: error: invalid bytecode: {err}", file=sys.stderr)
        return None


def cmd_disasm(args: argparse.Namespace) -> int:
    program = _load_program(args.file)
    if program is None:
        return 1
    sys.stdout.write(program.disassemble())
    return 0


def _header(text: str) -> tuple[bytes, bytes]:
    name, sep, value = text.partition(":")
    if not sep or not name.strip():
        raise UsageError(f"header {text!r} is not `name: value`")
    return name.strip().lower().encode(), value.strip().encode()


def _body(arg: str | None) -> bytes | None:
    if arg is None:
        return None
    return _read_bytes(arg[1:]) if arg.startswith("@") else arg.encode()


def _print_message(title: str, head: str, headers: list[tuple[bytes, bytes]], body: bytes | None) -> None:
    print(title)
    print(f"  {head}")
    for name, value in headers:
        print(f"  {name.decode()}: {value.decode('utf-8', 'backslashreplace')}")
    if body:
        print("")
        print("  " + body.decode("utf-8", "backslashreplace").replace("\n", "\n  "))


def cmd_run(args: argparse.Namespace) -> int:
    program = _load_program(args.file)
    if program is None:
        return 1
    request = Request(method=args.method.encode(), url=args.path.encode(), host=args.host.encode(),
                      headers=[_header(h) for h in args.header], body=_body(args.body))
    response = None
    if args.response_status is not None or args.response_header or args.response_body is not None:
        response = Response(args.response_status or 200, [_header(h) for h in args.response_header],
                            _body(args.response_body))
    from .vm import run_exchange

    outcome = run_exchange([program], request, response)
    if outcome.local_response is not None:
        lr = outcome.local_response
        _print_message(f"local response (from the {lr.phase} phase)", str(lr.status), lr.headers, lr.body)
    if outcome.request is not None:
        up = outcome.request
        _print_message("request sent upstream", f"{up.method.decode()} {up.url.decode()}  (host {up.host.decode()})",
                       up.headers, up.body)
    if outcome.response is not None:
        down = outcome.response
        _print_message("response to the client", str(down.status), down.headers, down.body)
    for reason in outcome.skipped:
        print(f"skipped write: {reason}")
    lines = (program.source or "").splitlines()
    print("trace:")
    for phase, line in outcome.trace:
        text = lines[line - 1].strip() if 0 < line <= len(lines) else ""
        print(f"  {phase:<8} line {line:<4} {text}")
    return 0


def _write(path: str, text: str) -> None:
    try:
        pathlib.Path(path).write_text(text, encoding="utf-8")
    except OSError as err:
        raise UsageError(f"cannot write {path}: {err.strerror}") from None


def cmd_test(args: argparse.Namespace) -> int:
    from .coverage import CoverageData, cobertura_report, lcov_report, text_report
    from .testing import discover, junit_xml, render, run_file

    engine_name = args.engine or ("wasm" if wasm_available() else "ref")
    engine = get_engine(engine_name)
    files = discover(args.paths)
    if not files:
        raise UsageError("no rules files with a .test.yaml beside them under " + " ".join(args.paths))
    coverage = CoverageData() if args.coverage or args.lcov or args.cobertura else None
    reports = [run_file(f, engine, coverage) for f in files]
    text, passed, failed = render(reports)
    print(text)
    if args.junit:
        _write(args.junit, junit_xml(reports))
    if coverage is not None:
        print("\ncoverage (reference VM):\n" + text_report(coverage), end="")
        if args.lcov:
            _write(args.lcov, lcov_report(coverage))
        if args.cobertura:
            _write(args.cobertura, cobertura_report(coverage))
    return 1 if failed else 0


def _rules_files(paths: list[str]) -> list[pathlib.Path]:
    found: list[pathlib.Path] = []
    for raw in paths:
        p = pathlib.Path(raw)
        found += sorted(p.rglob("*.kgw")) if p.is_dir() else [p]
    return found


def cmd_fmt(args: argparse.Namespace) -> int:
    from .diagnostics import CompileError
    from .format import format_source

    if args.files == ["-"]:
        source = sys.stdin.read()
        try:
            sys.stdout.write(format_source(source, "<stdin>"))
        except CompileError as err:
            print(err, file=sys.stderr)
            return 1
        return 0
    failed = changed = 0
    files = _rules_files(args.files)
    if not files:
        raise UsageError("no .kgw files under " + " ".join(args.files))
    for path in files:
        source = _read(str(path))
        try:
            formatted = format_source(source, str(path))
        except CompileError as err:
            print(err, file=sys.stderr)
            failed += 1
            continue
        if formatted == source:
            continue
        changed += 1
        if args.check:
            print(f"would reformat {path}")
            if args.diff:
                import difflib

                sys.stdout.writelines(difflib.unified_diff(source.splitlines(True), formatted.splitlines(True),
                                                           str(path), f"{path} (formatted)"))
        else:
            path.write_text(formatted, encoding="utf-8")
            print(f"reformatted {path}")
    verb = "would be reformatted" if args.check else "reformatted"
    print(f"{changed} file{'s' if changed != 1 else ''} {verb}, {len(files) - changed - failed} unchanged"
          + (f", {failed} with syntax errors" if failed else ""), file=sys.stderr)
    return 1 if failed or (args.check and changed) else 0


def cmd_lsp(args: argparse.Namespace) -> int:
    try:
        from .lsp import main
    except ImportError as err:
        raise UsageError(f"kgw lsp needs pygls ({err}); install it with: pip install 'kgw[lsp]'") from None
    return main(args)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    def add(name: str, func: Command, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(func=_guarded(func))
        return p

    p = add("check", cmd_check, "report every problem in rules files")
    p.add_argument("files", nargs="+", metavar="FILE.kgw")
    p.add_argument("--strict", action="store_true", help="warnings fail too")

    p = add("fmt", cmd_fmt, "rewrite rules files in the one canonical layout (comments kept)")
    p.add_argument("files", nargs="+", metavar="FILE.kgw|DIR|-", help="`-`: read stdin, write stdout")
    p.add_argument("--check", action="store_true", help="change nothing; exit 1 if a file is not formatted")
    p.add_argument("--diff", action="store_true", help="with --check: show what would change")

    add("lsp", cmd_lsp, "a Language Server for rules files over stdio (diagnostics, hover, completion, "
        "definitions, formatting); needs the `lsp` extra")

    p = add("compile", cmd_compile, "compile a rules file to bytecode")
    p.add_argument("file", metavar="FILE.kgw")
    p.add_argument("-o", "--output", metavar="FILE.kgwb", help="default: beside the source, .kgwb")
    p.add_argument("--strip", action="store_true", help="leave out the line table")

    p = add("disasm", cmd_disasm, "list a program's constants, regexes and instructions")
    p.add_argument("file", metavar="FILE.kgwb|FILE.kgw")

    p = add("run", cmd_run, "run one request (and upstream response) through rules with the reference VM")
    p.add_argument("file", metavar="FILE.kgw|FILE.kgwb")
    p.add_argument("--method", default="GET")
    p.add_argument("--path", default="/", help="request target: path and query")
    p.add_argument("--host", default="localhost")
    p.add_argument("-H", "--header", action="append", default=[], metavar="'NAME: VALUE'")
    p.add_argument("--body", metavar="TEXT|@FILE")
    p.add_argument("--response-status", type=int, metavar="STATUS")
    p.add_argument("-R", "--response-header", action="append", default=[], metavar="'NAME: VALUE'")
    p.add_argument("--response-body", metavar="TEXT|@FILE")

    p = add("test", cmd_test, "run the cases of NAME.test.yaml beside each rules file")
    p.add_argument("paths", nargs="+", metavar="FILE.kgw|DIR")
    p.add_argument("--engine", choices=ENGINE_NAMES,
                   help="wasm: the prebuilt filter under wasmtime (default when installed); ref: the "
                        "reference VM; both: run both and fail on any difference; native: the native module "
                        "loaded in this process (Linux, needs the pinned Zig once)")
    p.add_argument("--coverage", action="store_true",
                   help="report the statements and branches (if/else if outcomes) the cases ran, per file")
    p.add_argument("--lcov", metavar="FILE", help="write coverage as an LCOV tracefile (implies --coverage)")
    p.add_argument("--cobertura", metavar="FILE", help="write coverage as Cobertura XML (implies --coverage)")
    p.add_argument("--junit", metavar="FILE", help="write the results as JUnit XML")


def _guarded(func: Command) -> Command:
    def run(args: argparse.Namespace) -> int:
        try:
            return func(args)
        except UsageError as err:
            print(f"kgw: error: {err}", file=sys.stderr)
            return 2

    return run
