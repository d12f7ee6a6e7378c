"""Raw HTTP/1.1 on loopback for the end-to-end tier: a client that sends exactly the bytes we choose and an
upstream that records exactly the bytes it received (header order, duplicates, chunked vs content-length),
then answers with whatever the test prescribes. http.client/http.server would normalise too much."""
from __future__ import annotations

import socket
import socketserver
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

Headers = list[tuple[bytes, bytes]]


@dataclass
class Message:
    start: bytes  # request line or status line, without CRLF
    headers: Headers
    body: bytes | None  # None: no content-length and no transfer-encoding (no body on the wire)
    chunked: bool = False

    @property
    def status(self) -> int:
        return int(self.start.split(b" ")[1])

    def header(self, name: bytes) -> bytes | None:
        return next((v for k, v in self.headers if k == name), None)


def _read_line(f) -> bytes:
    line = f.readline(1 << 24)
    if not line:
        raise ConnectionError("connection closed")
    return line.rstrip(b"\r\n")


def read_message(f, head_only: bool = False, until_close: bool = False) -> Message:
    start = _read_line(f)
    headers: Headers = []
    while line := _read_line(f):
        k, _, v = line.partition(b":")
        headers.append((k.strip().lower(), v.strip(b" \t")))
    names = {k for k, _ in headers}
    chunked = b"chunked" in b",".join(v.lower() for k, v in headers if k == b"transfer-encoding")
    if head_only:
        return Message(start, headers, None)
    if chunked:
        body = bytearray()
        while size := int(_read_line(f).split(b";")[0] or b"0", 16):
            body += f.read(size)
            f.readline()
        while _read_line(f):  # trailers
            pass
        return Message(start, headers, bytes(body), chunked=True)
    if b"content-length" in names:
        return Message(start, headers, f.read(int(dict(headers)[b"content-length"])))
    if until_close:
        return Message(start, headers, f.read())
    return Message(start, headers, None)


def encode(start: bytes, headers: Headers, body: bytes | None, chunked: bool = False) -> bytes:
    out = start + b"\r\n" + b"".join(k + b": " + v + b"\r\n" for k, v in headers) + b"\r\n"
    if chunked:
        return out + (b"%x\r\n%s\r\n" % (len(body), body) if body else b"") + b"0\r\n\r\n"
    return out + (body or b"")


def request(port: int, raw: bytes, source_ip: str = "127.0.0.1", head: bool = False, timeout: float = 10) -> Message:
    """One request on a fresh connection (bound to `source_ip`, any 127/8 address works on loopback)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout, source_address=(source_ip, 0)) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.sendall(raw)
        with s.makefile("rb") as f:
            reply = read_message(f, head_only=head)
            while reply.status < 200:  # 100 Continue
                reply = read_message(f, head_only=head)
            return reply


Responder = Callable[[Message], tuple[bytes, Headers, bytes | None, bool]]


@dataclass
class Upstream:
    """A keep-alive HTTP/1.1 upstream on 127.0.0.1; `responder(request)` gives (status line, headers, body,
    chunked). Every request is appended to `seen` before it is answered."""

    responder: Responder
    seen: list[Message] = field(default_factory=list)

    def __enter__(self) -> Upstream:
        owner = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                # Nagle off, or small answers wait for delayed ACKs (40 ms)
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                while True:
                    try:
                        msg = read_message(self.rfile)
                    except (ConnectionError, OSError, ValueError):
                        return
                    owner.seen.append(msg)
                    start, headers, body, chunked = owner.responder(msg)
                    self.wfile.write(encode(start, headers, body, chunked))
                    self.wfile.flush()

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
