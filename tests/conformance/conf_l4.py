"""The L4 side of the harness: TCP, TLS and UDP echo backends on loopback (kgw_controller.echo_l4, and HTTPS
echo servers for the TLS passthrough backends), their Services and EndpointSlices under the upstream names, and
the clients the upstream tcp / tls / udp conformance helpers are (a TCP exchange PING/IS_TLS/TEST, a TLS dial
expecting rejection, a UDP echo, a DNS query).

Backends are like pods: each its own loopback address (127.0.2.N), the same free ports everywhere.
"""
from __future__ import annotations

import json
import socket
import ssl
import struct
from dataclasses import dataclass
from pathlib import Path

import yaml
from conf_infra import APP, INFRA, WEB

from kgw_controller import echo, echo_l4

# name -> (namespace, address, kind): "tcp" (a plain and a TLS port), "https" (an HTTPS echo), "udp", "dns"
L4_BACKENDS = {
    "tcp-backend": (INFRA, "127.0.2.1", "tcp"),
    "tcp-attach-backend-1": (INFRA, "127.0.2.2", "tcp"),
    "tcp-attach-backend-2": (INFRA, "127.0.2.3", "tcp"),
    "tcp-echo-attach-all": (INFRA, "127.0.2.4", "tcp"),
    "tcp-echo-one": (INFRA, "127.0.2.5", "tcp"),
    "tcp-echo-two": (INFRA, "127.0.2.6", "tcp"),
    "tcp-echo-three": (INFRA, "127.0.2.7", "tcp"),
    "tcp-reference-grant-backend": (WEB, "127.0.2.8", "tcp"),
    "tcp-invalid-xns-backend": (WEB, "127.0.2.9", "tcp"),
    "tcp-backend-v1": (INFRA, "127.0.2.10", "tcp"),
    "tcp-backend-v2": (INFRA, "127.0.2.11", "tcp"),
    "tcp-backend-v3": (INFRA, "127.0.2.12", "tcp"),
    "tls-backend": (INFRA, "127.0.2.20", "https"),
    "tls-backend-2": (INFRA, "127.0.2.21", "https"),
    "tls-backend@app": (APP, "127.0.2.22", "https"),  # the other namespace's tls-backend
    "coredns": (INFRA, "127.0.2.30", "dns"),
    "udp-attach-backend-1": (INFRA, "127.0.2.31", "udp"),
    "udp-attach-backend-2": (INFRA, "127.0.2.32", "udp"),
    "udp-echo-attach-all": (INFRA, "127.0.2.33", "udp"),
    "udp-echo-by-port": (INFRA, "127.0.2.34", "udp"),
    "udp-echo-by-section": (INFRA, "127.0.2.35", "udp"),
    "udp-echo-by-section-and-port": (INFRA, "127.0.2.36", "udp"),
    "udp-echo-reference-grant": (APP, "127.0.2.37", "udp"),
    "udp-backend-v1": (INFRA, "127.0.2.38", "udp"),
    "udp-backend-v2": (INFRA, "127.0.2.39", "udp"),
    "udp-backend-v3": (INFRA, "127.0.2.40", "udp"),
}
# Upstream Service ports: tcp echo plain 3000 + TLS 8443; HTTPS echo 443; udp echo 8080; CoreDNS 53.
_SERVICE_PORTS = {
    "tcp": [("echo-tcp-plain", 3000, "TCP", "plain"), ("echo-tcp-tls", 8443, "TCP", "tls")],
    "https": [("https", 443, "TCP", "tls")],
    "udp": [("udp", 8080, "UDP", "plain")],
    "dns": [("udp-dns", 53, "UDP", "plain")],
}
# The upstream suite's certificates (utils/suite): made by the harness from its test CA
CHECKS_HOSTS = ["abc.example.com", "other.example.com"]  # tls-checks-certificate: the HTTPS echo backends
PASSTHROUGH_HOSTS = ["abc.example.com"]  # tls-passthrough-checks-certificate: tcp-backend's TLS port
TERMINATE_CERT, TERMINATE_HOSTS = "tls-terminate-checks-certificate", ["tls.example.com"]


def _doc(**kw) -> str:
    return yaml.safe_dump(kw, sort_keys=False, default_flow_style=None, width=160) + "---\n"


def backends_yaml(plain_port: int, tls_port: int) -> str:
    """Services and EndpointSlices of every L4 backend (upstream names and Service ports)."""
    out = ""
    for key, (ns, addr, kind) in L4_BACKENDS.items():
        name = key.split("@")[0]
        ports = _SERVICE_PORTS[kind]
        out += _doc(apiVersion="v1", kind="Service", metadata={"name": name, "namespace": ns},
                    spec={"ports": [{"name": n, "port": p, "protocol": proto} for n, p, proto, _ in ports]})
        out += _doc(apiVersion="discovery.k8s.io/v1", kind="EndpointSlice",
                    metadata={"name": f"{name}-1", "namespace": ns, "labels": {"kubernetes.io/service-name": name}},
                    addressType="IPv4",
                    ports=[{"name": n, "port": tls_port if which == "tls" else plain_port, "protocol": proto}
                           for n, _, proto, which in ports],
                    endpoints=[{"addresses": [addr], "conditions": {"ready": True}}])
    return out


