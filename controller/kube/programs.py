"""Last good RoutePolicy programs in the cluster (the controller's ProgramKeeper, pipeline.py).

One ConfigMap, `kgw-programs` in the controller's namespace: `binaryData` maps each program's content hash to
its stripped bytecode, `data["index.json"]` maps program ids ("RoutePolicy/ns/name") to hashes. Only the
leader writes it (from its leader round, `flush`), with exactly the programs its newest translation serves,
so a deleted policy's program goes with the next write. Every replica reads it when a policy does not compile
and this process has never served that policy (a replica that just started, or never translated it): so a
controller restarted while a broken policy exists serves the policy's last good program, on every replica.
"""
from __future__ import annotations

import base64
import hashlib
import json
import logging
from collections.abc import Iterator, Mapping

from .api import Api, ApiError, Kind

log = logging.getLogger("kgw.kube.programs")

CONFIGMAP = Kind("", "v1", "configmaps", "ConfigMap")
PROGRAMS_CONFIGMAP = "kgw-programs"
INDEX_KEY = "index.json"


def encode(programs: Mapping[str, bytes]) -> tuple[dict[str, str], dict[str, str]]:
    """(data, binaryData) of the ConfigMap holding `programs`."""
    index, blobs = {}, {}
    for pid, blob in sorted(programs.items()):
        digest = hashlib.sha256(blob).hexdigest()[:32]
        index[pid] = digest
        blobs[digest] = base64.b64encode(blob).decode()
    return {INDEX_KEY: json.dumps(index, sort_keys=True)}, blobs


def decode(configmap: Mapping) -> dict[str, bytes]:
    """Program id -> bytecode; entries whose bytes are missing are skipped (never a crash on a hand edit)."""
    try:
        index = json.loads((configmap.get("data") or {}).get(INDEX_KEY) or "{}")
    except ValueError:
        log.error("ConfigMap %s: %s is not JSON; ignoring the stored programs", PROGRAMS_CONFIGMAP, INDEX_KEY)
        return {}
    blobs = configmap.get("binaryData") or {}
    out = {}
    for pid, digest in index.items() if isinstance(index, dict) else ():
        if isinstance(digest, str) and digest in blobs:
            out[pid] = base64.b64decode(blobs[digest])
    return out


class ConfigMapPrograms:
    def __init__(self, api: Api, namespace: str, name: str = PROGRAMS_CONFIGMAP):
        self.api, self.namespace, self.name = api, namespace, name
        self.current: dict[str, bytes] = {}  # what this process's newest translation serves
        self._stored: dict[str, bytes] | None = None  # what the ConfigMap holds, as last read or written
        self.writes = 0

    def read(self) -> dict[str, bytes]:
        """Blocking. Raises ApiError when the server is away (translation then keeps the last good config)."""
        try:
            doc = self.api.get(CONFIGMAP.path(self.namespace, self.name))
        except ApiError as e:
            if e.status != 404:
                raise
            doc = {}
        self._stored = decode(doc)
        return dict(self._stored)

    # --- ProgramKeeper ---------------------------------------------------------------------------------
    def last_good(self) -> Mapping[str, bytes]:
        return _LastGood(self)

    def remember(self, programs: Mapping[str, bytes]) -> None:
        self.current = dict(programs)

    # --- leader ----------------------------------------------------------------------------------------
    def flush(self) -> bool:
        """Blocking, leader only: make the ConfigMap hold `current`. True when it was written."""
        if self._stored is None:
            self.read()
        if self._stored == self.current:
            return False
        data, binary = encode(self.current)
        body = {"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": self.name, "namespace": self.namespace,
                             "labels": {"app.kubernetes.io/managed-by": "kgw"}},
                "data": data, "binaryData": binary}
        try:
            self.api.apply(CONFIGMAP, body)
        except ApiError as e:
            if e.status in (413, 422):  # over the 1 MiB object limit: keep serving, say why once per change
                log.error("last good programs not stored in ConfigMap %s/%s: %s", self.namespace, self.name, e)
                self._stored = dict(self.current)
                return False
            raise
        self._stored = dict(self.current)
        self.writes += 1
        return True


class _LastGood(Mapping):
    """This process's own programs first; the ConfigMap is read (once per translation) only when asked for a
    program this process does not hold — in practice only when a policy fails to compile."""

    def __init__(self, keeper: ConfigMapPrograms):
        self.keeper, self._own = keeper, dict(keeper.current)
        self._stored: dict[str, bytes] | None = None

    def _from_store(self) -> dict[str, bytes]:
        if self._stored is None:
            self._stored = self.keeper.read()
        return self._stored

    def __getitem__(self, pid: str) -> bytes:
        if pid in self._own:
            return self._own[pid]
        return self._from_store()[pid]

    def __iter__(self) -> Iterator[str]:
        return iter({**self._from_store(), **self._own})

    def __len__(self) -> int:
        return len({**self._from_store(), **self._own})
