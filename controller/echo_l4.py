"""TCP, TLS and UDP echo upstreams for TCPRoute, TLSRoute and UDPRoute examples and tests, answering like the
Gateway API conformance echo servers (echo-basic's tcpserver and udpechoserver).

    python -m kgw_controller.echo_l4 --tcp 127.0.0.1:3000 --udp 127.0.0.1:3000

TCP: on connect the server writes `Gateway API Test TCP Server\\n`, then answers lines: `PING` -> `PONG`,
`IS_TLS` -> `true`/`false`, `TEST` -> one JSON line `{namespace, ingress, service, pod, tcpport, isTLS, tls}`
(`tls`: version, serverName (the SNI it saw), negotiatedProtocol, cipherSuite). With a certificate it speaks
TLS on that port instead (a passthrough backend). UDP: every datagram is answered with
`{request, namespace, ingress, service, pod}`, or, with `dns=True`, with a DNS answer naming the client's
address (CoreDNS `whoami`), as the upstream UDPRoute test's CoreDNS backend does.
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import socketserver
import ssl
import struct
import sys
import threading

WELCOME = b"Gateway API Test TCP Server\n"
MAX_LINE = 4096


def _identity(namespace: str, service: str, pod: str | None) -> dict:
    # like a Deployment's pod name, so "<service>-<replicaset>-<pod>" parsing finds the service
    return {"namespace": namespace, "ingress": "", "service": service, "pod": pod or f"{service}-{os.getpid()}-0"}


class _TCPHandler(socketserver.StreamRequestHandler):
    server: TCPEchoServer

    def handle(self) -> None:
        conn = self.connection
        tls_info = None
        if isinstance(conn, ssl.SSLSocket):
            conn.do_handshake()
            cipher = conn.cipher()
            tls_info = {"version": conn.version() or "", "serverName": getattr(conn, "kgw_sni", "") or "",
                        "negotiatedProtocol": conn.selected_alpn_protocol() or "",
                        "cipherSuite": cipher[0] if cipher else ""}
        payload = {**self.server.identity, "tcpport": str(self.server.server_address[1]),
                   "isTLS": tls_info is not None, **({"tls": tls_info} if tls_info else {})}
        self.wfile.write(WELCOME)
        for raw in self.rfile:
            line = raw[:MAX_LINE].strip()
            if line == b"TEST":
                self.wfile.write(json.dumps(payload).encode() + b"\n")
            elif line == b"IS_TLS":
                self.wfile.write(b"true\n" if tls_info else b"false\n")
            elif line == b"PING":
                self.wfile.write(b"PONG\n")
            self.wfile.flush()


class TCPEchoServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], identity: dict, tls: ssl.SSLContext | None = None):
        super().__init__(address, _TCPHandler)
        self.identity, self.tls = identity, tls

    def handle_error(self, request, client_address) -> None:
        pass  # a client that gives up (a refused handshake, a reset) is not the server's error

    def get_request(self):
        conn, addr = super().get_request()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.tls is not None:  # the handshake runs in the connection's thread (handle), not here
            conn = self.tls.wrap_socket(conn, server_side=True, do_handshake_on_connect=False)
        return conn, addr


def server_tls(cert_file: str, key_file: str) -> ssl.SSLContext:
    """A server context that remembers the SNI each connection asked for (as `kgw_sni` on the socket)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(cert_file, key_file)

    def remember(sock, name, _ctx):
        sock.kgw_sni = name

    ctx.sni_callback = remember
    return ctx


def dns_whoami(query: bytes, client: tuple[str, int]) -> bytes | None:
    """A DNS answer to a standard query: the question echoed, one A record with the client's IPv4 address."""
    if len(query) < 12:
        return None
    qid, flags, qdcount = struct.unpack("!HHH", query[:6])
    if flags & 0x8000 or qdcount != 1:  # a response, or not one question
        return None
    end = 12
    while end < len(query) and query[end] != 0:
        end += 1 + query[end]
    question = query[12:end + 5]  # name, its terminating zero, QTYPE, QCLASS
    if len(question) < 5:
        return None
    header = struct.pack("!HHHHHH", qid, 0x8180 | (flags & 0x0100), 1, 1, 0, 0)  # QR, RD copied, RA
    answer = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 0, 4) + socket.inet_aton(client[0])  # name -> question
    return header + question + answer


class _UDPHandler(socketserver.BaseRequestHandler):
    server: UDPEchoServer

    def handle(self) -> None:
        data, sock = self.request
        if self.server.dns:
            reply = dns_whoami(data, self.client_address)
        else:
            reply = json.dumps({"request": data.decode(errors="replace"), **self.server.identity}).encode()
        if reply is not None:
            sock.sendto(reply, self.client_address)


class UDPEchoServer(socketserver.ThreadingUDPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], identity: dict, dns: bool = False):
        super().__init__(address, _UDPHandler)
        self.identity, self.dns = identity, dns


def _serve(server):
    threading.Thread(target=server.serve_forever, name=f"kgw-echo-{type(server).__name__}", daemon=True).start()
    return server


def start_tcp(host: str, port: int, namespace: str = "default", service: str = "echo", pod: str | None = None,
              tls: ssl.SSLContext | None = None) -> TCPEchoServer:
    return _serve(TCPEchoServer((host, port), _identity(namespace, service, pod), tls))


def start_udp(host: str, port: int, namespace: str = "default", service: str = "echo", pod: str | None = None,
              dns: bool = False) -> UDPEchoServer:
    return _serve(UDPEchoServer((host, port), _identity(namespace, service, pod), dns))


def _address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    return host or "127.0.0.1", int(port)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kgw_controller.echo_l4", description=__doc__.split("\n")[0])
    parser.add_argument("--tcp", help="address:port of the TCP echo")
    parser.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"), help="speak TLS on the TCP port")
    parser.add_argument("--udp", help="address:port of the UDP echo")
    parser.add_argument("--dns", action="store_true", help="answer UDP datagrams as a DNS whoami server")
    parser.add_argument("--namespace", default="default")
    parser.add_argument("--service", default="echo")
    args = parser.parse_args(argv)
    if not args.tcp and not args.udp:
        parser.error("give --tcp, --udp or both")
    servers: list[TCPEchoServer | UDPEchoServer] = []
    try:
        if args.tcp:
            tls = server_tls(*args.tls) if args.tls else None
            servers.append(start_tcp(*_address(args.tcp), args.namespace, args.service, tls=tls))
        if args.udp:
            servers.append(start_udp(*_address(args.udp), args.namespace, args.service, dns=args.dns))
    except OSError as e:
        print(f"echo_l4: cannot listen: {e.strerror or e}", file=sys.stderr)
        return 1
    print("echo_l4: listening on " + ", ".join(f"{type(s).__name__} {s.server_address}" for s in servers), flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        for s in servers:
            s.shutdown()
            s.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
