"""Build the Zig filter, reproducibly: the proxy-wasm module kgw_rules/data/kgw_filter.wasm and the
native Envoy dynamic module kgw_rules/data/native/<arch>/libkgw_rules.so (x86_64 and aarch64 Linux,
cross-compiled), both from wasm_filter/src.

    python -m kgw_rules.build_filter            # regenerate wasm_filter/src/wire.zig and rebuild every binary
    python -m kgw_rules.build_filter --check    # CI: fail when a committed file is out of date
    python -m kgw_rules.build_filter --test     # the filter's Zig tests (decoders, interpreter)

Every Zig constant the filter shares with Python (opcodes, flags, limits, magics: kgw_rules.wire is the
single source of truth) is generated into wire.zig, so the filter and the compiler cannot drift apart.
The build copies the sources into a temporary directory and uses throw-away caches there, with
ReleaseSmall and -fstrip: the output depends only on the sources and the pinned `ziglang` version,
never on the checkout path or a warm cache.
"""
from __future__ import annotations

import argparse
import pathlib
import shutil
import subprocess
import sys
import tempfile

from .regex import limits as regex_limits
from .runtime import jsonpath, jsontree
from .wire import bundle as wire_bundle
from .wire import flags as wire_flags
from .wire import limits
from .wire import opcodes as wire_opcodes
from .wire import program as wire_program
from .wire import regex as wire_regex
from .wire import stats as wire_stats
from .wire import variants as wire_variants

ROOT = pathlib.Path(__file__).resolve().parents[1]
SRC = ROOT / "wasm_filter" / "src"
WIRE_ZIG = SRC / "wire.zig"
DATA = pathlib.Path(__file__).resolve().parent / "data"
WASM = DATA / "kgw_filter.wasm"
VARIANT_ZIG = SRC / "variant.zig"  # the full build's; each build writes its own into its copy
ZIG_VERSION = "0.17.0"  # keep equal to the `ziglang==` pin in pyproject.toml (a test checks it)

# The native module: one shared object per CPU, linked against glibc 2.28's symbols (every Envoy image
# has a newer one), ReleaseSafe: a broken invariant aborts with a message instead of corrupting Envoy's
# memory. Envoy loads it by name (`kgw_rules`) from ENVOY_DYNAMIC_MODULES_SEARCH_PATH.
NATIVE_DIR = pathlib.Path(__file__).resolve().parent / "data" / "native"
NATIVE_TARGETS = {"x86_64": "x86_64-linux-gnu.2.28", "aarch64": "aarch64-linux-gnu.2.28"}
NATIVE_NAME = "kgw_rules"
NATIVE_FLAGS = ["-dynamic", "-lc", "-ldl", "-fstrip", "-fPIC"]


def native_path(arch: str) -> pathlib.Path:
    return NATIVE_DIR / arch / f"lib{NATIVE_NAME}.so"


ZIG_FLAGS = [
    "-target", "wasm32-freestanding",
    "-O", "ReleaseSmall",
    "-fstrip",
    "-fno-entry",
    "-rdynamic",
    "--stack", "65536",
]


def _table(name: str, values: list[int], comment: str) -> list[str]:
    rows = [", ".join(str(v) for v in values[i:i + 16]) + "," for i in range(0, len(values), 16)]
    return [f"/// {comment}", f"pub const {name} = [{len(values)}]u8{{", *("    " + r for r in rows), "};"]


def _struct(name: str, members: list[tuple[str, str]], doc: str) -> list[str]:
    return [f"/// {doc}", f"pub const {name} = struct {{", *(f"    pub const {n}: u8 = {v};" for n, v in members), "};"]


OPCODE_TABLE_ROWS = 128


