"""A tiny asyncio HTTP/1.1 server for the admin endpoints (GET only, one response per connection)."""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable, Coroutine
from typing import Any

log = logging.getLogger("kgw.admin")

Response = tuple[int, str, bytes]  # status, content type, body
Handler = Callable[[], Response | Coroutine[Any, Any, Response]]  # a plain or an async def
_REASONS = {200: "OK", 404: "Not Found", 405: "Method Not Allowed", 503: "Service Unavailable", 400: "Bad Request"}


def json_response(status: int, payload) -> Response:
    return status, "application/json", (json.dumps(payload, indent=1, sort_keys=False) + "\n").encode()


class AdminServer:
    def __init__(self, routes: dict[str, Handler], address: str = "127.0.0.1:9095"):
        self.routes = routes
        self.host, _, port = address.rpartition(":")
        self.port = int(port)
        self._server: asyncio.AbstractServer | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self) -> None:
        try:
            self._server = await asyncio.start_server(self._handle, self.host, self.port)
        except OSError as e:
            raise OSError(f"cannot serve admin on {self.host}:{self.port}: {e.strerror or e}") from None
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 1)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
            method, target, _ = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ", 2)
            path = target.split("?", 1)[0]
            if method not in ("GET", "HEAD"):
                status, ctype, body = 405, "text/plain", b"GET only\n"
            elif path not in self.routes:
                status, ctype, body = 404, "text/plain", ("try: " + " ".join(self.routes) + "\n").encode()
            else:
                result = self.routes[path]()
                status, ctype, body = await result if asyncio.iscoroutine(result) else result
            head_out = (f"HTTP/1.1 {status} {_REASONS.get(status, '')}\r\nContent-Type: {ctype}\r\n"
                        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
            writer.write(head_out if method == "HEAD" else head_out + body)
            await writer.drain()
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError, ConnectionError):
            pass
        except Exception:  # a handler bug must not take the admin server down
            log.exception("admin request failed")
            with contextlib.suppress(Exception):
                writer.write(b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        finally:
            writer.close()
