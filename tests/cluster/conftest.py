"""The cluster tier: one real single-node Kubernetes (scripts/realk8s) for the tests of this folder (stopped
when they are done, so the other tiers do not share the machine with it), the kgw chart installed from this
checkout's Dockerfile image, traffic from inside the cluster's network namespace. Skipped, saying why, when
not root or when scripts/realk8s-build has not run."""
from __future__ import annotations

import os
import pathlib
import sys
import time

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).parent))

from cluster_kube import NETNS_PATH, REPO, Cluster, unavailable  # noqa: E402
from cluster_manifests import RELEASE, RELEASE_NS, gateway_class  # noqa: E402
from cluster_netns import NetnsExecutor  # noqa: E402
from cluster_site import REPORT, Release, report  # noqa: E402

GATEWAY_API_CRDS = sorted((REPO / "tests/support/gateway-api-crds").glob("*.yaml"))
HERE = pathlib.Path(__file__).parent
# Install checks see the release as installed; day-2 operations (which upgrade it) come last.
MODULE_ORDER = ("test_cluster_install.py", "test_cluster_gateway.py", "test_cluster_day2.py")


def pytest_collection_modifyitems(items):
    positions = [i for i, item in enumerate(items) if item.path.parent == HERE]
    ours = sorted((items[i] for i in positions), key=lambda item: MODULE_ORDER.index(item.path.name))
    for i, item in zip(positions, ours, strict=True):
        items[i] = item


def pytest_terminal_summary(terminalreporter):
    if REPORT:
        terminalreporter.section("cluster tier")
        for line in REPORT:
            terminalreporter.write_line(line)


@pytest.fixture(scope="package")
def cluster():
    why = unavailable()
    if why:
        pytest.skip(why)
    c = Cluster(log=report)
    c.build_image()
    c.start()
    try:
        yield c
    finally:
        if os.environ.get("KGW_REALK8S_KEEP"):  # to look around afterwards: scripts/realk8s kubectl ...
            report("KGW_REALK8S_KEEP is set: the cluster keeps running (scripts/realk8s stop)")
        else:
            c.stop()


@pytest.fixture(scope="package")
def net(cluster):
    pool = NetnsExecutor(NETNS_PATH)
    yield pool
    pool.shutdown()


@pytest.fixture(scope="package")
def kgw(cluster):
    """The chart installed with its defaults plus the local image, the Gateway API CRDs (which users
    install themselves) and the `kgw` GatewayClass."""
    for crd in GATEWAY_API_CRDS:
        # create, not apply: 1.20 drops the CEL rules of current CRDs on create, client validation rejects them.
        out = cluster.kubectl("create", "--validate=false", "-f", str(crd), check=False)
        assert out.returncode == 0 or "AlreadyExists" in out.stderr, out.stderr
    cluster.kubectl("wait", "--for=condition=Established", "--timeout=60s",
                    *[f"crd/{p.name.split('_', 1)[1].removesuffix('.yaml')}.gateway.networking.k8s.io"
                      for p in GATEWAY_API_CRDS])
    repository, tag = cluster.image.rsplit(":", 1)
    t0 = time.monotonic()
    cluster.helm("install", RELEASE, str(REPO / "charts/kgw"), "-n", RELEASE_NS, "--create-namespace",
                 "--set", f"image.repository={repository}", "--set", f"image.tag={tag}",
                 "--wait", "--timeout", "180s", timeout=240)
    report(f"helm install --wait: {time.monotonic() - t0:.1f} s")
    cluster.apply(gateway_class())
    try:
        yield Release(RELEASE, RELEASE_NS, repository, tag)
    finally:
        cluster.helm("uninstall", RELEASE, "-n", RELEASE_NS, check=False)


