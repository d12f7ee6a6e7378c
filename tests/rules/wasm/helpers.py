"""Shared helpers for the wasm filter tests."""
from __future__ import annotations

import struct
import zlib

import kgw_rules
from kgw_rules.harness import ProxyWasmHost
from kgw_rules.wire.program import CHECKSUM, checksum

from .corpus import PROGRAMS

BLOBS = {name: kgw_rules.compile(src, f"{name}.kgw").to_bytes(strip=True) for name, src in PROGRAMS.items()}


def with_crc(body: bytes) -> bytes:
    """A program whose checksum is right, so a mutation reaches the checks behind it."""
    return body + CHECKSUM.pack(checksum(body))


def with_bundle_crc(body: bytes) -> bytes:
    """A bundle whose CRC-32 is right."""
    return body + struct.pack("<I", zlib.crc32(body))


def python_accepts(blob: bytes) -> bool:
    try:
        kgw_rules.Program.from_bytes(blob)
    except kgw_rules.VerifyError:
        return False
    return True


class Configurer:
    """One filter VM; configure() offers plugin configuration bytes to proxy_on_configure."""

    def __init__(self):
        self.host = ProxyWasmHost(kgw_rules.filter_wasm_bytes(), fuel=False, record=False)
        self.root = 0

    def configure(self, config: bytes) -> bool:
        self.root += 1
        ok = self.host.configure(self.root, config)
        self.host.delete_context(self.root)
        return ok

    def last_error(self) -> str:
        errors = [m for level, m in self.host.logs if level == "error"]
        return errors[-1] if errors else ""
