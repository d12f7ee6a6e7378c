"""The committed native modules are exactly what the pinned Zig builds from wasm_filter/src, for both CPUs
(the aarch64 one cannot run here: it is checked for reproducibility and its ELF header only)."""
from __future__ import annotations

import pytest

import kgw_rules
from kgw_rules import build_filter
from kgw_rules.filter import NATIVE_ARCHES

ELF_MACHINE = {"x86_64": 62, "aarch64": 183}  # e_machine: EM_X86_64, EM_AARCH64


@pytest.mark.parametrize("arch", NATIVE_ARCHES)
def test_the_module_ships_for_each_cpu(arch):
    data = kgw_rules.native_module_path(arch).read_bytes()
    assert data[:4] == b"\x7fELF" and data[4] == 2  # 64-bit
    assert int.from_bytes(data[18:20], "little") == ELF_MACHINE[arch]
    assert int.from_bytes(data[16:18], "little") == 3  # ET_DYN: a shared object


@pytest.mark.slow
@pytest.mark.parametrize("arch", NATIVE_ARCHES)
def test_rebuild_is_byte_identical(arch, tmp_path):
    pytest.importorskip("ziglang")
    fresh = build_filter.build_native(arch, tmp_path / "lib.so")
    assert fresh == build_filter.native_path(arch).read_bytes(), "stale: run python -m kgw_rules.build_filter"