def generate_wire_zig() -> str:
    """Zig source of every constant the filter shares with kgw_rules.wire (and the two runtime limits of
    kgw_rules.regex and kgw_rules.runtime): opcodes and their tables, fields, flags, limits, magics."""
    ops, phase_bits = wire_opcodes.OPS, {"rq": 1, "rs": 2, "both": 3}
    # opcodes are below 0x80, so the tables have 128 rows (the verifier refuses a larger byte first)
    assert max(op.code for op in ops) < OPCODE_TABLE_ROWS
    n = OPCODE_TABLE_ROWS
    sizes, wide_sizes, pops, pushes, phases = [255] * n, [255] * n, [0] * n, [0] * n, [0] * n
    for op in ops:
        sizes[op.code] = wire_opcodes.operand_bytes(op.fmt, False)
        wide_sizes[op.code] = wire_opcodes.operand_bytes(op.fmt, True)
        pops[op.code], pushes[op.code], phases[op.code] = max(op.pops, 0), op.pushes, phase_bits[op.phases]
    flags = [(f"flag_{name.replace('-', '_')}", bit) for bit, name in wire_flags.FLAG_NAMES]
    consts: list[tuple[str, str, object]] = [
        # the magic "KGW" and the version byte: how a program (and a configuration that is one) starts
        ("program_magic", "*const [4]u8", '"' + "".join(f"\\x{b:02x}" for b in wire_program.START) + '"'),
        ("program_version", "u8", wire_program.VERSION),
        ("program_min_header_size", "usize", wire_program.MIN_HEADER_SIZE),
        ("program_checksum_size", "usize", wire_program.CHECKSUM.size),
        ("line_entry_size", "usize", wire_program.LINE_ENTRY.size),
        ("constant_int_mark", "u64", wire_program.INT_MARK),
        ("narrow_constants", "usize", wire_opcodes.NARROW_CONSTANTS),
        *((name, "u16", bit) for name, bit in flags),
        ("known_flags", "u16", wire_flags.KNOWN_FLAGS),
        ("max_code", "usize", limits.MAX_CODE_BYTES),
        ("max_constants", "usize", limits.MAX_CONSTANTS),
        ("max_variables", "usize", limits.MAX_VARIABLES),
        ("max_regexes", "usize", limits.MAX_REGEXES),
        ("max_stack", "usize", limits.MAX_STACK),
        ("bundle_magic", "*const [4]u8", f'"{wire_bundle.BUNDLE_MAGIC.decode()}"'),
        ("bundle_version", "u8", wire_bundle.BUNDLE_VERSION),
        ("bundle_header_size", "usize", wire_bundle.BUNDLE_HEADER.size),
        ("max_bundle_programs", "usize", limits.MAX_BUNDLE_PROGRAMS),
        ("max_route_programs", "usize", limits.MAX_ROUTE_PROGRAMS),
        ("regex_max_instructions", "usize", limits.MAX_REGEX_INSTRUCTIONS),
        ("regex_max_groups", "usize", limits.MAX_REGEX_GROUPS),
        ("regex_max_classes", "usize", limits.MAX_REGEX_CLASSES),
        ("regex_max_ranges", "usize", limits.MAX_CLASS_RANGES),
        ("regex_assert_kinds", "usize", len(wire_regex.ASSERT_KINDS)),
        ("replace_budget_factor", "usize", regex_limits.REPLACE_BUDGET_FACTOR),
        ("replace_budget_base", "usize", regex_limits.REPLACE_BUDGET_BASE),
        ("json_max_depth", "usize", jsontree.MAX_DEPTH),
        ("json_max_segments", "usize", jsonpath.MAX_SEGMENTS),
        ("json_max_index_digits", "usize", jsonpath.MAX_INDEX_DIGITS),
        ("field_count", "u8", len(wire_opcodes.FIELDS)),
        ("log_field_prefix", "[]const u8", f'"{wire_stats.LOG_FIELD_PREFIX}"'),
        ("policy_counter_prefix", "[]const u8", f'"{wire_stats.POLICY_COUNTER_PREFIX}"'),
        ("policy_tag", "[]const u8", f'"{wire_stats.POLICY_TAG}"'),
        ("route_tag", "[]const u8", f'"{wire_stats.ROUTE_TAG}"'),
        ("tag_end", "[]const u8", f'"{wire_stats.TAG_END}"'),
        ("descriptor_header_prefix", "[]const u8", '"' + wire_opcodes.DESCRIPTOR_HEADER_PREFIX.decode() + '"'),
        ("max_descriptor_key", "usize", wire_opcodes.MAX_DESCRIPTOR_KEY),
    ]
    out = ["// GENERATED by `python -m kgw_rules.build_filter` from kgw_rules/wire (opcodes, flags, limits,",
           "// program, bundle, regex), kgw_rules/regex/limits.py and kgw_rules/runtime. Do not edit.", ""]
    out += [f"pub const {name}: {zig_type} = {value};" for name, zig_type, value in consts]
    out += ["", *_struct("Op", [(op.name, f"0x{op.code:02X}") for op in ops], "bytecode opcodes")]
    out += _table("operand_bytes", sizes, "operand bytes after the opcode, indexed by opcode; 255 = unknown opcode")
    out += _table("operand_bytes_wide", wide_sizes, "the same in a WIDE program (two-byte constant indexes)")
    out += _table("pops", pops, "fixed pops (CONCAT, IN, RESPOND compute theirs)")
    out += _table("pushes", pushes, "pushes")
    out += _table("phases", phases, "bit 0 request, bit 1 response; 0 = unknown opcode")
    out += _struct("Field", [(name, str(i)) for i, name in enumerate(wire_opcodes.FIELDS)], "FIELD operands")
    out += _struct("Rx", [(op.name, str(op.code)) for op in wire_regex.OPCODES], "regex opcodes")
    out += _struct("RxAssert", [(k.name, str(k.code)) for k in wire_regex.ASSERT_KINDS], "regex assertion kinds")
    return "\n".join(out) + "\n"


