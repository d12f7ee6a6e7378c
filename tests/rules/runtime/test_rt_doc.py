"""docs/runtime.md is the porting contract: every public runtime function must be described there."""
import pathlib

import kgw_rules.runtime as runtime

DOC = pathlib.Path(__file__).resolve().parents[3] / "docs" / "runtime.md"


def test_every_public_function_is_documented():
    text = DOC.read_text()
    missing = [name for name in runtime.__all__ if f"`{name}" not in text]
    assert missing == []


def test_every_runtime_module_is_listed_in_the_doc():
    text = DOC.read_text()
    folder = pathlib.Path(runtime.__file__).parent
    modules = sorted(p.stem for p in folder.glob("*.py") if p.stem != "__init__")
    assert [m for m in modules if f"runtime.{m}`" not in text] == []
