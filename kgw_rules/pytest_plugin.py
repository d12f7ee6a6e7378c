"""pytest plugin registered through the `pytest11` entry point; fixtures for testing rules in user suites.

    def test_user_is_stamped(kgw_rules_filter):
        f = kgw_rules_filter("api.kgw")                  # a path, or the rules source itself
        r = f.request("GET", "/v1/x", headers={"authorization": "Bearer t", "x-user-id": "Alice"})
        assert r.request.headers["x-user"] == "alice"    # what the upstream receives
        assert r.local_response is None

Every exchange runs through the same kgw_filter.wasm that Envoy runs (under wasmtime); pass
`engine="ref"` for the Python reference VM or `engine="both"` to run both and fail on any difference.

`pytest --kgw-coverage` reports which statements and branches of the rules files (programs compiled from
source by the fixture) the tests ran, like `kgw test --coverage`; `--kgw-lcov FILE` and
`--kgw-cobertura FILE` write the LCOV and Cobertura reports.
"""
from __future__ import annotations

import json as _json
import os
import pathlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

from .exchange import LocalResponse, Outcome, Request, Response
from .wire.opcodes import DESCRIPTOR_HEADER_PREFIX

if TYPE_CHECKING:
    from .bytecode import Program
    from .coverage import CoverageData
    from .engines import Engine

Headers = list[tuple[bytes, bytes]]


def _b(v: object) -> bytes:
    return v if isinstance(v, bytes) else str(v).encode()


HeaderSpec = Mapping[str | bytes, object] | list[tuple[str | bytes, object]] | None


def _headers(h: HeaderSpec) -> Headers:
    """Headers from a dict (a list value = the header several times) or a list of pairs."""
    if h is None:
        return []
    items = list(h.items()) if isinstance(h, Mapping) else h
    out: Headers = []
    for k, v in items:
        for one in (v if isinstance(v, list | tuple) else [v]):
            out.append((_b(k).lower(), _b(one)))
    return out


class HeaderView(Mapping[str, str]):
    """Read-only, case-insensitive view of a header list; `h[name]` is the first value as text."""

    def __init__(self, pairs: Headers):
        self.pairs = list(pairs)

    def __getitem__(self, name: str) -> str:
        key = _b(name).lower()
        for k, v in self.pairs:
            if k == key:
                return v.decode("utf-8", "surrogateescape")
        raise KeyError(name)

    def getall(self, name: str) -> list[str]:
        key = _b(name).lower()
        return [v.decode("utf-8", "surrogateescape") for k, v in self.pairs if k == key]

    def __iter__(self) -> Iterator[str]:
        seen = []
        for k, _ in self.pairs:
            name = k.decode("utf-8", "surrogateescape")
            if name not in seen:
                seen.append(name)
        return iter(seen)

    def __len__(self) -> int:
        return len(set(k for k, _ in self.pairs))

    def __repr__(self) -> str:
        return f"HeaderView({self.pairs!r})"


class _Message:
    def __init__(self, headers: Headers, body: bytes | None):
        self.headers = HeaderView(headers)
        self.body = body

    @property
    def text(self) -> str | None:
        return None if self.body is None else self.body.decode("utf-8", "surrogateescape")

    def json(self) -> Any:
        """The body parsed as JSON (raises on a missing or non-JSON body)."""
        return _json.loads(self.body if self.body is not None else b"")


class RequestView(_Message):
    def __init__(self, r: Request):
        super().__init__(r.headers, r.body)
        self.method, self.url, self.host = r.method.decode(), r.url.decode(), r.host.decode()
        self.path = self.url.split("?", 1)[0]
        self.raw = r

    @property
    def descriptors(self) -> dict[str, str]:
        """The rate-limit descriptors the rules set (`set descriptor`), by key, as the local rate limit sees them."""
        prefix = DESCRIPTOR_HEADER_PREFIX.decode()
        return {name[len(prefix):]: self.headers[name] for name in self.headers if name.startswith(prefix)}


class ResponseView(_Message):
    def __init__(self, r: Response | LocalResponse):
        super().__init__(r.headers, r.body)
        self.status = r.status
        self.raw = r


@dataclass
class FilterResult:
    """What one exchange produced: request (to the upstream), response (to the client from the
    upstream path) and local_response (the rules answered themselves); the absent ones are None."""

    request: RequestView | None
    response: ResponseView | None
    local_response: ResponseView | None
    skipped: list[str]
    outcome: Outcome


def _response(resp: Response | int | Mapping[str, Any] | None) -> Response | None:
    if resp is None or isinstance(resp, Response):
        return resp
    if isinstance(resp, int):
        return Response(status=resp)
    body = resp.get("body")
    if "json" in resp:
        body = _json.dumps(resp["json"]).encode()
    return Response(status=int(resp.get("status", 200)), headers=_headers(resp.get("headers")),
                    body=None if body is None else _b(body))


