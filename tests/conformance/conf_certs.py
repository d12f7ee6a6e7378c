"""Throwaway TLS material for the harness, made with the openssl CLI at test time (never committed)."""
from __future__ import annotations

import subprocess
from pathlib import Path


def make_ca(workdir: Path, name: str = "ca") -> tuple[Path, Path]:
    key, crt = workdir / f"{name}.key", workdir / f"{name}.crt"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", str(key), "-out", str(crt), "-days", "2", "-subj", f"/CN=kgw conformance test {name}"],
                   check=True, capture_output=True)
    return crt, key


def make_leaf(workdir: Path, ca: tuple[Path, Path], name: str, hosts: list[str]) -> tuple[str, str]:
    """(certificate PEM, private key PEM) for `hosts` (names, or URIs such as SPIFFE IDs), signed by the CA."""
    key, csr, crt, ext = (workdir / f"{name}.{s}" for s in ("key", "csr", "crt", "ext"))
    ext.write_text("subjectAltName=" + ",".join(f"URI:{h}" if "://" in h else f"DNS:{h}" for h in hosts) + "\n")
    subprocess.run(["openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", str(key), "-out", str(csr), "-subj", f"/CN={hosts[0]}"], check=True, capture_output=True)
    subprocess.run(["openssl", "x509", "-req", "-in", str(csr), "-CA", str(ca[0]), "-CAkey", str(ca[1]),
                    "-CAcreateserial", "-out", str(crt), "-days", "2", "-extfile", str(ext)],
                   check=True, capture_output=True)
    return crt.read_text(), key.read_text()
