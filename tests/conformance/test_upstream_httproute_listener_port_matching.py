"""Upstream v1.6.1 `HTTPRouteListenerPortMatching`: parentRef `port` picks the listeners; a Host with a port
(foo.com:8080) matches the hostname and reaches the backend unchanged."""
import pytest
from conf_cases import Case, check
from conf_upstream import UPSTREAM_ADDRESSES

pytestmark = pytest.mark.e2e
ADDR = UPSTREAM_ADDRESSES["httproute-listener-port-matching"]


def case(host, backend, status=200):
    port = int(host.partition(":")[2] or 80)  # the listener the request is sent to, as upstream does
    return Case(f"{host} -> {backend or status}", host, "/", port=port, status=status, backend=backend, address=ADDR)


CASES = [
    case("foo.com", "infra-backend-v1"),
    case("foo.com:8080", "infra-backend-v2"),
    case("bar.com:8080", "infra-backend-v2"),
    case("foo.com:8090", "infra-backend-v3"),
    case("bar.com:8090", None, 404),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_HTTPRouteListenerPortMatching(gw, case):
    check(gw, case)
