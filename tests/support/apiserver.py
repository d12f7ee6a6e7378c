"""A real kube-apiserver 1.20 + etcd on loopback for integration tests (built and cached by
scripts/kube-apiserver-build). TLS with a certificate we issue, a static token file, RBAC on: an admin token
(system:masters) for the tests and the controller. Processes die with the test process (pdeathsig)."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from kgw_controller.xds_auth import CertAuthority

CACHE = Path(os.environ.get("KGW_KUBE_CACHE", Path.home() / ".cache/kgw/kube-apiserver-1.20"))
APISERVER = CACHE / "bin" / "kube-apiserver"
TOKEN = "kgw-test-admin-token"
# The controller runs as the Helm chart's ServiceAccount (release "kgw" in kgw-system), so the tests prove its
# RBAC suffices; a static token stands in for the token a kubelet would mount.
SA_TOKEN = "kgw-test-controller-token"
SA_USER = "system:serviceaccount:kgw-system:kgw"


def binaries_missing() -> str | None:
    if not APISERVER.exists():
        return f"{APISERVER} not built: run scripts/kube-apiserver-build (about 4 minutes, cached)"
    if not shutil.which("etcd"):
        return "etcd not installed: run scripts/kube-apiserver-build"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _die_with_parent() -> list[str]:
    setpriv = shutil.which("setpriv")
    return [setpriv, "--pdeathsig", "KILL", "--"] if setpriv else []


def spawn(args: list[str], log: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    """Start a process that dies with this one, its output appended to `log` (the child keeps its own copy
    of the file descriptor, so ours is closed at once); `env`: added to this process's environment."""
    with open(log, "ab") as out:
        return subprocess.Popen([*_die_with_parent(), *args], stdout=out, stderr=subprocess.STDOUT,
                                env={**os.environ, **env} if env else None)


class ApiServer:
    def __init__(self, workdir: Path):
        self.dir = workdir
        self.dir.mkdir(parents=True, exist_ok=True)
        self.etcd_port, self.peer_port, self.port = free_port(), free_port(), free_port()
        self.etcd: subprocess.Popen | None = None
        self.proc: subprocess.Popen | None = None
        self._write_credentials()

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def _write_credentials(self) -> None:
        ca = CertAuthority.generate("kgw-test-apiserver-ca")
        cert, key = ca.issue("kube-apiserver", ["127.0.0.1", "localhost"], server=True)
        (self.dir / "ca.crt").write_bytes(ca.cert_pem)
        (self.dir / "tls.crt").write_bytes(cert)
        (self.dir / "tls.key").write_bytes(key)
        sa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        (self.dir / "sa.key").write_bytes(sa.private_bytes(serialization.Encoding.PEM,
                                                           serialization.PrivateFormat.PKCS8,
                                                           serialization.NoEncryption()))
        (self.dir / "tokens.csv").write_text(
            f'{TOKEN},kgw-admin,1,"system:masters"\n'
            f'{SA_TOKEN},{SA_USER},2,"system:serviceaccounts,system:serviceaccounts:kgw-system"\n')
        self.kubeconfig = self._kubeconfig("kubeconfig", TOKEN)
        self.controller_kubeconfig = self._kubeconfig("kubeconfig-controller", SA_TOKEN)

    def _kubeconfig(self, name: str, token: str) -> Path:
        path = self.dir / name
        path.write_text(yaml.safe_dump({
            "apiVersion": "v1", "kind": "Config", "current-context": "test",
            "clusters": [{"name": "test", "cluster": {"server": self.url,
                                                      "certificate-authority": str(self.dir / "ca.crt")}}],
            "users": [{"name": "admin", "user": {"token": token}}],
            "contexts": [{"name": "test", "context": {"cluster": "test", "user": "admin"}}]}))
        return path

    def start_etcd(self) -> None:
        self.etcd = spawn(
            ["etcd", "--data-dir", str(self.dir / "etcd"), "--name", "kgw-test",
             "--listen-client-urls", f"http://127.0.0.1:{self.etcd_port}",
             "--advertise-client-urls", f"http://127.0.0.1:{self.etcd_port}",
             "--listen-peer-urls", f"http://127.0.0.1:{self.peer_port}",
             "--initial-advertise-peer-urls", f"http://127.0.0.1:{self.peer_port}",
             "--initial-cluster", f"kgw-test=http://127.0.0.1:{self.peer_port}"],
            self.dir / "etcd.log")

    def start_apiserver(self, wait: float = 60) -> None:
        d = self.dir
        self.proc = spawn(
            [str(APISERVER), f"--etcd-servers=http://127.0.0.1:{self.etcd_port}",
             "--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", f"--secure-port={self.port}",
             "--insecure-port=0", f"--tls-cert-file={d / 'tls.crt'}", f"--tls-private-key-file={d / 'tls.key'}",
             f"--token-auth-file={d / 'tokens.csv'}", "--authorization-mode=RBAC",
             "--service-cluster-ip-range=10.96.0.0/16", f"--cert-dir={d / 'certs'}",
             "--service-account-issuer=https://kubernetes.default.svc",
             f"--service-account-key-file={d / 'sa.key'}", f"--service-account-signing-key-file={d / 'sa.key'}",
             # Nothing would ever create the token controller's ServiceAccounts: pods are never run here.
             "--disable-admission-plugins=ServiceAccount", "--logtostderr=true", "--v=0",
             # ConfigMaps bypass the watch cache, so their watches hit etcd directly and a compacted
             # resourceVersion answers 410 Gone at once (test_watch_and_status relies on it).
             "--watch-cache-sizes=configmaps#0"],
            d / "apiserver.log")
        self.wait_ready(wait)

    def wait_ready(self, wait: float) -> None:
        import ssl
        import urllib.request
        ctx = ssl.create_default_context(cafile=str(self.dir / "ca.crt"))
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("kube-apiserver exited:\n" + (self.dir / "apiserver.log").read_text()[-3000:])
            try:
                req = urllib.request.Request(self.url + "/readyz", headers={"Authorization": f"Bearer {TOKEN}"})
                with urllib.request.urlopen(req, context=ctx, timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError("kube-apiserver not ready:\n" + (self.dir / "apiserver.log").read_text()[-3000:])

    def start(self) -> ApiServer:
        self.start_etcd()
        self.start_apiserver()
        return self

    def compact(self) -> int:
        """Compact etcd's history up to now (through etcd's JSON gateway), as etcd does periodically in a
        real cluster; older resourceVersions then answer 410 Gone. Returns the compacted revision."""
        import base64
        import json
        import urllib.request

        def post(path: str, body: dict) -> dict:
            req = urllib.request.Request(f"http://127.0.0.1:{self.etcd_port}{path}", json.dumps(body).encode(),
                                         {"Content-Type": "application/json"})
            with urllib.request.urlopen(req, timeout=5) as r:
                return json.loads(r.read())

        rev = int(post("/v3/kv/range", {"key": base64.b64encode(b"/").decode()})["header"]["revision"])
        post("/v3/kv/compaction", {"revision": rev, "physical": True})
        return rev

    def kill_apiserver(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def stop(self) -> None:
        for p in (self.proc, self.etcd):
            if p and p.poll() is None:
                p.terminate()
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait(5)
