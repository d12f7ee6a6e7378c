"""Where the filter's bytes go: sections, the largest functions and the data section's size.

    python benchmarks/wasm_sizes.py [--variant full] [--top 40]

Builds the variant as shipped (ReleaseSmall) but unstripped, so the `name` section names every function,
and lists function body sizes from the code section. The shipped file is the same code without the custom
sections (the sizes of the code and data sections match the stripped build's).
"""
from __future__ import annotations

import argparse
import pathlib
import sys
import tempfile

from kgw_rules import build_filter
from kgw_rules.wire import variants as wire_variants

NAME_SUBSECTION_FUNCTIONS = 1
SECTION_IMPORT, SECTION_CODE, SECTION_DATA = 2, 10, 11
IMPORT_KIND_FUNCTION = 0


def _uleb(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return result, pos


def _name(data: bytes, pos: int) -> tuple[bytes, int]:
    n, pos = _uleb(data, pos)
    return data[pos:pos + n], pos + n


def sections(wasm: bytes) -> tuple[dict[int, bytes], dict[str, bytes]]:
    """(standard sections by id, custom sections by name) of a module."""
    if wasm[:4] != b"\0asm":
        raise ValueError("not a wasm module")
    std, custom, pos = {}, {}, 8
    while pos < len(wasm):
        sid = wasm[pos]
        size, pos = _uleb(wasm, pos + 1)
        body = wasm[pos:pos + size]
        if sid == 0:
            name, at = _name(body, 0)
            custom[name.decode()] = body[at:]
        else:
            std[sid] = body
        pos += size
    return std, custom


def _imported_functions(imports: bytes) -> int:
    count, pos = _uleb(imports, 0)
    functions = 0
    for _ in range(count):
        _, pos = _name(imports, pos)
        _, pos = _name(imports, pos)
        kind = imports[pos]
        pos += 1
        if kind == IMPORT_KIND_FUNCTION:
            _, pos = _uleb(imports, pos)
            functions += 1
        elif kind == 1:  # table: reftype, limits
            flags = imports[pos + 1]
            _, pos = _uleb(imports, pos + 2)
            if flags & 1:
                _, pos = _uleb(imports, pos)
        elif kind == 2:  # memory: limits
            flags = imports[pos]
            _, pos = _uleb(imports, pos + 1)
            if flags & 1:
                _, pos = _uleb(imports, pos)
        else:  # global: valtype, mutability
            pos += 2
    return functions


def _function_names(name_section: bytes) -> dict[int, str]:
    names, pos = {}, 0
    while pos < len(name_section):
        sub = name_section[pos]
        size, pos = _uleb(name_section, pos + 1)
        if sub == NAME_SUBSECTION_FUNCTIONS:
            count, at = _uleb(name_section, pos)
            for _ in range(count):
                index, at = _uleb(name_section, at)
                name, at = _name(name_section, at)
                names[index] = name.decode(errors="replace")
        pos += size
    return names


def function_sizes(wasm: bytes) -> list[tuple[int, str]]:
    """(encoded size with its length prefix, name or #index) of every defined function, largest first."""
    std, custom = sections(wasm)
    first = _imported_functions(std[SECTION_IMPORT]) if SECTION_IMPORT in std else 0
    names = _function_names(custom.get("name", b""))
    code = std[SECTION_CODE]
    count, pos = _uleb(code, 0)
    out = []
    for i in range(count):
        size, body = _uleb(code, pos)
        out.append((body - pos + size, names.get(first + i, f"#{first + i}")))
        pos = body + size
    return sorted(out, reverse=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--variant", default=wire_variants.FULL.name, choices=[v.name for v in wire_variants.VARIANTS])
    ap.add_argument("--top", type=int, default=40)
    args = ap.parse_args(argv)
    variant = next(v for v in wire_variants.VARIANTS if v.name == args.variant)
    with tempfile.TemporaryDirectory() as tmp:
        wasm = build_filter.build(pathlib.Path(tmp) / variant.filename, variant=variant, strip=False)
    std, _ = sections(wasm)
    print(f"{variant.filename}: code section {len(std[SECTION_CODE])} bytes, "
          f"data section {len(std.get(SECTION_DATA, b''))} bytes")
    for size, name in function_sizes(wasm)[:args.top]:
        print(f"{size:>7} {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
