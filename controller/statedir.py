"""The state directory of `kgw up`: what must survive a restart, and a lock so two runs never share it."""
from __future__ import annotations

import fcntl
import hashlib
import os
from pathlib import Path
from typing import IO


def default_state_dir(directory: Path) -> Path:
    base = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
    digest = hashlib.sha256(str(directory.resolve()).encode()).hexdigest()[:12]
    return base / "kgw" / digest


class StateDir:
    """Holds an exclusive lock on <dir>/lock for the life of the process."""

    def __init__(self, path: Path):
        self.path = path
        self._lock_file: IO[str] | None = None

    def acquire(self) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        (self.path / "envoy").mkdir(exist_ok=True)
        f = open(self.path / "lock", "a+")  # noqa: SIM115 - the open file is the lock: release() closes it
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.close()
            raise OSError(f"state dir {self.path} is in use by another `kgw up` (same DIR?); "
                          "stop it or pass --state-dir") from None
        f.seek(0)
        f.truncate()
        f.write(f"{os.getpid()}\n")
        f.flush()
        self._lock_file = f

    @property
    def envoy_dir(self) -> Path:
        return self.path / "envoy"

    def release(self) -> None:
        if self._lock_file:
            self._lock_file.close()
            self._lock_file = None
