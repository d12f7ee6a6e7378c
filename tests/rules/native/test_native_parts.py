"""benchmarks/dataplane_native_parts.py measures the native module with one part left out, by patching a copy
of the sources: every patch must still apply to today's sources, once, or the benchmark would measure nothing."""
from __future__ import annotations

import pytest

from benchmarks import dataplane_native_parts as parts
from kgw_rules.build_filter import SRC


@pytest.mark.parametrize("part", [p for p in parts.PARTS if p != "full"])
def test_each_part_patch_applies_once_and_changes_the_source(part):
    changed = parts.patched_sources(part, SRC)
    assert changed, part
    for file, text in changed.items():
        assert text != (SRC / file).read_text()


def test_a_stale_patch_is_reported_by_name(tmp_path, monkeypatch):
    (tmp_path / "native.zig").write_text("nothing the patch looks for\n")
    monkeypatch.setitem(parts.PARTS, "stale", [("native.zig", "absent text", "x")])
    with pytest.raises(SystemExit, match="part stale: its patch of native.zig no longer applies"):
        parts.patched_sources("stale", tmp_path)
