"""Golden files: compare text with a file beside the test, or rewrite it when KGW_UPDATE_GOLDEN=1."""
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
