"""Run `kgw up` inside another program (tests, benchmarks): the Runner on its own event loop in a thread."""
from __future__ import annotations

import asyncio
import threading
import time

from .runner import Runner, UpOptions


class EmbeddedUp:
    """`with EmbeddedUp(opts) as up:` returns once startup finished; `up.call(fn)` runs fn on the loop."""

    def __init__(self, opts: UpOptions, start_timeout: float = 30.0):
        self.opts, self.start_timeout = opts, start_timeout
        self.lines: list[str] = []
        self.code: int | None = None
        self.runner: Runner | None = None
        self.loop = asyncio.new_event_loop()
        self._created = threading.Event()
        self.thread = threading.Thread(target=self._main, name="kgw-up", daemon=True)

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.runner = Runner(self.opts, say=self.lines.append)
        self._created.set()
        try:
            self.code = self.loop.run_until_complete(self.runner.run())
        finally:
            self.loop.close()

    def __enter__(self) -> EmbeddedUp:
        self.thread.start()
        self._created.wait(5)
        if self.runner is None:
            raise RuntimeError("kgw up did not start: its thread created no Runner within 5s")
        deadline = time.monotonic() + self.start_timeout
        while not self.runner.started.is_set() and self.thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.02)
        if not self.runner.started.is_set():
            self.__exit__(None, None, None)
            raise RuntimeError(f"kgw up did not start: {self.runner.failure or self.lines}")
        return self

    def call(self, fn, *args, timeout: float = 10.0):
        async def wrap():
            result = fn(*args)
            return await result if asyncio.iscoroutine(result) else result
        return asyncio.run_coroutine_threadsafe(wrap(), self.loop).result(timeout)

    def envoy_pids(self) -> list[int]:
        assert self.runner is not None and self.runner.envoys is not None  # started by __enter__
        return self.call(self.runner.envoys.pids)

    def __exit__(self, *exc) -> None:
        if self.thread.is_alive():
            assert self.runner is not None  # __enter__ saw it
            self.loop.call_soon_threadsafe(self.runner.request_stop)
        self.thread.join(20)
        if self.thread.is_alive():
            raise RuntimeError("kgw up did not stop")
