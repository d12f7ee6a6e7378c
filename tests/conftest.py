"""Fixtures shared by several tiers."""
import pytest

from tests.support.apiserver import ApiServer, binaries_missing
from tests.support.kubehelp import HERE, REPO, api_for, install_crds


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
