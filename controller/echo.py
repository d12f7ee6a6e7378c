"""A small echo upstream for examples and tests, answering like the Gateway API conformance echo server.

    python -m kgw_controller.echo --listen 127.0.0.1:3000

Request header `X-Echo-Set-Header: k:v,k2:v2` sets those response headers; `X-Echo-Delay-Ms: N` waits N ms
before answering (to hold a request in flight), and so does a `delay` query parameter (`?delay=1s`, `500ms`), as
the conformance echo server's. Paths under `/retry/` simulate a flaky backend as the
conformance echo server does (`?uuid=U&succeedAfter=N&responseCode=C`: the first N requests of U fail).
A connection that opens with the HTTP/2 preface is served as h2c (prior knowledge; needs the `h2` package).
A GET with `Upgrade: websocket` becomes a WebSocket that echoes every text/binary message back. The server
keeps the last requests it answered in `server.seen` (tests use it to see mirrored requests, whose answers
Envoy discards). Given an `ssl.SSLContext` it serves HTTPS and adds `tls: {serverName, peerCertificates}`
(the SNI it was sent, the client's certificate in PEM) to what it echoes, as the conformance echo server does.
"""
from __future__ import annotations

import argparse
import base64
import collections
import contextlib
import hashlib
import io
import json
import os
import socket
import ssl
import struct
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_DELAY_MS = 60_000
SEEN_LIMIT = 1000
WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455
H2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


class EchoHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as Envoy's upstream pool expects
    server_version = "kgw-echo"
    identity: dict = {}
    server: EchoServer  # serve() pairs this handler with an EchoServer only

    def setup(self):
        super().setup()
        # Without this, small responses wait for delayed ACKs (40 ms) and distort every latency number.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format, *args):  # noqa: A002 - signature fixed by http.server
        pass

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = bytearray()
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return bytes(out)
                out += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _answer(self) -> None:
        if self.headers.get("Upgrade", "").lower() == "websocket":
            return self._websocket()
        self._body()  # drain it so the connection stays usable
        if self.path.startswith("/retry/") and self._failed_attempt():
            return
        delay_ms = _delay_ms(self.headers.get("X-Echo-Delay-Ms"), self.path)
        if delay_ms:
            time.sleep(min(delay_ms, MAX_DELAY_MS) / 1000)
        payload = self._payload(self.path, self.headers.get("Host", ""), self.command, self.request_version,
                                list(self.headers.items()))
        if isinstance(self.connection, ssl.SSLSocket):
            peer = self.connection.getpeercert(binary_form=True)
            payload["tls"] = {"serverName": getattr(self.connection, "sni", None) or "",
                              "peerCertificates": [ssl.DER_cert_to_PEM_cert(peer)] if peer else []}
        body = (json.dumps(payload) + "\n").encode() if self.command != "HEAD" else b""
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for item in self.headers.get("X-Echo-Set-Header", "").split(","):
            name, sep, value = item.partition(":")
            if sep and name.strip():
                self.send_header(name.strip(), value.strip())
        self.end_headers()
        self.wfile.write(body)

    def _payload(self, path: str, host: str, method: str, proto: str, header_items: list[tuple[str, str]]) -> dict:
        """What the echo answers (and keeps in `server.seen`) for one request."""
        headers: dict[str, list[str]] = {}
        for name, value in header_items:
            headers.setdefault(name.title(), []).append(value)
        payload = {"path": path, "host": host, "method": method, "proto": proto, "headers": headers, **self.identity}
        self.server.seen.append(payload)
        return payload

    def handle_one_request(self) -> None:
        # HTTP/2 prior knowledge (h2c) on the same port, as the conformance echo serves it
        rfile = self.rfile  # a BufferedReader (StreamRequestHandler.rbufsize -1), which can peek
        if isinstance(rfile, io.BufferedReader) and rfile.peek(len(H2_PREFACE)).startswith(H2_PREFACE[:8]):
            self.close_connection = True
            return _serve_h2c(self)
        super().handle_one_request()

    def _failed_attempt(self) -> bool:
        """The conformance echo server's retry simulation: /retry/...?uuid=U&succeedAfter=N[&responseCode=C]
        fails the first N requests of U (with status C, else a TCP reset), then answers normally."""
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        uuid, after, code = (query.get(k, [""])[0] for k in ("uuid", "succeedAfter", "responseCode"))
        if not uuid or not after.isdigit():
            self._plain(400, "uuid and succeedAfter are required")
            return True
        with self.server.lock:
            if self.server.attempts[uuid] >= int(after):
                return False
            self.server.attempts[uuid] += 1
        if code.isdigit():
            self._plain(int(code), "")
        else:  # a reset, not an HTTP answer
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
        return True

    def _plain(self, status: int, text: str) -> None:
        body = text.encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _websocket(self) -> None:
        accept = base64.b64encode(hashlib.sha1((self.headers["Sec-WebSocket-Key"] + WS_GUID).encode()).digest())
        self.send_response(101)
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept", accept.decode())
        self.end_headers()
        self.wfile.flush()
        while (frame := self._ws_read()) is not None:
            opcode, data = frame
            if opcode == 8:  # close: answer it and stop
                self._ws_write(8, data[:2])
                break
            if opcode in (1, 2):
                self._ws_write(opcode, data)
        self.close_connection = True

    def _ws_read(self):
        head = self.rfile.read(2)
        if len(head) < 2:
            return None
        opcode, masked, length = head[0] & 0x0F, head[1] & 0x80, head[1] & 0x7F
        if length == 126:
            length = int.from_bytes(self.rfile.read(2), "big")
        elif length == 127:
            length = int.from_bytes(self.rfile.read(8), "big")
        mask = self.rfile.read(4) if masked else b"\0\0\0\0"
        data = bytes(b ^ mask[i % 4] for i, b in enumerate(self.rfile.read(length)))
        return opcode, data

    def _ws_write(self, opcode: int, data: bytes) -> None:
        size = len(data)
        head = bytes([0x80 | opcode]) + (bytes([size]) if size < 126 else bytes([126]) + size.to_bytes(2, "big"))
        self.wfile.write(head + data)
        self.wfile.flush()

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _answer


