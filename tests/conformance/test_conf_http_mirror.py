"""RequestMirror: the mirror backend receives a copy (its answer is discarded), several mirrors per rule,
percent 0 never mirrors, fraction 3/3 always does."""
import time
import uuid

import pytest
from conf_cases import Case, check

pytestmark = pytest.mark.e2e
H = "mirror.example.com"


def _mirrored(gw, backend: str, marker: str, timeout: float = 3.0) -> list[dict]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        hits = [p for p in list(gw.http_backends[backend].seen) if p["path"].endswith(marker)]
        if hits:
            return hits
        time.sleep(0.02)
    return []


@pytest.mark.parametrize("path,mirrors,not_mirrored", [
    ("/mirror", ["infra-backend-v2"], ["infra-backend-v3"]),
    ("/multi-mirror", ["infra-backend-v2", "infra-backend-v3"], []),
    ("/fraction-always", ["infra-backend-v3"], ["infra-backend-v2"]),
    ("/never-mirrored", [], ["infra-backend-v2"]),
], ids=["one mirror", "two mirrors", "fraction 3/3", "percent 0"])
def test_mirrors(gw, path, mirrors, not_mirrored):
    marker = uuid.uuid4().hex
    # the client only ever sees the primary backend's answer
    check(gw, Case(path, H, f"{path}/{marker}", headers={"X-Marker": marker}))
    for backend in mirrors:
        hits = _mirrored(gw, backend, marker)
        assert len(hits) == 1, f"{backend} should have seen one mirrored request"
        # the copy keeps the request's host (no "-shadow" suffix), path and headers
        assert hits[0]["host"] == H and hits[0]["headers"]["X-Marker"] == [marker]
    time.sleep(0.2 if not mirrors else 0)
    for backend in not_mirrored:
        assert not _mirrored(gw, backend, marker, timeout=0.1), f"{backend} must not see a copy"


def test_percent_50_mirrors_about_half(gw):
    # 200 requests at 50 %: the binomial standard deviation is ~7, so 60..140 fails only on a broken share
    marker = uuid.uuid4().hex
    for i in range(200):
        assert gw.request(H, f"/half-mirrored/{marker}/{i}").status == 200
    time.sleep(0.3)  # mirrored requests are sent asynchronously
    copies = [p for p in list(gw.http_backends["infra-backend-v2"].seen) if f"/{marker}/" in p["path"]]
    assert 60 <= len(copies) <= 140, len(copies)
