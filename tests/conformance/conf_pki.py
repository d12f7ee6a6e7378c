"""The upstream suite's programmatic TLS objects (its `Test Setup: Applying programmatic resources`), made at
test time: CA certificates in ConfigMaps (`ca.crt`), client certificates and the TLS backends' serving
certificate in Secrets, with the upstream names; plus the TLS echo backends the BackendTLSPolicy tests send to.
"""
from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from pathlib import Path

from conf_certs import make_ca, make_leaf
from conf_infra import INFRA, WEB, secret_yaml

# name -> (namespace, loopback address); both serve tls-checks-certificate, the second requires a client
# certificate from tls-checks-ca-certificate's CA
TLS_BACKENDS = {
    "tls-backend": (INFRA, "127.0.0.60"),
    "tls-backend-with-client-cert-validation": (INFRA, "127.0.0.61"),
}
CHECKS_HOSTS = ["abc.example.com", "spiffe://abc.example.com/test-identity", "other.example.com"]


def config_map_yaml(name: str, ns: str, ca_pem: str) -> str:
    indent = "\n".join("    " + line for line in ca_pem.strip().splitlines())
    return (f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}, namespace: {ns}}}\n"
            f"data:\n  ca.crt: |\n{indent}\n---\n")


@dataclass
class Pki:
    root: Path
    manifests: str = ""
    ca_pem: dict[str, str] = field(default_factory=dict)  # ConfigMap name -> its ca.crt
    client_files: dict[str, tuple[str, str]] = field(default_factory=dict)  # Secret name -> (cert file, key file)
    pem: dict[str, tuple[str, str]] = field(default_factory=dict)  # Secret name -> (cert PEM, key PEM)

    def ca(self, config_map: str, ns: str = INFRA) -> tuple[Path, Path]:
        ca = make_ca(self.root, config_map)
        self.ca_pem[config_map] = ca[0].read_text()
        self.manifests += config_map_yaml(config_map, ns, self.ca_pem[config_map])
        return ca

    def leaf(self, secret: str, ca: tuple[Path, Path], hosts: list[str]) -> None:
        cert, key = make_leaf(self.root, ca, secret, hosts)
        self.pem[secret] = (cert, key)
        self.client_files[secret] = (str(self.root / f"{secret}.crt"), str(self.root / f"{secret}.key"))
        self.manifests += secret_yaml(secret, INFRA, cert, key)

    def server_context(self, client_ca: str | None = None) -> ssl.SSLContext:
        """The TLS backends' context: tls-checks-certificate, and client certificates required from `client_ca`."""
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(*self.client_files["tls-checks-certificate"])
        if client_ca is not None:
            ctx.verify_mode = ssl.CERT_REQUIRED
            ctx.load_verify_locations(cadata=self.ca_pem[client_ca])
        return ctx


def make_pki(root: Path) -> Pki:
    root.mkdir(parents=True, exist_ok=True)
    pki = Pki(root)
    pki.ca("web-backend-cm", WEB)
    pki.leaf("tls-validity-checks-client-certificate", pki.ca("tls-validity-checks-ca-certificate"), ["client"])
    pki.leaf("tls-validity-checks-per-port-client-certificate", pki.ca("tls-validity-checks-per-port-ca-certificate"),
             ["per-port-client"])
    checks = pki.ca("tls-checks-ca-certificate")
    pki.leaf("tls-checks-certificate", checks, CHECKS_HOSTS)
    pki.leaf("tls-checks-client-certificate", checks, ["gateway-client"])
    pki.ca("mismatch-ca-certificate")
    return pki
