"""Table-driven HTTP cases: one request to the Gateway, the exact response the client must see and, when a
backend answers, the exact request that backend must have received (from the echo JSON)."""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from conf_infra import GATEWAY_ADDRESS


@dataclass
class Case:
    name: str
    host: str
    path: str
    method: str = "GET"
    headers: dict[str, str] = field(default_factory=dict)
    port: int = 80  # declared listener port
    address: str = GATEWAY_ADDRESS  # the Gateway's
    status: int = 200
    backend: str | None = "infra-backend-v1"  # Service whose echo answered; None when no backend may answer
    backend_path: str | None = None  # default: the request path
    backend_host: str | None = None  # default: the request host
    backend_headers: dict[str, str] = field(default_factory=dict)  # values of repeated headers joined with ","
    absent_backend_headers: list[str] = field(default_factory=list)
    response_headers: dict[str, str] = field(default_factory=dict)
    absent_response_headers: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return self.name


def _echo_headers(echoed: dict) -> dict[str, str]:
    return {name.lower(): ",".join(values) for name, values in echoed["headers"].items()}


def check(gw, case: Case) -> None:
    resp = gw.request(case.host, case.path, case.method, case.headers, port=case.port, address=case.address)
    assert resp.status == case.status, f"{case}: status {resp.status}, body {resp.body[:300]!r}"
    for name, value in case.response_headers.items():
        assert resp.headers.get(name.lower()) == value, f"{case}: response header {name}: {resp.headers}"
    for name in case.absent_response_headers:
        assert name.lower() not in resp.headers, f"{case}: response header {name} must be absent: {resp.headers}"
    if case.backend is None:
        try:
            answered = "service" in json.loads(resp.body)
        except ValueError:
            answered = False
        assert not answered, f"{case}: a backend answered: {resp.body[:200]!r}"
        return
    echoed = resp.echoed()
    assert echoed["service"] == case.backend, f"{case}: answered by {echoed['service']}"
    assert echoed["path"] == (case.backend_path or case.path), f"{case}: backend saw path {echoed['path']}"
    assert echoed["host"] == (case.backend_host or case.host), f"{case}: backend saw host {echoed['host']}"
    seen = _echo_headers(echoed)
    for name, value in case.backend_headers.items():
        assert seen.get(name.lower()) == value, f"{case}: backend header {name}: {seen}"
    for name in case.absent_backend_headers:
        assert name.lower() not in seen, f"{case}: backend header {name} must be absent: {seen}"
