"""benchmarks/wasm_sizes.py, the size breakdown docs/performance.md quotes: its parse of a module accounts
for every byte of the code section, and an unstripped build names the functions."""
from __future__ import annotations

import pathlib

import pytest

import kgw_rules
from benchmarks import wasm_sizes
from kgw_rules import build_filter
from kgw_rules.wire import variants as wire_variants


def _uleb_len(n: int) -> int:
    return max(1, (n.bit_length() + 6) // 7)


def test_function_sizes_add_up_to_the_shipped_code_section():
    wasm = kgw_rules.filter_wasm_bytes()
    std, custom = wasm_sizes.sections(wasm)
    assert custom == {}  # the shipped build is stripped
    sizes = wasm_sizes.function_sizes(wasm)
    code = std[wasm_sizes.SECTION_CODE]
    assert sum(size for size, _ in sizes) + _uleb_len(len(sizes)) == len(code)
    assert sizes == sorted(sizes, reverse=True) and sizes[0][1].startswith("#")


@pytest.mark.slow
def test_an_unstripped_build_names_the_interpreter(tmp_path: pathlib.Path):
    wasm = build_filter.build(tmp_path / "f.wasm", variant=wire_variants.VARIANTS[0], strip=False)
    names = [name for _, name in wasm_sizes.function_sizes(wasm)]
    assert "vm.run" in names and "program.decode" in names
    shipped = wasm_sizes.sections((build_filter.DATA / wire_variants.VARIANTS[0].filename).read_bytes())[0]
    assert wasm_sizes.sections(wasm)[0][wasm_sizes.SECTION_CODE] == shipped[wasm_sizes.SECTION_CODE]