@dataclass
class L4Backends:
    servers: list

    @classmethod
    def start(cls, plain_port: int, tls_port: int, passthrough: tuple[Path, Path], checks: tuple[Path, Path]
              ) -> L4Backends:
        servers: list = []
        try:
            for key, (ns, addr, kind) in L4_BACKENDS.items():
                name = key.split("@")[0]
                if kind == "tcp":
                    servers.append(echo_l4.start_tcp(addr, plain_port, ns, name))
                    tls = echo_l4.server_tls(str(passthrough[0]), str(passthrough[1]))
                    servers.append(echo_l4.start_tcp(addr, tls_port, ns, name, tls=tls))
                elif kind == "https":
                    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                    ctx.load_cert_chain(str(checks[0]), str(checks[1]))
                    servers.append(echo.start_in_thread(addr, tls_port, namespace=ns, service=name, tls=ctx))
                else:
                    servers.append(echo_l4.start_udp(addr, plain_port, ns, name, dns=kind == "dns"))
        except BaseException:
            cls(servers).close()
            raise
        return cls(servers)

    def close(self) -> None:
        for server in self.servers:
            server.shutdown()
            server.server_close()


def addresses() -> list[str]:
    return [addr for _, addr, _ in L4_BACKENDS.values()]


# --- clients (the upstream conformance utils/tcp, utils/tls, utils/udp) -----------------------------------------
def tcp_exchange(address: str, port: int, sni: str | None = None, ca_file: str | None = None,
                 timeout: float = 3.0) -> dict:
    """The upstream TCP check: welcome line, PING -> PONG, IS_TLS, TEST -> the backend's JSON. With `sni` the
    connection is TLS (verified against `ca_file`, for `sni`); the result also names the certificate the
    client was shown (`peer`: its subjectAltNames)."""
    raw = socket.create_connection((address, port), timeout=timeout)
    sock: socket.socket = raw
    peer: list[str] = []
    try:
        if sni is not None:
            ctx = ssl.create_default_context(cafile=ca_file)
            ctx.minimum_version = ssl.TLSVersion.TLSv1_2
            sock = ctx.wrap_socket(raw, server_hostname=sni)
            peer = [v for k, v in sock.getpeercert().get("subjectAltName", ()) if k == "DNS"]
        lines = sock.makefile("rb")
        welcome = lines.readline()
        if not welcome:
            raise ConnectionResetError("the connection was closed before the welcome line")
        out = {"welcome": welcome.decode(), "peer": peer}
        for ask in ("PING", "IS_TLS", "TEST"):
            sock.sendall(ask.encode() + b"\n")
            out[ask] = lines.readline().decode().rstrip("\n")
        out["TEST"] = json.loads(out["TEST"])
        return out
    finally:
        sock.close()


def tcp_pod(address: str, port: int, timeout: float = 3.0) -> str:
    """The upstream EchoSendOnce: which pod answered one connection."""
    with socket.create_connection((address, port), timeout=timeout) as sock:
        lines = sock.makefile("rb")
        if lines.readline() != echo_l4.WELCOME:
            raise ConnectionResetError("no welcome line")
        sock.sendall(b"TEST\n")
        return json.loads(lines.readline())["pod"]


def tls_rejected(address: str, port: int, sni: str, timeout: float = 3.0) -> bool:
    """The upstream MakeTLSConnectionAndExpectEventuallyConnectionRejection: the dial ends in EOF or a reset."""
    ctx = ssl.create_default_context()
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    try:
        with socket.create_connection((address, port), timeout=timeout) as raw, \
                ctx.wrap_socket(raw, server_hostname=sni):
            return False  # a handshake completed: someone served this name
    except (ssl.SSLEOFError, ConnectionResetError, ssl.SSLZeroReturnError):
        return True
    except ssl.SSLError as e:
        return "EOF" in str(e) or "reset" in str(e).lower()


def udp_echo(address: str, port: int, payload: bytes = b"gateway-api-conformance-udp-echo",
             timeout: float = 2.0) -> dict:
    """One datagram through a fresh socket (a new session), the backend's JSON answer."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        sock.sendto(payload, (address, port))
        data, _ = sock.recvfrom(4096)
        return json.loads(data)


def dns_query(address: str, port: int, name: str = "foo.bar.com.", timeout: float = 2.0) -> dict:
    """A DNS A query (what the upstream UDPRoute test sends to CoreDNS); the parsed answer."""
    qid = 0x4B47
    labels = b"".join(bytes([len(p)]) + p.encode() for p in name.rstrip(".").split(".")) + b"\0"
    query = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + labels + struct.pack("!HH", 1, 1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        sock.sendto(query, (address, port))
        data, _ = sock.recvfrom(4096)
    rid, flags, qd, an = struct.unpack("!HHHH", data[:8])
    question_end = 12 + len(labels) + 4
    a_record = socket.inet_ntoa(data[-4:]) if an else None
    return {"id_matches": rid == qid, "response": bool(flags & 0x8000), "rcode": flags & 0xF,
            "question": data[12:question_end] == query[12:], "answers": an, "a": a_record}
