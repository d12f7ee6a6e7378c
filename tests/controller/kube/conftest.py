import pathlib
import sys

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).parent))

from apiserver import ApiServer, binaries_missing  # noqa: E402
from kubehelp import REPO, HERE, api_for, install_crds  # noqa: E402


@pytest.fixture(scope="session")
def apiserver(tmp_path_factory):
    """One real kube-apiserver + etcd for the whole session, with Gateway API and kgateway CRDs installed."""
    missing = binaries_missing()
    if missing:
        pytest.skip(missing)
    server = ApiServer(tmp_path_factory.mktemp("apiserver")).start()
    try:
        api = api_for(server.kubeconfig)
        install_crds(api, sorted((HERE / "gateway-api-crds").glob("*.yaml")) + sorted((REPO / "crds").glob("*.yaml")))
        api.close()
        yield server
    finally:
        server.stop()


@pytest.fixture
def api(apiserver):
    client = api_for(apiserver.kubeconfig)
    yield client
    client.close()
