import pathlib
import sys

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).parent))

from conf_harness import Harness  # noqa: E402


@pytest.fixture(scope="session")
def gw(tmp_path_factory):
    """The one controller + Envoy every conformance case talks to (started once: ~2 s)."""
    h = Harness(tmp_path_factory.mktemp("conformance"))
    try:
        yield h.start()
    finally:
        h.close()
