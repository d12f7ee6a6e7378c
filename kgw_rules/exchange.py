"""The data both engines (reference VM, wasm filter under wasmtime) take and give back.

Headers are ordered multimaps with lower-case names, as Envoy hands them to a filter; bodies are bytes.
A `None` body means the message has no body (Envoy saw end_stream on the headers).
"""
from __future__ import annotations

import os
import random
from collections.abc import Callable
from dataclasses import dataclass, field

Headers = list[tuple[bytes, bytes]]


@dataclass
class Request:
    method: bytes = b"GET"
    url: bytes = b"/"  # the request target as sent on the wire: path and query
    host: bytes = b"localhost"
    scheme: bytes = b"http"
    client_ip: bytes = b"127.0.0.1"
    route: bytes = b"default/test/0"  # namespace/name/rule-index of the route the programs belong to
    headers: Headers = field(default_factory=list)
    body: bytes | None = None


@dataclass
class Response:
    status: int = 200
    headers: Headers = field(default_factory=list)
    body: bytes | None = None


@dataclass
class LocalResponse:
    status: int
    headers: Headers
    body: bytes
    phase: str  # "request" or "response": where `respond` ran


@dataclass
class Outcome:
    """What one exchange through the rules produced.

    `request` is what the upstream receives (None after a request-phase local response);
    `response` what the client receives from the upstream path (None when there was no upstream answer
    or a local response replaced it); `local_response` is set when the rules answered themselves.
    `skipped` names writes the data plane could not carry out (counted by the filter's metrics).
    """

    request: Request | None
    response: Response | None
    local_response: LocalResponse | None
    skipped: list[str] = field(default_factory=list)
    trace: list[tuple[str, int]] = field(default_factory=list)  # (phase, source line) of statements run
    log_fields: dict[bytes, bytes] = field(default_factory=dict)  # `set log` fields, as the access log sees them


@dataclass
class HostContext:
    """What the host gives a VM beyond the exchange: `env()` reads `env` (Envoy's
    vm_config.environment_variables), `random_id()` draws from `random_bytes(n)`. Both engines take one,
    so tests can drive them identically."""

    env: dict[bytes, bytes] = field(default_factory=dict)
    random_bytes: Callable[[int], bytes] = os.urandom

    @classmethod
    def seeded(cls, seed: int | str, env: dict[bytes, bytes] | None = None) -> HostContext:
        """A deterministic random stream, so a case gives the same outcome on every run."""
        rng = random.Random(seed)
        return cls(dict(env or {}), rng.randbytes)

    def split(self, n: int = 2) -> list[HostContext]:
        """`n` contexts with this env that each read the same random byte stream from the start (drawn
        once from this one): how `--engine both` gives both engines identical random output."""
        drawn = bytearray()

        def reader() -> Callable[[int], bytes]:
            pos = 0

            def read(k: int) -> bytes:
                nonlocal pos
                if pos + k > len(drawn):
                    drawn.extend(self.random_bytes(pos + k - len(drawn)))
                pos += k
                return bytes(drawn[pos - k:pos])

            return read

        return [HostContext(dict(self.env), reader()) for _ in range(n)]
