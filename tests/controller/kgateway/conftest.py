import contextlib
import pathlib
import sys
import time

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).parents[1] / "e2e"))  # kgw_harness: ports, echo, manifests

from kgw_harness import DECLARED_PORT, Setup, backend_yaml, free_port, gateway_yaml, http_get  # noqa: E402

from kgw_controller import echo  # noqa: E402
from tests.support.modes import MODES, ClusterMode, UpMode  # noqa: E402


@pytest.fixture
def setup(tmp_path):
    s = Setup(tmp_path)
    yield s
    s.close()


class Deployed:
    """The harness's Gateway `gw` (listener 8080 + a free offset) and echo backend, served by either mode
    (tests/support/modes.py); write manifests, then start()."""

    def __init__(self, root: pathlib.Path, mode: str, apiserver=None):
        self.echo = echo.start_in_thread("127.0.0.1", 0)
        self.echo_port = self.echo.server_address[1]
        self.gw_port = free_port()
        offset = self.gw_port - DECLARED_PORT
        self.mode = ClusterMode(root / "cluster", apiserver, offset) if mode == "cluster" else UpMode(root, offset)
        self.mode.write("gateway.yaml", gateway_yaml())
        self.mode.write("backend.yaml", backend_yaml(self.echo_port))

    def __getattr__(self, name):  # write, remove, start, restart, settle, status_of, envoy_admin
        return getattr(self.mode, name)

    def get(self, path: str = "/", **kw):
        return http_get(self.gw_port, path, **kw)

    def wait_status(self, path: str, want: int, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                if self.get(path, timeout=1)[0] == want:
                    return
            time.sleep(0.01)
        raise AssertionError(f"{path} never answered {want}")

    def close(self) -> None:
        try:
            self.mode.close()
        finally:
            self.echo.shutdown()
            self.echo.server_close()


@pytest.fixture(params=MODES)
def deployed(request, tmp_path):
    """Run the test once with `kgw up` and once with `kgw controller` (the parity suite)."""
    apiserver = request.getfixturevalue("apiserver") if request.param == "cluster" else None
    d = Deployed(tmp_path, request.param, apiserver)
    yield d
    d.close()
