import pathlib
import sys

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).parent))

from conf_harness import Harness  # noqa: E402

from tests.support.modes import MODES  # noqa: E402


@pytest.fixture(scope="package", params=MODES)
def gw(request, tmp_path_factory):
    """The one Gateway every conformance case talks to, served by `kgw up` and then by `kgw controller`
    against the real API server (the parity suite): every case runs in both modes. Package scope: it stops
    after the last conformance test, so its threads and processes never run beside other packages' tests
    (tests/controller/runtime/test_gcpolicy.py counts frozen objects process-wide)."""
    apiserver = None
    if request.param == "cluster":
        apiserver = request.getfixturevalue("apiserver")
    h = Harness(tmp_path_factory.mktemp(f"conformance-{request.param}"), request.param, apiserver)
    try:
        yield h.start()
    finally:
        h.close()