class FilterUnderTest:
    """A compiled rules program and the engine that runs it."""

    def __init__(self, blobs: list[bytes], engine: Engine, programs: list[Program] | None = None,
                 coverage: CoverageData | None = None):
        self.blobs = blobs
        self._engine = engine
        self._programs = programs or []  # with source, when coverage is measured
        self._coverage = coverage

    def request(self, method: str = "GET", url: str = "/", headers: HeaderSpec = None, body: str | bytes | None = None,
                response: Response | int | Mapping[str, Any] | None = None, *,
                json: object = None, host: str = "localhost", scheme: str = "http", client_ip: str = "127.0.0.1",
                route: str = "default/test/0") -> FilterResult:
        if json is not None:
            body = _json.dumps(json).encode()
        req = Request(method=_b(method), url=_b(url), host=_b(host), scheme=_b(scheme), client_ip=_b(client_ip),
                      route=_b(route), headers=_headers(headers), body=None if body is None else _b(body))
        out = self._engine(self.blobs, req, _response(response))
        if self._coverage is not None:
            self._measure(req, _response(response))
        return FilterResult(
            request=RequestView(out.request) if out.request is not None else None,
            response=ResponseView(out.response) if out.response is not None else None,
            local_response=ResponseView(out.local_response) if out.local_response is not None else None,
            skipped=list(out.skipped),
            outcome=out,
        )


    def _measure(self, req: Request, resp: Response | None) -> None:
        from .vm import Probe, run_exchange

        probe = Probe()
        run_exchange(self._programs, req, resp, probe=probe)
        assert self._coverage is not None
        for index, program in enumerate(self._programs):
            if program.source is not None:
                self._coverage.file(program).record(probe, index)


def _source(path_or_source: str | os.PathLike[str], base: pathlib.Path) -> tuple[str, str]:
    """(source, filename): a path (relative to the test file) when such a file exists, else source."""
    if isinstance(path_or_source, os.PathLike) or (
            isinstance(path_or_source, str) and "\n" not in path_or_source and path_or_source.endswith(".kgw")):
        p = pathlib.Path(path_or_source)
        if not p.is_absolute() and not p.exists():
            p = base / p
        return p.read_text(encoding="utf-8"), str(p)
    return str(path_or_source), "<string>"


_ENGINES: dict[str, Engine] = {}


def _engine(name: str) -> Engine:
    if name not in _ENGINES:
        from .engines import get_engine

        _ENGINES[name] = get_engine(name)
    return _ENGINES[name]


@pytest.fixture
def kgw_rules_filter(request: pytest.FixtureRequest) -> Callable[..., FilterUnderTest]:
    """Factory: `kgw_rules_filter(path_or_source, *more, engine="wasm") -> FilterUnderTest`.

    Several programs run in order, as Gateway-, route- and rule-level programs do on one route.
    """
    from . import compile as compile_rules
    from .bytecode import Program

    base = request.path.parent
    coverage = request.config.stash.get(_COVERAGE, None)

    def make(*programs: bytes | str | os.PathLike[str], engine: str = "wasm") -> FilterUnderTest:
        blobs, compiled = [], []
        for p in programs:
            if isinstance(p, bytes):
                blobs.append(p)  # already compiled bytecode: no source, so no coverage
                compiled.append(Program.from_bytes(p))
                continue
            source, filename = _source(p, base)
            program = compile_rules(source, filename)
            blobs.append(program.to_bytes(strip=True))
            compiled.append(program)
            if coverage is not None:
                coverage.file(program)  # listed even when no test sends it a request
        return FilterUnderTest(blobs, _engine(engine), compiled, coverage)

    return make


_COVERAGE = pytest.StashKey["CoverageData"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("kgw", "kgw rules")
    group.addoption("--kgw-coverage", action="store_true",
                    help="report the statements and branches of rules files the kgw_rules_filter tests ran")
    group.addoption("--kgw-lcov", metavar="FILE", help="write rules coverage as LCOV (implies --kgw-coverage)")
    group.addoption("--kgw-cobertura", metavar="FILE",
                    help="write rules coverage as Cobertura XML (implies --kgw-coverage)")


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("kgw_coverage") or config.getoption("kgw_lcov") or config.getoption("kgw_cobertura"):
        from .coverage import CoverageData

        config.stash[_COVERAGE] = CoverageData()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, exitstatus: int, config: pytest.Config) -> None:
    data = config.stash.get(_COVERAGE, None)
    if data is None:
        return
    from .coverage import cobertura_report, lcov_report, text_report

    terminalreporter.write_sep("-", "kgw rules coverage (reference VM)")
    terminalreporter.write(text_report(data))
    for option, render in (("kgw_lcov", lcov_report), ("kgw_cobertura", cobertura_report)):
        path = config.getoption(option)
        if path:
            pathlib.Path(path).write_text(render(data), encoding="utf-8")
            terminalreporter.write_line(f"wrote {path}")
