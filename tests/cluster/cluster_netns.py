"""Threads that live in the cluster's network namespace, so plain Python clients (http.client, sockets) reach
ClusterIPs and pod IPs from the test process. setns(CLONE_NEWNET) moves only the calling thread; these
threads belong to their executor and are never used for anything else. Names are not resolved in there
(the host's resolver is unreachable by design): use addresses."""
from __future__ import annotations

import ctypes
import os
from concurrent.futures import ThreadPoolExecutor

CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


def _enter(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        if _libc.setns(fd, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"setns({path}): {os.strerror(err)}")
    finally:
        os.close(fd)


class NetnsExecutor(ThreadPoolExecutor):
    def __init__(self, netns_path: str, workers: int = 4):
        super().__init__(max_workers=workers, thread_name_prefix="netns", initializer=_enter,
                         initargs=(netns_path,))

    def call(self, fn, *args, **kwargs):
        """Run fn inside the namespace and return its result (exceptions propagate)."""
        return self.submit(fn, *args, **kwargs).result()
