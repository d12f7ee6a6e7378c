import pathlib
import sys

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).parent))

from conf_harness import Harness  # noqa: E402


@pytest.fixture(scope="package")
def gw(tmp_path_factory):
    """The one controller (and its Envoys) every conformance case talks to, started once (~2 s) and stopped
    after the last conformance test, so its threads and processes never run beside other packages' tests
    (tests/controller/runtime/test_gcpolicy.py counts frozen objects process-wide)."""
    h = Harness(tmp_path_factory.mktemp("conformance"))
    try:
        yield h.start()
    finally:
        h.close()
