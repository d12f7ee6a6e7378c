"""The filter's plugin configuration (docs/data-plane.md, "Plugin configuration"): one program, or a
bundle of programs keyed by id with a route table. The controller writes bundles; tests and `kgw test`
too. ``decode_config`` is the Python twin of the filter's proxy_on_configure (wasm_filter/src/config.zig).
"""
from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

from .errors import BundleError
from .limits import MAX_BUNDLE_PROGRAMS, MAX_ROUTE_PROGRAMS
from .program import START as PROGRAM_START
from .program import ProgramImage, decode_program
from .reader import Reader, encode_blob

BUNDLE_MAGIC = b"KGWS"
BUNDLE_VERSION = 2  # 1 had u32 string lengths; 2 has the varint lengths of every other format
BUNDLE_HEADER = struct.Struct("<4sB3sHH")  # magic, version, reserved (zero), program count, route count


@dataclass(frozen=True)
class BundleRoute:
    xds_name: bytes  # Envoy's route name (property xds.route_name); b"" = every route not listed
    route: bytes  # the `route` value the programs see: namespace/name/rule-index
    programs: tuple[str, ...]  # program ids, in run order (Gateway, route, rule)


def encode_bundle(programs: dict[str, bytes], routes: list[BundleRoute]) -> bytes:
    """Programs are stripped bytecode blobs keyed by id; routes refer to them by id."""
    index = {pid: i for i, pid in enumerate(programs)}
    out = bytearray(BUNDLE_HEADER.pack(BUNDLE_MAGIC, BUNDLE_VERSION, b"\0\0\0", len(programs), len(routes)))
    for pid, blob in programs.items():
        out += encode_blob(pid.encode()) + encode_blob(blob)
    for r in routes:
        out += encode_blob(r.xds_name) + encode_blob(r.route) + struct.pack("<H", len(r.programs))
        out += b"".join(struct.pack("<H", index[p]) for p in r.programs)
    out += struct.pack("<I", zlib.crc32(out))
    return bytes(out)


def decode_config(data: bytes) -> tuple[dict[str, ProgramImage], list[BundleRoute]]:
    """Decode and verify a plugin configuration exactly as the filter's proxy_on_configure does.

    Returns (programs by id, routes); a single program comes back as {"": program} with no routes.
    Raises BundleError (or VerifyError for a bad program) where the filter refuses.
    """
    data = bytes(data)
    if data[:4] == PROGRAM_START:
        return {"": decode_program(data)}, []
    if len(data) < BUNDLE_HEADER.size + 4 or data[:4] != BUNDLE_MAGIC:
        raise BundleError("configuration is neither a program (KGWB) nor a bundle (KGWS)")
    _, version, reserved, nprog, nroutes = BUNDLE_HEADER.unpack_from(data)
    if version != BUNDLE_VERSION:
        raise BundleError(f"unsupported bundle version {version}")
    if reserved != b"\0\0\0":
        raise BundleError("reserved bytes must be zero")
    if zlib.crc32(data[:-4]) != struct.unpack_from("<I", data, len(data) - 4)[0]:
        raise BundleError("checksum mismatch")
    if nprog > MAX_BUNDLE_PROGRAMS:
        raise BundleError("too many programs")
    r = Reader(data, BundleError, BUNDLE_HEADER.size, len(data) - 4)
    ids: list[str] = []
    programs: dict[str, ProgramImage] = {}
    for i in range(nprog):
        raw = r.blob(f"id of program {i}")
        if not raw:
            raise BundleError("empty program id")
        pid = raw.decode("utf-8", "surrogateescape")
        if pid in programs:
            raise BundleError("duplicate program id")
        ids.append(pid)
        programs[pid] = decode_program(r.blob(f"program {pid}"))
    routes: list[BundleRoute] = []
    for i in range(nroutes):
        name = r.blob(f"name of route {i}")
        if any(prev.xds_name == name for prev in routes):
            raise BundleError("duplicate route name")
        route = r.blob(f"route value of route {i}")
        count = r.uint(2, f"program count of route {i}")
        if count > MAX_ROUTE_PROGRAMS:
            raise BundleError("too many programs on one route")
        indexes = [r.uint(2, f"program index of route {i}") for _ in range(count)]
        if any(k >= nprog for k in indexes):
            raise BundleError("program index out of range")
        routes.append(BundleRoute(name, route, tuple(ids[k] for k in indexes)))
    if r.left:
        raise BundleError("bytes left over")
    return programs, routes