def _serve_h2c(handler: EchoHandler) -> None:
    """Answer every request of one h2c connection with the echo JSON (proto HTTP/2.0)."""
    from h2.config import H2Configuration
    from h2.connection import H2Connection
    from h2.events import ConnectionTerminated, DataReceived, RequestReceived, StreamEnded

    conn = H2Connection(config=H2Configuration(client_side=False, header_encoding="utf-8"))
    conn.initiate_connection()
    handler.wfile.write(conn.data_to_send())
    requests: dict[int, list[tuple[str, str]]] = {}
    while data := handler.rfile.read1(65535):
        for event in conn.receive_data(data):
            if isinstance(event, RequestReceived) and event.stream_id is not None:
                requests[event.stream_id] = [(str(k), str(v)) for k, v in event.headers or ()]
            elif isinstance(event, DataReceived) and event.stream_id is not None:
                conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            elif isinstance(event, StreamEnded) and event.stream_id in requests:
                items = requests.pop(event.stream_id)
                pseudo = {k: v for k, v in items if k.startswith(":")}
                payload = handler._payload(pseudo.get(":path", ""), pseudo.get(":authority", ""),
                                           pseudo.get(":method", ""), "HTTP/2.0",
                                           [(k, v) for k, v in items if not k.startswith(":")])
                body = (json.dumps(payload) + "\n").encode()
                conn.send_headers(event.stream_id, [(":status", "200"), ("content-type", "application/json"),
                                                    ("content-length", str(len(body)))])
                conn.send_data(event.stream_id, body, end_stream=True)
            elif isinstance(event, ConnectionTerminated):
                handler.wfile.write(conn.data_to_send())
                return
        handler.wfile.write(conn.data_to_send())


def _delay_ms(header: str | None, path: str) -> int:
    """X-Echo-Delay-Ms, else the `delay` query parameter as a duration with unit ms or s (0: none or bad)."""
    if header and header.isdigit():
        return int(header)
    value = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query).get("delay", [""])[0]
    for unit, scale in (("ms", 1), ("s", 1000)):
        number = value.removesuffix(unit)
        if number != value:
            try:
                return int(float(number) * scale)
            except ValueError:
                return 0
    return 0


class EchoServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    tls: ssl.SSLContext | None = None

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.seen: collections.deque = collections.deque(maxlen=SEEN_LIMIT)  # payloads answered, oldest first
        self.attempts: collections.Counter = collections.Counter()  # /retry/ simulation: failures per uuid
        self.lock = threading.Lock()

    def finish_request(self, request, client_address):
        """With TLS, the handshake happens here, in the connection's own thread: a slow or failing client never
        holds up the accept loop."""
        if self.tls is not None:
            try:
                request = self.tls.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError):
                return  # e.g. no client certificate where one is required: the handshake failed, nothing to answer
        # ConnectionError: the client gave up first (a gateway timeout shorter than a delayed answer)
        with contextlib.suppress(ConnectionError):
            super().finish_request(request, client_address)


def _remember_sni(sock, server_name, _ctx) -> None:
    sock.sni = server_name


def make_server(host: str, port: int, namespace: str = "default", service: str = "echo",
                pod: str | None = None, tls: ssl.SSLContext | None = None) -> EchoServer:
    """`tls`: answer HTTPS with this server context (a backend behind a TLS passthrough listener, or one a
    BackendTLSPolicy names); the SNI each connection sent is remembered."""
    identity = {"namespace": namespace, "ingress": "", "service": service, "pod": pod or f"{service}-{os.getpid()}"}
    handler = type("Handler", (EchoHandler,), {"identity": identity})
    server = EchoServer((host, port), handler)
    if tls is not None:
        tls.sni_callback = _remember_sni
        server.tls = tls
    return server


def start_in_thread(host: str = "127.0.0.1", port: int = 3000, **identity) -> EchoServer:
    server = make_server(host, port, **identity)
    threading.Thread(target=server.serve_forever, name="kgw-echo", daemon=True).start()
    return server


def parse_address(text: str, default_port: int) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep:
        return text, default_port
    return host or "127.0.0.1", int(port)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kgw_controller.echo", description=__doc__.split("\n")[0])
    parser.add_argument("--listen", default="127.0.0.1:3000", help="address:port (default %(default)s)")
    parser.add_argument("--namespace", default="default")
    parser.add_argument("--service", default="echo")
    parser.add_argument("--pod", default=None)
    args = parser.parse_args(argv)
    host, port = parse_address(args.listen, 3000)
    try:
        server = make_server(host, port, args.namespace, args.service, args.pod)
    except OSError as e:
        print(f"echo: cannot listen on {host}:{port}: {e.strerror or e}", file=sys.stderr)
        return 1
    print(f"echo: listening on http://{host}:{server.server_address[1]}/", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