def zig_command() -> list[str]:
    return [sys.executable, "-m", "ziglang"]


def zig_version() -> str:
    return subprocess.run([*zig_command(), "version"], capture_output=True, text=True, check=True).stdout.strip()


def _require_pinned_zig() -> None:
    if zig_version() != ZIG_VERSION:
        raise SystemExit(f"ziglang {ZIG_VERSION} is required (pip install 'kgw[build]'), found {zig_version()}")


def run_zig_tests() -> subprocess.CompletedProcess[str]:
    """`zig test` of wasm_filter/src/tests.zig (decoders and interpreter), built for wasm32-wasi from a
    private copy of the sources and run under wasmtime with a fake proxy-wasm host
    (kgw_rules/harness/zig_tests.py). Returns the finished process: its output lists every test."""
    _require_pinned_zig()
    with tempfile.TemporaryDirectory(prefix="kgw-zig-test-") as tmp:
        work = pathlib.Path(tmp)
        shutil.copytree(SRC, work / "src")
        (work / "src" / "wire.zig").write_text(generate_wire_zig())
        runner = [sys.executable, "-m", "kgw_rules.harness.zig_tests"]
        cmd = [*zig_command(), "test", "src/tests.zig", "-target", "wasm32-wasi", "-rdynamic",
               "--cache-dir", str(work / "cache"), "--global-cache-dir", str(work / "gcache"),
               *(arg for part in runner for arg in ("--test-cmd", part)), "--test-cmd-bin"]
        return subprocess.run(cmd, cwd=work, capture_output=True, text=True)


def variant_path(variant: wire_variants.Variant) -> pathlib.Path:
    return DATA / variant.filename


def build(out: pathlib.Path, wire_source: str | None = None, optimize: str = "ReleaseSmall",
          variant: wire_variants.Variant = wire_variants.FULL, strip: bool = True) -> bytes:
    """Compile the filter (`variant`: which callbacks it exports) into `out` from a private copy of the
    sources; return the bytes.

    `optimize="ReleaseSafe"` gives a checked build (bounds, overflow: a bug traps instead of corrupting
    memory) that the tests run the differential suites on; only ReleaseSmall is shipped. `strip=False`
    keeps the `name` section (benchmarks/wasm_sizes.py lists function sizes by name)."""
    _require_pinned_zig()
    with tempfile.TemporaryDirectory(prefix="kgw-zig-") as tmp:
        work = pathlib.Path(tmp)
        src = work / "src"
        shutil.copytree(SRC, src)
        (src / "wire.zig").write_text(wire_source or generate_wire_zig())
        (src / "variant.zig").write_text(wire_variants.variant_zig(variant))
        flags = [optimize if f == "ReleaseSmall" else f for f in ZIG_FLAGS]
        if not strip:
            flags = ["-fno-strip" if f == "-fstrip" else f for f in flags]
        cmd = [*zig_command(), "build-exe", "src/main.zig", *flags,
               "--cache-dir", str(work / "cache"), "--global-cache-dir", str(work / "gcache"),
               "-femit-bin=" + str(work / "kgw_filter.wasm"), "--name", "kgw_filter"]
        res = subprocess.run(cmd, cwd=work, capture_output=True, text=True)
        if res.returncode != 0:
            raise SystemExit("zig build failed:\n" + res.stderr)
        data = (work / "kgw_filter.wasm").read_bytes()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    return data


