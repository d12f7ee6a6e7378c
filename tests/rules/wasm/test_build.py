"""The committed filter is exactly what the pinned Zig builds from these sources, and the generated
constants (wasm_filter/src/wire.zig) are current and the only copy of what the filter shares with Python."""
from __future__ import annotations

import pathlib
import re
import tomllib

import pytest

import kgw_rules
from kgw_rules import build_filter
from kgw_rules.wire import flags as wire_flags
from kgw_rules.wire import limits as wire_limits

ROOT = pathlib.Path(__file__).resolve().parents[3]


def test_generated_wire_zig_is_current():
    assert build_filter.WIRE_ZIG.read_text() == build_filter.generate_wire_zig(), \
        "run: python -m kgw_rules.build_filter"


def test_generated_constants_cover_every_opcode_limit_and_flag():
    text = build_filter.generate_wire_zig()
    for op in kgw_rules.wire.opcodes.OPS:
        assert f"pub const {op.name}: u8 = 0x{op.code:02X};" in text
    for op in kgw_rules.regex.OPCODES:
        assert f"pub const {op.name}: u8 = {op.code};" in text
    for name in ("MAX_CODE_BYTES", "MAX_CONSTANTS", "MAX_VARIABLES", "MAX_REGEXES", "MAX_STACK", "MAX_REGEX_GROUPS",
                 "MAX_REGEX_INSTRUCTIONS", "MAX_CLASS_RANGES", "MAX_BUNDLE_PROGRAMS", "MAX_ROUTE_PROGRAMS"):
        assert f"= {getattr(wire_limits, name)};" in text, name
    for bit, name in wire_flags.FLAG_NAMES:
        assert f"pub const flag_{name.replace('-', '_')}: u16 = {bit};" in text


# a limit, flag, version or magic defined outside wire.zig is a hand copy of what wire.zig carries
_HAND_CONSTANT = re.compile(r"^(?:pub )?const (?:max_|flag_|\w*version|\w*magic)\w* *(?::[^=]*)?= *[\d\"]", re.M)


def test_no_zig_file_but_the_generated_one_defines_a_limit_or_flag():
    found = {path.name: _HAND_CONSTANT.findall(path.read_text()) for path in build_filter.SRC.glob("*.zig")
             if path != build_filter.WIRE_ZIG}
    assert {name: hits for name, hits in found.items() if hits} == {}


def test_zig_version_matches_the_pyproject_pin():
    conf = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    pins = {re.sub(r"\s", "", d) for group in conf.values() for d in group if d.startswith("ziglang")}
    assert pins == {f"ziglang=={build_filter.ZIG_VERSION}"}


def test_the_filter_ships_inside_the_package():
    path = kgw_rules.filter_wasm_path()
    assert path.is_file() and path.parent.name == "data"
    data = kgw_rules.filter_wasm_bytes()
    assert data[:4] == b"\0asm" and data == path.read_bytes()
    assert len(data) < 64 * 1024, f"the filter is {len(data)} bytes; the target is under 64 KiB"


def test_only_the_proxy_wasm_abi_and_three_wasi_calls_are_imported():
    import wasmtime

    module = wasmtime.Module(wasmtime.Engine(), kgw_rules.filter_wasm_bytes())
    assert {i.module for i in module.imports} == {"env", "wasi_snapshot_preview1"}
    assert all(i.name.startswith("proxy_") for i in module.imports if i.module == "env")
    # env() and random_id() only: Envoy's V8 runtime provides these (docs/data-plane.md)
    assert sorted(i.name for i in module.imports if i.module == "wasi_snapshot_preview1") == \
        ["environ_get", "environ_sizes_get", "random_get"]
    exports = {e.name for e in module.exports}
    assert {"proxy_abi_version_0_2_1", "proxy_on_memory_allocate", "proxy_on_configure", "proxy_on_request_headers",
            "proxy_on_response_headers", "proxy_on_request_body", "proxy_on_response_body", "proxy_on_delete",
            "memory"} <= exports


def test_rebuild_is_byte_identical(tmp_path):
    """A clean build from a copy of the sources in a temp dir equals the committed .wasm."""
    pytest.importorskip("ziglang")
    fresh = build_filter.build(tmp_path / "kgw_filter.wasm")
    assert fresh == build_filter.WASM.read_bytes(), "kgw_filter.wasm is stale: run python -m kgw_rules.build_filter"


def test_check_mode_reports_current(capsys):
    pytest.importorskip("ziglang")
    assert build_filter.main(["--check"]) == 0
    assert "ok:" in capsys.readouterr().out
