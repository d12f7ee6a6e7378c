"""The filter's own Zig tests (wasm_filter/src/tests.zig: the decoders of every byte format and the
interpreter), built by the pinned Zig for wasm32-wasi and run under wasmtime with a fake host."""
from __future__ import annotations

import re

import pytest

from kgw_rules import build_filter

pytest.importorskip("ziglang")


@pytest.mark.slow
def test_zig_tests_pass():
    done = build_filter.run_zig_tests()
    assert done.returncode == 0, done.stderr[-4000:]
    passed = re.search(r"All (\d+) tests passed", done.stderr)
    assert passed and int(passed.group(1)) >= 12, done.stderr[-2000:]
    for name in ("a bundle decodes", "the verifier refuses", "a regex program decodes", "varints",
                 "captures, functions and header writes", "respond ends the phase", "client_ip come from the host"):
        assert re.search(rf"test\.[^\n]*{re.escape(name)}[^\n]*\.\.\.OK", done.stderr), name


@pytest.mark.slow
def test_a_failing_zig_test_fails_the_run(tmp_path, monkeypatch):
    """The runner reports a failure as a non-zero exit, so the test above cannot pass vacuously."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "tests.zig").write_text('test "fails" { try @import("std").testing.expect(false); }\n')
    monkeypatch.setattr(build_filter, "SRC", src)
    done = build_filter.run_zig_tests()
    assert done.returncode != 0 and "1 failed" in done.stderr
