"""A bounded load generator run from inside the cluster's network namespace: a steady request rate, one new
connection per request (so each request is routed by kube-proxy afresh, as a new client would be), every
request counted by outcome. Stops by itself after max_seconds or max_requests."""
from __future__ import annotations

import collections
import http.client
import json
import threading
import time
from dataclasses import dataclass, field

from cluster_netns import NetnsExecutor


@dataclass
class Counts:
    sent: int = 0
    ok: int = 0
    failed: collections.Counter = field(default_factory=collections.Counter)  # reason -> count
    by_pod: collections.Counter = field(default_factory=collections.Counter)  # echo pod that answered
    failures: list = field(default_factory=list)  # (seconds since start, reason), first 200
    ok_at: list = field(default_factory=list)  # seconds since start of each success
    seconds: float = 0.0

    @property
    def failed_total(self) -> int:
        return sum(self.failed.values())

    def summary(self) -> str:
        rate = self.sent / self.seconds if self.seconds else 0
        return (f"{self.sent} requests in {self.seconds:.1f} s ({rate:.1f}/s): {self.ok} ok, "
                f"{self.failed_total} failed {dict(self.failed)}; answered by {dict(self.by_pod)}")


class LoadGenerator:
    def __init__(self, netns_path: str, address: str, port: int, host: str, path: str = "/load",
                 rate: float = 40, workers: int = 4, max_seconds: float = 240, max_requests: int = 20000,
                 timeout: float = 5):
        self.address, self.port, self.host, self.path = address, port, host, path
        self.interval = workers / rate  # per worker
        self.workers, self.max_seconds, self.max_requests, self.timeout = workers, max_seconds, max_requests, timeout
        self.counts = Counts()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._pool = NetnsExecutor(netns_path, workers)
        self._futures: list = []
        self._t0 = 0.0

    def __enter__(self) -> LoadGenerator:
        self._t0 = time.monotonic()
        self._futures = [self._pool.submit(self._worker, i) for i in range(self.workers)]
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> Counts:
        self._stop.set()
        for f in self._futures:
            f.result()
        self._pool.shutdown()
        self.counts.seconds = time.monotonic() - self._t0
        return self.counts

    def elapsed(self) -> float:
        return time.monotonic() - self._t0

    def wait_requests(self, n: int, timeout: float = 30) -> None:
        """Block until n more requests were answered successfully (the load is flowing)."""
        target = self.counts.ok + n
        deadline = time.monotonic() + timeout
        while self.counts.ok < target:
            assert time.monotonic() < deadline, f"load not flowing: {self.counts.summary()}"
            time.sleep(0.1)

    def _worker(self, index: int) -> None:
        due = self._t0 + index * self.interval / self.workers
        while not self._stop.is_set():
            now = time.monotonic()
            if now - self._t0 > self.max_seconds:
                return
            with self._lock:
                if self.counts.sent >= self.max_requests:
                    return
                self.counts.sent += 1
            if due > now:
                time.sleep(due - now)
            due += self.interval
            self._record(self._one())

    def _one(self) -> tuple[str, str | None]:
        conn = http.client.HTTPConnection(self.address, self.port, timeout=self.timeout)
        try:
            conn.request("GET", self.path, headers={"Host": self.host})
            resp = conn.getresponse()
            body = resp.read()
            if resp.status != 200:
                return f"http {resp.status}", None
            try:
                return "ok", json.loads(body).get("pod")
            except ValueError:
                return "not echo JSON", None
        except (OSError, http.client.HTTPException) as e:
            return type(e).__name__, None
        finally:
            conn.close()

    def _record(self, outcome: tuple[str, str | None]) -> None:
        reason, pod = outcome
        with self._lock:
            if reason == "ok":
                self.counts.ok += 1
                self.counts.ok_at.append(round(time.monotonic() - self._t0, 2))
                self.counts.by_pod[pod or "?"] += 1
            else:
                self.counts.failed[reason] += 1
                if len(self.counts.failures) < 200:
                    self.counts.failures.append((round(time.monotonic() - self._t0, 2), reason))
