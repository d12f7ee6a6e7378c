"""Golden files, one helper for every golden test: compare text with a file beside the test, or rewrite it
when KGW_UPDATE_GOLDEN=1; and find goldens whose input is gone (stale goldens fail the run)."""
from __future__ import annotations

import os
import pathlib

UPDATE = os.environ.get("KGW_UPDATE_GOLDEN") == "1"


def check_golden(path: pathlib.Path, actual: str) -> None:
    if UPDATE:
        path.write_text(actual, encoding="utf-8")
        return
    assert path.exists(), f"missing golden file {path}; run with KGW_UPDATE_GOLDEN=1 to create it"
    expected = path.read_text(encoding="utf-8")
    assert actual == expected, f"{path.name} differs from its golden file (KGW_UPDATE_GOLDEN=1 rewrites it)"


def stale_goldens(directory: pathlib.Path, input_suffix: str, output_suffixes: tuple[str, ...]) -> list[str]:
    """Golden outputs in `directory` with no input beside them (a renamed or deleted case left them behind)."""
    inputs = {p.name.removesuffix(input_suffix) for p in directory.glob(f"*{input_suffix}")}
    return sorted(p.name for suffix in output_suffixes for p in directory.glob(f"*{suffix}")
                  if p.name.removesuffix(suffix) not in inputs)