def build_native(arch: str, out: pathlib.Path, wire_source: str | None = None,
                 optimize: str = "ReleaseSafe") -> bytes:
    """Compile the native module for `arch` (a key of NATIVE_TARGETS) into `out`; return the bytes."""
    _require_pinned_zig()
    with tempfile.TemporaryDirectory(prefix="kgw-zig-native-") as tmp:
        work = pathlib.Path(tmp)
        shutil.copytree(SRC, work / "src")
        (work / "src" / "wire.zig").write_text(wire_source or generate_wire_zig())
        target = work / f"lib{NATIVE_NAME}.so"
        cmd = [*zig_command(), "build-lib", "src/native.zig", "-target", NATIVE_TARGETS[arch], "-O", optimize,
               *NATIVE_FLAGS, "--name", NATIVE_NAME, "--cache-dir", str(work / "cache"),
               "--global-cache-dir", str(work / "gcache"), "-femit-bin=" + str(target)]
        res = subprocess.run(cmd, cwd=work, capture_output=True, text=True)
        if res.returncode != 0:
            raise SystemExit(f"zig build of the native module ({arch}) failed:\n" + res.stderr)
        data = target.read_bytes()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    return data


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m kgw_rules.build_filter", description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="compare with the committed files instead of writing")
    ap.add_argument("--out", type=pathlib.Path, default=WASM, help="where to write the .wasm")
    ap.add_argument("--test", action="store_true", help="run the filter's Zig tests instead of building")
    args = ap.parse_args(argv)
    if args.test:
        done = run_zig_tests()
        sys.stderr.write(done.stderr)
        return done.returncode
    generated = generate_wire_zig()
    if args.check:
        problems = []
        if not WIRE_ZIG.exists() or WIRE_ZIG.read_text() != generated:
            problems.append(f"{WIRE_ZIG.relative_to(ROOT)} is not current")
        with tempfile.TemporaryDirectory() as tmp:
            fresh = build(pathlib.Path(tmp) / "kgw_filter.wasm", generated)
        if not VARIANT_ZIG.exists() or VARIANT_ZIG.read_text() != wire_variants.variant_zig(wire_variants.FULL):
            problems.append(f"{VARIANT_ZIG.relative_to(ROOT)} is not current")
        if not WASM.exists() or WASM.read_bytes() != fresh:
            problems.append(f"{WASM.relative_to(ROOT)} differs from a fresh build")
        for variant in wire_variants.VARIANTS[:-1]:
            with tempfile.TemporaryDirectory() as tmp:
                built = build(pathlib.Path(tmp) / variant.filename, generated, variant=variant)
            if not variant_path(variant).exists() or variant_path(variant).read_bytes() != built:
                problems.append(f"{variant_path(variant).relative_to(ROOT)} differs from a fresh build")
        for arch in NATIVE_TARGETS:
            with tempfile.TemporaryDirectory() as tmp:
                native = build_native(arch, pathlib.Path(tmp) / "lib.so", generated)
            if not native_path(arch).exists() or native_path(arch).read_bytes() != native:
                problems.append(f"{native_path(arch).relative_to(ROOT)} differs from a fresh build")
        for p in problems:
            print("out of date:", p, file=sys.stderr)
        if problems:
            print("run: python -m kgw_rules.build_filter", file=sys.stderr)
            return 1
        print(f"ok: {len(fresh)} bytes, wire.zig current")
        return 0
    WIRE_ZIG.write_text(generated)
    VARIANT_ZIG.write_text(wire_variants.variant_zig(wire_variants.FULL))
    data = build(args.out, generated)
    print(f"wrote {args.out} ({len(data)} bytes)")
    for variant in wire_variants.VARIANTS[:-1]:
        built = build(variant_path(variant), generated, variant=variant)
        print(f"wrote {variant_path(variant)} ({len(built)} bytes)")
    for arch in NATIVE_TARGETS:
        native = build_native(arch, native_path(arch), generated)
        print(f"wrote {native_path(arch)} ({len(native)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
