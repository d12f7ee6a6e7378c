"""timeouts.request (whole request, 504 when exceeded) and timeouts.backendRequest (each backend attempt)."""
import pytest
from conf_cases import Case, check

pytestmark = pytest.mark.e2e
H = "timeout.example.com"

CASES = [
    Case("request timeout not reached", H, "/request", headers={"X-Echo-Delay-Ms": "50"}),
    Case("request timeout exceeded -> 504", H, "/request", headers={"X-Echo-Delay-Ms": "1500"}, status=504,
         backend=None),
    Case("backendRequest timeout not reached", H, "/backend", headers={"X-Echo-Delay-Ms": "50"}),
    Case("backendRequest timeout exceeded -> 504", H, "/backend", headers={"X-Echo-Delay-Ms": "1500"},
         status=504, backend=None),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_timeouts(gw, case):
    check(gw, case)
